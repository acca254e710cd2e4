% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="card" id="error">
  <h1>{{status}}</h1>
  <p>{{message}}</p>
% if user:
  <p>Use the navigation above to go where your role may go.</p>
% elif code in (401, 403):
  <p><a href="/login">Log in</a></p>
% else:
  <p><a href="/">Back to the start page</a></p>
% end
</section>

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="card">
  <h1>Account</h1>
  <p><strong>{{user['username']}}</strong>, role <strong>{{user['role']}}</strong>
% if user['seat']:
  , seat <strong>{{user['seat']}}</strong>
% end
  </p>
% if error:
  <p class="error" role="alert" id="account-error">{{error}}</p>
% end
% if message:
  <p class="good" id="account-message">{{message}}</p>
% end
  <h2>Change password</h2>
  <form method="post" action="/account/password" class="stack">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label for="current">Current password</label>
    <input id="current" name="current" type="password" autocomplete="current-password" required>
    <label for="new">New password (at least 10 characters)</label>
    <input id="new" name="new" type="password" autocomplete="new-password" minlength="10" required>
    <label for="repeat">New password again</label>
    <input id="repeat" name="repeat" type="password" autocomplete="new-password" required>
    <button type="submit" id="change-password">Change password</button>
  </form>
  <p class="muted">Changing it logs you out everywhere.</p>
</section>

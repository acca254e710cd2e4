% rebase('base.tpl', title=title, user=None)
<section class="card">
  <h1>{{status}}</h1>
  <p>{{message}}</p>
  <p><a href="/calls">Back to the calls</a></p>
</section>

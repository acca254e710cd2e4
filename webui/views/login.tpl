% rebase('base.tpl', title=title, user=None, nav=[])
<section class="card login">
  <h1>Log in</h1>
% if error:
  <p class="error" id="login-error" role="alert">{{error}}</p>
% end
  <form method="post" action="/login">
    <input type="hidden" name="csrf" value="{{csrf}}">
% if after:
    <input type="hidden" name="next" value="{{after}}">
% end
    <label for="username">User name</label>
    <input id="username" name="username" value="{{username}}" autocomplete="username" required autofocus>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" id="login">Log in</button>
  </form>
</section>

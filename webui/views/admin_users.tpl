% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Users</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<div class="scroll">
<table id="users">
  <thead><tr><th>User</th><th>Name</th><th>Role</th><th>Seat</th><th>Team</th><th>State</th><th></th></tr></thead>
  <tbody>
% for u in users:
    <tr data-user="{{u['username']}}">
      <td>{{u['username']}}</td><td>{{u['display_name']}}</td><td>{{u['role']}}</td><td>{{u['seat'] or ''}}</td><td>{{u['team'] or ''}}</td>
      <td>{{'disabled' if u['disabled'] else 'active'}}</td>
      <td>
%   if u['username'] != user['username']:
        <form method="post" action="/admin/users/{{u['username']}}/delete" class="inline">
          <input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="link">Delete</button>
        </form>
%   end
      </td>
    </tr>
% end
  </tbody>
</table>
</div>
<section class="panel">
  <h2>Add or change a user</h2>
  <form method="post" action="/admin/users" class="form-grid" id="user-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>User name <input name="username" id="u-name" required maxlength="32"></label>
    <label>Display name <input name="display_name" maxlength="64"></label>
    <label>Role <select name="role" id="u-role">
% for r in roles:
      <option value="{{r}}" {{'selected' if r == 'agent' else ''}}>{{r}}</option>
% end
    </select></label>
    <label>Seat (extension) <input name="seat" id="u-seat" size="6" inputmode="numeric"></label>
    <label>Team <select name="team"><option value="">none</option>
% for t in teams:
      <option value="{{t['name']}}">{{'· ' * t['depth']}}{{t['name']}}</option>
% end
    </select></label>
    <label>Password (new users; blank keeps it) <input name="password" id="u-password" type="password" autocomplete="new-password"></label>
    <label class="check"><input type="checkbox" name="disabled" value="1"> disabled</label>
    <button type="submit" id="save-user">Save user</button>
  </form>
</section>

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Teams</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
<ul class="list" id="teams">
% for t in teams:
  <li>{{'· ' * t['depth']}}<strong>{{t['name']}}</strong> {{'leader ' + t['leader'] if t['leader'] else ''}}</li>
% end
% if not teams:
  <li class="muted">No teams yet.</li>
% end
</ul>
<section class="panel">
  <h2>Add or change a team</h2>
  <form method="post" action="/admin/teams" class="form-grid" id="team-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Name <input name="name" required maxlength="32" id="t-name"></label>
    <label>Part of <select name="parent"><option value="">none</option>
% for t in teams:
      <option value="{{t['name']}}">{{t['name']}}</option>
% end
    </select></label>
    <label>Leader <select name="leader"><option value="">none</option>
% for u in users:
      <option value="{{u}}">{{u}}</option>
% end
    </select></label>
    <button type="submit" id="save-team">Save team</button>
  </form>
</section>

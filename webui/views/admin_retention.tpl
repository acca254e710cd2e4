% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Retention</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if purged:
<p class="good" id="purged">Purged {{purged['recordings']}} recordings ({{purged['bytes']}} bytes) and {{purged['calls']}} call records.</p>
% end
<div class="scroll">
<table id="rules">
  <thead><tr><th>Records</th><th>Queue</th><th class="num">Kept (days)</th><th></th></tr></thead>
  <tbody>
% for r in rules:
    <tr><td>{{'recordings' if r['kind'] == 'recording' else 'call records'}}</td><td>{{r['queue'] or 'every queue'}}</td><td class="num">{{r['days']}}</td>
      <td><form method="post" action="/admin/retention" class="inline">
        <input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="kind" value="{{r['kind']}}">
        <input type="hidden" name="queue" value="{{r['queue']}}"><input type="hidden" name="remove" value="1">
        <button type="submit" class="link">Remove</button></form></td></tr>
% end
% if not rules:
    <tr class="empty"><td colspan="4">No rules: everything is kept.</td></tr>
% end
  </tbody>
</table>
</div>
<section class="panel">
  <h2>Set a rule</h2>
  <form method="post" action="/admin/retention" class="form-grid" id="rule-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Records <select name="kind"><option value="recording">recordings</option><option value="cdr">call records</option></select></label>
    <label>Queue <select name="queue"><option value="">every queue</option>
% for q in queues:
      <option value="{{q}}">{{q}}</option>
% end
    </select></label>
    <label>Keep (days) <input name="days" size="5" inputmode="numeric" required></label>
    <button type="submit" id="save-rule">Save</button>
  </form>
</section>
<form method="post" action="/admin/retention/purge" class="inline">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <button type="submit" class="danger" id="purge">Purge what is past its retention now</button>
</form>

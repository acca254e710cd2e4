% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Audit log</h1><span class="muted">{{total}} entries</span><span class="spacer"></span><a href="/admin">Administration</a></section>
<form class="filters" method="get" action="/admin/audit">
  <label>Who <input name="actor" value="{{filters.get('actor', '')}}" size="10"></label>
  <label>Action <input name="action" value="{{filters.get('action', '')}}" size="14" placeholder="recording.play"></label>
  <button type="submit">Show</button>
</form>
<div class="scroll">
<table id="audit">
  <thead><tr><th>#</th><th>Time</th><th>Who</th><th>Role</th><th>Action</th><th>Target</th></tr></thead>
  <tbody>
% for e in entries:
    <tr><td>{{e['seq']}}</td><td>{{e['time']}}</td><td>{{e['actor']}}</td><td>{{e['role']}}</td><td>{{e['action']}}</td><td class="wrap">{{e['target']}}</td></tr>
% end
  </tbody>
</table>
</div>

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Callbacks</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
<form class="filters" method="get" action="/admin/callbacks">
  <label>State <select name="state" id="cb-state">
% for s in ('waiting', 'done', 'failed', 'all'):
    <option value="{{s}}" {{'selected' if s == state else ''}}>{{s}}</option>
% end
  </select></label>
  <button type="submit">Show</button>
</form>
<div class="scroll"><table id="callbacks"><thead><tr><th>Asked at</th><th>Queue</th><th>Number</th><th>Line</th><th>State</th><th class="num">Attempts</th><th>Outcome</th></tr></thead><tbody>
% for c in callbacks:
  <tr data-call="{{c['call_id']}}"><td>{{c['time']}}</td><td>{{c['queue']}}</td><td>{{c['number']}}</td><td>{{c['trunk'] or ''}}</td><td>{{c['state']}}</td><td class="num">{{c['attempts']}}</td><td>{{c['outcome'] or ''}}</td></tr>
% end
% if not callbacks:
  <tr class="empty"><td colspan="7">No callbacks {{'' if state == 'all' else state}}.</td></tr>
% end
</tbody></table></div>

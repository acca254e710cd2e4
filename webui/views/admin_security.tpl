% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Security</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<section class="panel"><h2>Banned now</h2>
% if not bans['edge_running']:
<p class="muted" id="no-edge">The SIP edge is not running here, so nothing is banned.</p>
% else:
<div class="scroll"><table id="bans"><thead><tr><th>Address</th><th>Why</th><th class="num">Left</th><th></th></tr></thead><tbody>
% for b in bans['bans']:
  <tr data-ip="{{b['ip']}}"><td>{{b['ip']}}</td><td>{{b['reason']}}</td><td class="num">{{'%d s' % b['seconds_left'] if b['seconds_left'] is not None else '–'}}</td>
    <td>
%   if can('queues.admin'):
      <form method="post" action="/admin/security/unban"><input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="ip" value="{{b['ip']}}"><button type="submit">unban</button></form>
%   end
    </td></tr>
% end
% if not bans['bans']:
  <tr class="empty"><td colspan="4">No source is banned.</td></tr>
% end
</tbody></table></div>
% end
</section>
<section class="panel"><h2>Security log <span class="muted small">{{total}} events</span></h2>
<div class="scroll"><table id="security-log"><thead><tr><th>Time</th><th>Event</th><th>Address</th><th>Detail</th></tr></thead><tbody>
% for e in log:
  <tr><td>{{e['time']}}</td><td>{{e['kind']}}</td><td>{{e.get('ip', '')}}</td><td class="wrap">{{e['detail']}}</td></tr>
% end
% if not log:
  <tr class="empty"><td colspan="4">Nothing logged.</td></tr>
% end
</tbody></table></div>
</section>

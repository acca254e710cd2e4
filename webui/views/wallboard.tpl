% rebase('base.tpl', title=title, user=user, nav=nav, body_class=body_class)
<section class="head">
  <h1>Wallboard</h1>
  <span class="badge" id="live-status">connecting…</span>
  <span class="alerts {{'on' if alerts else ''}}" id="alerts" data-wait="{{wait_max}}" data-sl="{{sl_min}}">{{alerts}} {{'alert' if alerts == 1 else 'alerts'}}</span>
  <span class="spacer"></span>
  <span class="muted">alert when a caller waits over {{wait_max}} s or the service level is under {{'%.0f' % (sl_min * 100)}} %</span>
</section>
<div class="scroll">
<table id="queues" class="board">
  <thead><tr><th>Queue</th><th class="num">Waiting</th><th class="num">Longest</th><th class="num">SL today</th><th class="num">Answered</th><th class="num">Abandoned</th><th>Callers</th></tr></thead>
  <tbody id="queues-body">
% for q in board['queues']:
    <tr data-queue="{{q['queue']}}" class="{{'alert' if q['alert'] else ''}}">
      <td>{{q['queue']}}</td><td class="num big">{{q['waiting']}}</td>
      <td class="num" data-secs="{{q['longest_wait_s']}}" data-ticking="{{1 if q['waiting'] else 0}}">{{q['longest']}}</td>
      <td class="num">{{q['sl']}}</td><td class="num">{{q['answered']}}</td><td class="num">{{q['abandoned']}}</td>
      <td class="wrap">
%   for c in q['callers']:
        <span class="caller">{{c['caller'] or 'unknown'}} <span data-secs="{{c['wait_s']}}" data-ticking="1">{{c['wait']}}</span>{{' → ' + c['offered_to'] if c['offered_to'] else ''}}</span>
%   end
      </td>
    </tr>
% end
% if not board['queues']:
    <tr class="empty"><td colspan="7">No queues configured.</td></tr>
% end
  </tbody>
</table>
</div>
<div class="scroll">
<table id="agents" class="board">
  <thead><tr><th>Agent</th><th>State</th><th class="num">In state</th><th>Call</th><th class="num">Calls today</th><th>Phone</th><th>Actions</th></tr></thead>
  <tbody id="agents-body" data-actions="1" data-my-seat="{{my_seat}}">
% for ag in board['agents']:
    <tr data-agent="{{ag['agent']}}" class="state-{{ag['state']}}">
      <td>{{ag['agent']}}</td><td><span class="badge">{{ag['state']}}{{' (' + ag['reason'] + ')' if ag['reason'] and ag['state'] == 'paused' else ''}}</span></td>
      <td class="num" data-secs="{{ag['in_state_s'] or 0}}" data-ticking="{{1 if ag['in_state_s'] is not None else 0}}">{{ag['in_state']}}</td>
      <td>{{(ag['call'] or '')[:8]}}</td><td class="num">{{ag['calls_today']}}</td>
      <td>{{'registered' if ag['registered'] else 'not registered'}}</td>
      <td class="sup-actions">
%   if ag['call'] and ag['agent'] != my_seat:
%     for m in modes:
        <button type="button" data-sup="{{m}}">{{m}}</button>
%     end
        <button type="button" data-sup="leave">leave</button>
%   end
%   for st, label in (('paused', 'pause'), ('available', 'available'), ('logged-out', 'log out')):
%     if ag['state'] != st:
        <button type="button" data-force="{{st}}">{{label}}</button>
%     end
%   end
      </td>
    </tr>
% end
  </tbody>
</table>
</div>
<p id="sup-msg" role="status" class="muted" data-csrf="{{user['csrf']}}">{{'Listen, whisper, barge and intercept ring your seat ' + my_seat + ' first.' if my_seat else 'You have no seat: listening needs a phone (an admin assigns a seat to your user).'}}</p>
<script src="/static/live.js"></script>
<script src="/static/wallboard.js"></script>

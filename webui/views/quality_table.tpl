<div class="scroll">
<table id="quality">
  <thead><tr><th>{{by if by != 'total' else ''}}</th><th class="num">Abandon rate</th><th class="num">Avg abandon</th><th class="num">Transfer rate</th><th class="num">Occupancy</th><th class="num">Utilization</th><th class="num">Adherence</th><th class="num">FCR ({{repeat_h}} h)</th><th class="num">CSAT</th>{{!'<th>Calls</th>' if by in ('queue', 'agent') and rows and 'calls' in rows[0] else ''}}</tr></thead>
  <tbody>
% for x in rows:
    <tr data-key="{{x['group']}}">
      <td>{{x['group'] or none}}</td>
      <td class="num">{{pct(x.get('abandon_rate'))}}</td>
      <td class="num">{{'%.0f s' % x['average_abandon_s'] if x.get('average_abandon_s') is not None else '–'}}</td>
      <td class="num">{{pct(x.get('transfer_rate'))}}</td>
      <td class="num">{{pct(x.get('occupancy'))}}</td>
      <td class="num">{{pct(x.get('utilization'))}}</td>
      <td class="num">{{pct(x.get('adherence'))}}</td>
      <td class="num">{{pct(x.get('fcr'))}}</td>
      <td class="num">{{pct(x.get('csat'))}}{{' (%d)' % x['csat_answers'] if x.get('csat_answers') else ''}}</td>
%   if x.get('calls'):
      <td><a href="{{x['calls']}}">calls</a></td>
%   end
    </tr>
% end
% if not rows:
    <tr class="empty"><td colspan="9">No ACD activity, answered calls or survey answers in this window.</td></tr>
% end
  </tbody>
</table>
</div>
<p class="muted">Abandon rate: abandoned (not under 5 s) / (offered - short abandons). Occupancy: (on-call + wrap-up) / (that + available + ringing); utilization: (on-call + wrap-up) / logged-in time; both from the ACD's agent states. Adherence: working minutes within the agent's schedule (the schedule named <code>agent-&lt;seat&gt;</code>) / scheduled minutes. FCR: answered calls whose number did not call again within {{repeat_h}} h. CSAT: survey answers in the top two of a numeric scale. By team: the agents (seats) of each team's users together.</p>

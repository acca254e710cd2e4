% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head">
  <h1>Reports</h1>
  <span class="muted">{{since}} – {{until}}</span>
  <span class="spacer"></span>
  <a class="button" href="/reports/staffing" id="staffing">Staffing (Erlang C)</a>
</section>
<form class="filters" method="get" action="/reports">
  <label>By <select name="by" id="by">
% for b in ('day', 'hour', 'queue', 'agent'):
    <option value="{{b}}" {{'selected' if by == b else ''}}>{{b}}</option>
% end
  </select></label>
  <label>From <input type="date" name="since" value="{{since}}"></label>
  <label>To (excl.) <input type="date" name="until"></label>
  <label>Queue <input name="queue" value="{{queue}}" size="10"></label>
  <button type="submit" id="show">Show</button>
  <a href="{{export}}&amp;fmt=csv" id="export-csv">CSV</a>
  <a href="{{export}}&amp;fmt=xlsx" id="export-xlsx">XLSX</a>
</form>
<div class="charts">
  <figure class="panel">{{!bar}}</figure>
  <figure class="panel">{{!sl}}</figure>
</div>
<div class="scroll">
<table id="kpi">
  <thead><tr><th>{{by}}</th><th class="num">Offered</th><th class="num">Answered</th><th class="num">Abandoned</th><th class="num">Service level</th><th class="num">ASA</th><th class="num">AHT</th><th>Calls</th></tr></thead>
  <tbody>
% for x in rows:
    <tr>
      <td>{{x[by] or '(none)'}}</td>
      <td class="num">{{x['offered']}}</td><td class="num">{{x['answered']}}</td><td class="num">{{x['abandoned']}}</td>
      <td class="num">{{x['sl']}}</td>
      <td class="num">{{'%.0f s' % x['asa_s'] if x['asa_s'] is not None else '–'}}</td>
      <td class="num">{{'%.0f s' % x['aht_s'] if x['aht_s'] is not None else '–'}}</td>
      <td><a href="{{x['calls']}}">calls</a></td>
    </tr>
% end
% if not rows:
    <tr class="empty"><td colspan="8">No calls in this window.</td></tr>
% else:
    <tr class="total"><td>total</td><td class="num">{{total['offered']}}</td><td class="num">{{total['answered']}}</td><td class="num">{{total['abandoned']}}</td><td colspan="4"></td></tr>
% end
  </tbody>
</table>
</div>
<section class="head"><h2>Quality and agent KPIs{{' by ' + qby if qby != 'total' else ''}}</h2><span class="spacer"></span><a class="button" href="/reports/quality?by={{qby}}" id="quality-report">Charts, by team, export</a></section>
% include('quality_table.tpl', rows=quality, by=qby, none='(none)', pct=pct, repeat_h=24)
<h2>Cost of outgoing calls by {{cost_by}}</h2>
<div class="scroll">
<table id="costs">
  <thead><tr><th>{{cost_by}}</th><th class="num">Calls</th><th class="num">Billed</th><th class="num">Cost</th><th class="num">Per call</th><th>Currency</th></tr></thead>
  <tbody>
% for x in costs:
    <tr><td>{{x[cost_by] or '(none)'}}</td><td class="num">{{x['calls']}}</td><td class="num">{{'%d s' % x['billed_s']}}</td><td class="num">{{x['cost']}}</td><td class="num">{{x['per_call']}}</td><td>{{x['currency']}}</td></tr>
% end
% if not costs:
    <tr class="empty"><td colspan="6">No rated calls in this window (prices: <a href="/admin/rates">rate tables</a>).</td></tr>
% end
  </tbody>
</table>
</div>
<p class="muted">Service level: answered within the queue's threshold (20 s without a queue) over answered + abandoned. ASA: average wait of answered calls. AHT: average talk time of answered calls.</p>

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Staffing (Erlang C)</h1><span class="spacer"></span><a href="/reports">Back to reports</a></section>
<form class="filters" method="get" action="/reports/staffing">
  <label>Service level target <input name="target_sl" value="{{target_sl}}" size="4"></label>
  <label>answered within (s) <input name="target_time" value="{{target_time}}" size="4"></label>
  <label>Shrinkage <input name="shrinkage" value="{{shrinkage}}" size="4"></label>
  <button type="submit">Compute</button>
</form>
<p class="muted">How many agents each half hour needs to answer {{'%.0f' % (target_sl * 100)}} % of calls within {{'%g' % target_time}} s, from this box's own calls of the last 28 days (calls per half hour averaged over the days; AHT from answered calls).</p>
<figure class="panel">{{!chart}}</figure>
<div class="scroll">
<table id="staffing-table">
  <thead><tr><th>Half hour</th><th class="num">Calls</th><th class="num">AHT</th><th class="num">Erlang</th><th class="num">Agents</th><th class="num">Scheduled</th><th class="num">SL</th><th class="num">ASA</th><th class="num">Occupancy</th></tr></thead>
  <tbody>
% for x in rows:
    <tr><td>{{x['slot']}}</td><td class="num">{{x['calls']}}</td><td class="num">{{'%.0f s' % x['aht_s']}}</td><td class="num">{{x['traffic_erlang']}}</td><td class="num">{{x['agents']}}</td><td class="num">{{x['scheduled']}}</td><td class="num">{{x['sl']}}</td><td class="num">{{'%.0f s' % x['asa_s']}}</td><td class="num">{{x['occ']}}</td></tr>
% end
% if not rows:
    <tr class="empty"><td colspan="9">No calls in the window yet.</td></tr>
% end
  </tbody>
</table>
</div>

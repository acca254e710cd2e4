% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head">
  <h1>Quality and agent KPIs</h1>
  <span class="muted">{{since}} – {{until}}</span>
  <span class="spacer"></span>
  <a class="button" href="/reports">Calls and service level</a>
</section>
<form class="filters" method="get" action="/reports/quality">
  <label>By <select name="by" id="by">
% for b in ('total', 'queue', 'agent', 'team'):
    <option value="{{b}}" {{'selected' if by == b else ''}}>{{b}}</option>
% end
  </select></label>
  <label>From <input type="date" name="since" value="{{since}}"></label>
  <label>To (excl.) <input type="date" name="until"></label>
  <label>Queue <input name="queue" value="{{queue}}" size="10"></label>
  <label>FCR window (h) <input name="repeat_h" value="{{repeat_h}}" size="4" inputmode="numeric"></label>
  <button type="submit" id="show">Show</button>
  <a href="{{export}}&amp;fmt=csv" id="export-csv">CSV</a>
  <a href="{{export}}&amp;fmt=xlsx" id="export-xlsx">XLSX</a>
</form>
<div class="charts">
% for c in charts:
  <figure class="panel">{{!c}}</figure>
% end
</div>
% if not charts:
<p class="muted" id="no-charts">Nothing to draw in this window.</p>
% end
% include('quality_table.tpl', rows=rows, by=by, none=none, pct=pct, repeat_h=repeat_h)

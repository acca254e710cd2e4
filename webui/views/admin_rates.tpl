% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Rate tables</h1><span class="spacer"></span><a href="/reports">Reports</a> <a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
% if rated is not None:
<p class="good" id="rated">Priced again: {{rated}} calls.</p>
% end
<p class="muted">What an outgoing call costs, per trunk: the rate of the longest matching prefix of the dialled number (an empty prefix takes the rest), talk time rounded up to whole billing increments, plus the connection fee when answered. The reports show the cost and cost per call from these tables.</p>
% for t in tables:
<section class="panel" data-trunk="{{t['trunk']}}"><h2>Trunk {{t['trunk']}} <span class="muted">({{t['currency']}})</span></h2>
<div class="scroll"><table class="rates"><thead><tr><th>Prefix</th><th class="num">Per minute</th><th class="num">Increment</th><th class="num">Connection fee</th><th>Description</th><th></th></tr></thead><tbody>
%   for x in t['rates']:
  <tr data-prefix="{{x['prefix']}}"><td>{{x['prefix'] or '(any other)'}}</td><td class="num">{{x['price_per_min']}}</td><td class="num">{{x['increment_s']}} s</td><td class="num">{{x['connection_fee']}}</td><td class="wrap">{{x['description']}}</td>
    <td><form method="post" action="/admin/rates/delete-rate" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="trunk" value="{{t['trunk']}}"><input type="hidden" name="prefix" value="{{x['prefix']}}"><button type="submit" class="danger">delete</button></form></td></tr>
%   end
%   if not t['rates']:
  <tr class="empty"><td colspan="6">No rates: calls on this trunk cost nothing.</td></tr>
%   end
</tbody></table></div>
<form method="post" action="/admin/rates/delete" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="trunk" value="{{t['trunk']}}"><button type="submit" class="danger delete-table">Delete the table of {{t['trunk']}}</button></form>
</section>
% end
% if not tables:
<p class="empty" id="no-tables">No rate tables: outgoing calls are not priced.</p>
% end
<section class="panel"><h2>Add or change a rate</h2>
<p class="muted">A rate for a prefix the trunk's table already has replaces it; a trunk without a table gets one.</p>
<form method="post" action="/admin/rates" class="form-grid" id="rate-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>Trunk <input name="trunk" id="rt-trunk" required maxlength="32" list="rt-trunks"></label>
  <datalist id="rt-trunks">
% for t in tables:
    <option value="{{t['trunk']}}">
% end
  </datalist>
  <label>Currency <input name="currency" id="rt-currency" required maxlength="3" size="4" placeholder="EUR"></label>
  <label>Prefix (digits; empty: any other) <input name="prefix" id="rt-prefix" maxlength="16" inputmode="numeric"></label>
  <label>Price per minute <input name="price_per_min" id="rt-price" required maxlength="20" size="8" placeholder="0.0125"></label>
  <label>Billing increment (s) <input name="increment_s" id="rt-increment" value="60" size="5" inputmode="numeric"></label>
  <label>Connection fee <input name="connection_fee" id="rt-fee" value="0" size="8"></label>
  <label>Description <input name="description" id="rt-description" maxlength="100"></label>
  <button type="submit" id="save-rate">Save rate</button>
</form>
</section>
<section class="panel"><h2>Price past calls again</h2>
<form method="post" action="/admin/rates/rerate" class="form-grid" id="rerate-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>From <input type="date" name="since" id="rr-since" required></label>
  <label>To (excl.) <input type="date" name="until" id="rr-until" required></label>
  <label>Trunk (empty: all) <input name="trunk" maxlength="32"></label>
  <button type="submit" id="rerate">Price again</button>
</form>
</section>

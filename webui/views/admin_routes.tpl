% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Routes and caller lists</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<section class="panel"><h2>Dialled numbers (DID) → where the call goes</h2>
<div class="scroll"><table id="routes"><thead><tr><th>DID</th><th>Line</th><th>Target</th><th>Hours</th><th>When closed</th><th>Note</th><th></th></tr></thead><tbody>
% for x in routes:
  <tr data-did="{{x['did']}}"><td>{{x['did']}}</td><td>{{x['trunk'] or 'any'}}</td><td>{{x['target']}}</td><td>{{x['schedule'] or 'always'}}</td><td>{{x['closed_target'] or '–'}}</td><td class="wrap">{{x['note']}}</td>
    <td><form method="post" action="/admin/routes/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="did" value="{{x['did']}}"><input type="hidden" name="trunk" value="{{x['trunk']}}"><button type="submit" class="danger">delete</button></form></td></tr>
% end
% if not routes:
  <tr class="empty"><td colspan="7">No routes: calls to this box's numbers are refused.</td></tr>
% end
</tbody></table></div>
<form method="post" action="/admin/routes" class="form-grid" id="route-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>DID (a number, prefix* or *) <input name="did" id="r-did" required maxlength="32"></label>
  <label>Line (trunk or line group; empty: any) <input name="trunk" maxlength="32"></label>
  <label>Target <input name="target" id="r-target" required placeholder="queue:support, ivr:main, seat:201, voicemail:sales" maxlength="200"></label>
  <label>Hours <select name="schedule"><option value="">always open</option>
% for s in schedules:
    <option value="{{s}}">{{s}}</option>
% end
  </select></label>
  <label>When closed <input name="closed_target" placeholder="voicemail:sales" maxlength="200"></label>
  <label>Note <input name="note" maxlength="200"></label>
  <button type="submit" id="save-route">Save route</button>
</form>
</section>
<section class="panel"><h2>Where would a call go?</h2>
<form method="get" action="/admin/routes" class="form-grid" id="check-form">
  <label>DID <input name="did" id="c-did" value="{{checked.get('did', '')}}" required maxlength="32"></label>
  <label>Line <input name="trunk" value="{{checked.get('trunk', '')}}" maxlength="32"></label>
  <label>Caller <input name="caller" id="c-caller" value="{{checked.get('caller', '')}}" maxlength="32"></label>
  <button type="submit" id="check">Check</button>
</form>
% if check is not None:
<p id="check-result">{{'→ ' + check['target'] if check['routes'] else 'No route takes this number: the call is refused.'}}{{' (caller blocked)' if check.get('blocked') else ''}}{{' (VIP)' if check.get('vip') else ''}}{{' (closed)' if check.get('closed') else ''}}</p>
% end
</section>
<section class="panel"><h2>Black list and white list</h2>
<div class="scroll"><table id="lists"><thead><tr><th>List</th><th>Number</th><th>Blocked callers go to</th><th class="num">VIP priority</th><th>Note</th><th></th></tr></thead><tbody>
% for e in lists:
  <tr data-entry="{{e['id']}}"><td>{{'black (block)' if e['kind'] == 'block' else 'white (VIP)'}}</td><td>{{e['number']}}</td><td>{{e['target'] or ('hang up' if e['kind'] == 'block' else '–')}}</td><td class="num">{{e['priority'] if e['kind'] == 'vip' else ''}}</td><td class="wrap">{{e['note']}}</td>
    <td><form method="post" action="/admin/lists/{{e['id']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">delete</button></form></td></tr>
% end
% if not lists:
  <tr class="empty"><td colspan="6">Both lists are empty.</td></tr>
% end
</tbody></table></div>
<form method="post" action="/admin/lists" class="form-grid" id="list-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>List <select name="kind" id="l-kind"><option value="block">black list (block)</option><option value="vip">white list (VIP)</option></select></label>
  <label>Number or prefix* <input name="number" id="l-number" required maxlength="32"></label>
  <label>Blocked callers go to (empty: hang up) <input name="target" maxlength="200" placeholder="message:blocked"></label>
  <label>VIP priority <input name="priority" value="0" size="3" inputmode="numeric"></label>
  <label>Note <input name="note" maxlength="200"></label>
  <button type="submit" id="save-entry">Add to the list</button>
</form>
</section>

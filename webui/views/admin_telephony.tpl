% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Telephony</h1><span class="spacer"></span><a href="/admin/routes">Inbound routes</a><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<section class="panel"><h2>SIP trunks</h2>
<div class="scroll"><table id="trunks"><thead><tr><th>Name</th><th>Kind</th><th>Host</th><th>Trusted sources</th><th>Enabled</th><th>Live</th><th></th></tr></thead><tbody>
% for t in trunks:
  <tr data-trunk="{{t['name']}}"><td>{{t['name']}}</td><td>{{t['kind']}}</td><td>{{t['host'] + ':' + str(t['port']) if t['host'] else 'calls in only'}}</td><td>{{', '.join(t['sources'])}}</td><td>{{'enabled' if t['enabled'] else 'disabled'}}</td>
    <td>{{('up' if t['state']['available'] else 'down: ' + (t['state']['why'] or '')) if t['state'] else '–'}}</td>
    <td><form method="post" action="/admin/trunks/{{t['name']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">delete</button></form></td></tr>
% end
% if not trunks:
  <tr class="empty"><td colspan="7">No SIP trunks.</td></tr>
% end
</tbody></table></div>
<h3>Add or change a trunk</h3>
<form method="post" action="/admin/trunks" class="form-grid" id="trunk-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>Name <input name="name" id="t-name" required maxlength="32"></label>
  <label>Kind <select name="kind"><option value="sip-ip">sip-ip (by address)</option><option value="sip-reg">sip-reg (we register)</option></select></label>
  <label>Host (empty: calls in only) <input name="host" id="t-host" maxlength="200"></label>
  <label>Port <input name="port" value="5060" size="5" inputmode="numeric"></label>
  <label>Domain <input name="domain" maxlength="200"></label>
  <label>Trusted sources (CIDRs) <input name="sources" id="t-sources" maxlength="400" placeholder="203.0.113.0/24"></label>
  <label>User name <input name="username" maxlength="64" autocomplete="off"></label>
  <label>Password (empty: keep) <input name="secret" type="password" maxlength="128" autocomplete="new-password"></label>
  <label>Register every (s) <input name="register_expires" value="600" size="5" inputmode="numeric"></label>
  <label>Calls at once (0: no limit) <input name="max_channels" value="0" size="4" inputmode="numeric"></label>
  <label>Caller ID when none <input name="caller_id" maxlength="32"></label>
  <label class="check"><input type="checkbox" name="enabled" value="1" checked> enabled</label>
  <label class="check"><input type="checkbox" name="keepalive" value="1" checked> OPTIONS keep-alive</label>
  <button type="submit" id="save-trunk">Save trunk</button>
</form>
</section>
<section class="panel"><h2>Outbound routes</h2>
<div class="scroll"><table id="out-routes"><thead><tr><th>Name</th><th>Prefix</th><th>Trunks in order</th><th class="num">Strip</th><th>Prepend</th><th>Caller ID</th><th>Enabled</th><th></th></tr></thead><tbody>
% for x in out_routes:
  <tr data-route="{{x['name']}}"><td>{{x['name']}}</td><td>{{x['prefix'] or 'every number'}}</td><td>{{' → '.join(x['groups'])}}</td><td class="num">{{x['strip']}}</td><td>{{x['prepend']}}</td><td>{{x['caller_id_mode']}} {{x['caller_id']}}</td><td>{{'yes' if x['enabled'] else 'no'}}</td>
    <td><form method="post" action="/admin/outbound-routes/{{x['name']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">delete</button></form></td></tr>
% end
% if not out_routes:
  <tr class="empty"><td colspan="8">No outbound routes: calls out are refused.</td></tr>
% end
</tbody></table></div>
<h3>Add or change a route</h3>
<form method="post" action="/admin/outbound-routes" class="form-grid" id="out-route-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>Name <input name="name" id="o-name" required maxlength="32"></label>
  <label>Prefix (empty: every number) <input name="prefix" id="o-prefix" maxlength="20"></label>
  <label>Trunks in order <input name="groups" id="o-groups" required maxlength="200" placeholder="acme, e1/1"></label>
  <label>Strip digits <input name="strip" value="0" size="3" inputmode="numeric"></label>
  <label>Prepend <input name="prepend" maxlength="20"></label>
  <label>Caller ID <select name="caller_id_mode"><option value="pass">pass</option><option value="fixed">fixed</option></select></label>
  <label>Fixed caller ID <input name="caller_id" maxlength="32"></label>
  <label class="check"><input type="checkbox" name="enabled" value="1" checked> enabled</label>
  <button type="submit" id="save-out-route">Save route</button>
</form>
</section>
<section class="panel"><h2>Dialled numbers (schema-1 view)</h2>
<div class="scroll"><table id="dids"><thead><tr><th>Number</th><th>Goes to</th><th>Trunk</th></tr></thead><tbody>
% for d in dids:
  <tr><td>{{d['number']}}</td><td>{{d['target_kind']}} {{d['target']}}</td><td>{{d['trunk'] or 'any'}}</td></tr>
% end
</tbody></table></div>
<p class="muted">Edit where numbers go on <a href="/admin/routes">Routes and caller lists</a>.</p></section>
<section class="panel"><h2>IVR menus</h2>
<div class="scroll"><table id="ivr"><thead><tr><th>Menu</th><th>Prompt</th><th>Digits</th><th class="num">Time-out</th></tr></thead><tbody>
% for m in menus:
  <tr><td>{{m['name']}}</td><td class="wrap">{{m['prompt_text'] or m['prompt_file']}}</td><td>{{', '.join(k + ' → ' + v for k, v in m['options'].items())}}</td><td class="num">{{m['timeout_s']}} s</td></tr>
% end
</tbody></table></div>
<p class="muted">Edit IVR trees on <a href="/admin/ivr">IVR trees</a>.</p></section>

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Telephony</h1><span class="spacer"></span><a href="/admin/routes">Inbound routes</a><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<section class="panel" id="line-status"><h2>Lines on the card</h2>
<p class="muted">Card: <strong class="state-{{status['hardware']}}" id="hw-status">{{status['hardware']}}</strong>{{' (' + status['profile'] + ')' if status['profile'] else ''}}; lines: <strong class="state-{{status['lines']}}" id="lines-status">{{status['lines']}}</strong>{{'; %.0f °C' % status['temperature_c'] if status['temperature_c'] is not None else ''}}. <span id="lines-updated">Live: refreshed every 5 s.</span></p>
% if status['faults']:
<p class="error" role="alert" id="card-faults">Faults: {{'; '.join(k + ': ' + str(v) for k, v in status['faults'].items())}}</p>
% end
<div class="scroll"><table id="lines"><thead><tr><th>Line</th><th>State</th><th>Alarms</th><th>Signalling</th><th>In use</th><th>Detail</th></tr></thead><tbody>
% for s in status['spans']:
%   g = s['group']
  <tr data-line="{{s['name']}}"{{!' class="alarm"' if s['bad'] else ''}}><td>E1 span {{s['span']}}</td><td>{{s['state'] or '–'}}</td><td>{{s.get('alarms') or s.get('fault') or g.get('alarms') or 'none'}}</td>
    <td>{{s['signalling']}}{{', D-channel ' + g['d_channel'] if g.get('d_channel') and g['d_channel'] != 'n/a' else ''}}</td>
    <td>{{str(g.get('calls', 0)) + ' call(s)' if g else '–'}}</td>
    <td class="wrap">{{g.get('idle') or ('framing ' + s['framing'] + ', ' + s['line_code'] + ', clock ' + s['clock'])}}</td></tr>
% end
% for p in status['fxo']:
  <tr data-line="{{p['name']}}"{{!' class="alarm"' if p['bad'] else ''}}><td>FXO port {{p['port']}}</td><td>{{p['state'] or '–'}}</td><td>{{p.get('fault') or p.get('alarm') or ('no battery' if p.get('battery') is False else 'none')}}</td>
    <td>analog (exchange line)</td><td>{{'call' if p['line'].get('call') else 'free'}}</td><td>{{'line ' + p['line']['state'] if p['line'].get('state') else ''}}{{', hook ' + p['hook'] if p.get('hook') else ''}}</td></tr>
% end
% for p in status['fxs']:
  <tr data-line="{{p['name']}}"{{!' class="alarm"' if p['bad'] else ''}}><td>FXS port {{p['port']}}</td><td>{{p['state'] or '–'}}</td><td>{{p.get('fault') or 'none'}}</td>
    <td>analog (phone)</td><td>{{'–' if p['name'] in status['not_wired'] else ''}}</td><td>{{'not wired to a seat' if p['name'] in status['not_wired'] else ('hook ' + p['hook'] if p.get('hook') else '')}}</td></tr>
% end
% if not (status['spans'] or status['fxo'] or status['fxs']):
  <tr class="empty"><td colspan="6">No card reported (hardware {{status['hardware']}}).</td></tr>
% end
</tbody></table></div>
<p class="muted">Spans and ports are set in <code>callbox.toml</code> (not edited here).</p>
</section>
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
<script src="/static/lines.js"></script>

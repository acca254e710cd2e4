% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Telephony</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
<section class="panel"><h2>Trunks</h2>
<div class="scroll"><table id="trunks"><thead><tr><th>Name</th><th>Kind</th><th>Trusted sources</th><th>State</th></tr></thead><tbody>
% for t in trunks:
  <tr><td>{{t['name']}}</td><td>{{t['kind']}}</td><td>{{', '.join(t['sources'])}}</td><td>{{'enabled' if t['enabled'] else 'disabled'}}</td></tr>
% end
% if not trunks:
  <tr class="empty"><td colspan="4">No SIP trunks.</td></tr>
% end
</tbody></table></div></section>
<section class="panel"><h2>Dialled numbers</h2>
<div class="scroll"><table id="dids"><thead><tr><th>Number</th><th>Goes to</th><th>Trunk</th></tr></thead><tbody>
% for d in dids:
  <tr><td>{{d['number']}}</td><td>{{d['target_kind']}} {{d['target']}}</td><td>{{d['trunk'] or 'any'}}</td></tr>
% end
</tbody></table></div></section>
<section class="panel"><h2>IVR menus</h2>
<div class="scroll"><table id="ivr"><thead><tr><th>Menu</th><th>Prompt</th><th>Digits</th><th class="num">Time-out</th></tr></thead><tbody>
% for m in menus:
  <tr><td>{{m['name']}}</td><td class="wrap">{{m['prompt_text'] or m['prompt_file']}}</td><td>{{', '.join(k + ' → ' + v for k, v in m['options'].items())}}</td><td class="num">{{m['timeout_s']}} s</td></tr>
% end
</tbody></table></div></section>

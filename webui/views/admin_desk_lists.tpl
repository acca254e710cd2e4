% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Dispositions and pause reasons</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<p class="muted">The agent desk offers the active entries in this order. An entry is switched off rather than deleted: past calls and pauses keep its code.</p>
% for kind, key, heading, noun in (('dispositions', 'dispositions', 'After-call dispositions', 'disposition'), ('pause-reasons', 'pause_reasons', 'Pause reasons', 'pause reason')):
<section class="panel"><h2>{{heading}}</h2>
<div class="scroll"><table id="{{kind}}"><thead><tr><th class="num">#</th><th>Code</th><th>Label</th><th>Offered</th><th></th></tr></thead><tbody>
%   for e in lists[key]:
  <tr data-code="{{e['code']}}"><td class="num">{{e['position']}}</td><td>{{e['code']}}</td><td>{{e['label']}}</td><td>{{'yes' if e['active'] else 'off'}}</td>
    <td><form method="post" action="/admin/desk-lists/{{kind}}" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="code" value="{{e['code']}}"><input type="hidden" name="label" value="{{e['label']}}"><input type="hidden" name="position" value="{{e['position']}}">
%     if not e['active']:
      <input type="hidden" name="active" value="1">
%     end
      <button type="submit" class="toggle">{{'switch off' if e['active'] else 'switch on'}}</button></form></td></tr>
%   end
%   if not lists[key]:
  <tr class="empty"><td colspan="5">None yet.</td></tr>
%   end
</tbody></table></div>
<form method="post" action="/admin/desk-lists/{{kind}}" class="form-grid" id="{{kind}}-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>Code <input name="code" id="{{kind}}-code" required maxlength="32"></label>
  <label>Label <input name="label" id="{{kind}}-label" required maxlength="64"></label>
  <label>Position <input name="position" id="{{kind}}-position" value="0" size="4" inputmode="numeric"></label>
  <label class="check"><input type="checkbox" name="active" value="1" checked> offered</label>
  <button type="submit" id="{{kind}}-save">Save {{noun}}</button>
</form>
</section>
% end

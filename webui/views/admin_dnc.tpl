% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Do not call</h1><span class="spacer"></span><a href="/admin/campaigns">Campaigns</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
% if result:
<section class="panel good" id="import-result"><h2>Imported</h2>
<p>{{result['added']}} added, {{result['skipped']}} already on the list or repeated in the file, {{len(result['rejected'])}} rejected.</p>
%   if result['rejected']:
<div class="scroll"><table id="rejected"><thead><tr><th class="num">Line</th><th>Column</th><th>Why</th></tr></thead><tbody>
%     for x in result['rejected'][:200]:
  <tr><td class="num">{{x['line']}}</td><td>{{x['column']}}</td><td class="wrap">{{x['error']}}</td></tr>
%     end
</tbody></table></div>
%   end
</section>
% end
<p class="muted">Campaigns never dial a number on this list (with or without its leading +) until its entry expires.{{'' if unmasked else ' Numbers are masked for your role: you can add numbers, not remove them.'}}</p>
<div class="scroll"><table id="dnc"><thead><tr><th>Number</th><th>Note</th><th>Added</th><th>Until</th><th></th></tr></thead><tbody>
% for x in dnc['items']:
  <tr data-number="{{x['number']}}"><td>{{x['number']}}</td><td class="wrap">{{x['note']}}</td><td>{{x['added']}}</td><td>{{x['expires']}}</td>
    <td>
%   if unmasked:
      <form method="post" action="/admin/dnc/delete" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="number" value="{{x['number']}}"><button type="submit" class="danger">remove</button></form>
%   end
    </td></tr>
% end
% if not dnc['items']:
  <tr class="empty"><td colspan="5">The list is empty.</td></tr>
% end
</tbody></table></div>
<p class="muted" id="dnc-total">{{dnc['total']}} numbers{{' (showing %d from %d)' % (len(dnc['items']), offset + 1) if dnc['total'] > len(dnc['items']) else ''}}.
% if dnc['total'] > offset + len(dnc['items']):
 <a href="/admin/dnc?offset={{offset + len(dnc['items'])}}" id="more">next</a>
% end
</p>
<section class="panel"><h2>Add a number</h2>
<form method="post" action="/admin/dnc" class="form-grid" id="dnc-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>Number <input name="number" id="d-number" required maxlength="32" inputmode="tel"></label>
  <label>Note <input name="note" id="d-note" maxlength="200"></label>
  <label>Until (empty: for ever) <input type="date" name="expires" id="d-expires"></label>
  <button type="submit" id="add-dnc">Add to the list</button>
</form>
</section>
<section class="panel"><h2>Import numbers</h2>
<p class="muted">A CSV file with a <code>number</code> column (or phone, tel, mobile) and a <code>note</code> column if wanted; a number already on the list keeps its entry with the new note.</p>
<form method="post" action="/admin/dnc/import" enctype="multipart/form-data" class="form-grid" id="dnc-import-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>CSV file <input type="file" name="file" id="dnc-file" accept=".csv,text/csv" required></label>
  <button type="submit" id="dnc-import">Import</button>
</form>
</section>

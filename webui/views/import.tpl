% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Import customers</h1><span class="spacer"></span><a href="/customers">Customers</a></section>
% if status is None:
<section class="panel">
  <form method="post" action="/customers/import" enctype="multipart/form-data" class="stack" id="import-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label for="file">CSV or XLSX file (UTF-8, GB18030 or with a BOM; a header row names the columns: name, company, phone, email, address, tags, owner, custom fields)</label>
    <input id="file" name="file" type="file" accept=".csv,.xlsx,text/csv" required>
    <label for="dup">A row whose number belongs to a customer already</label>
    <select id="dup" name="on_duplicate">
      <option value="skip">skip it</option><option value="update">update that customer</option><option value="create">create another customer</option>
    </select>
    <button type="submit" id="start-import">Import</button>
  </form>
</section>
% else:
<section class="panel" id="import-status" data-import="{{status['id']}}" data-state="{{status['state']}}">
  <h2>{{status['file']}}</h2>
  <p>State: <strong id="import-state">{{status['state']}}</strong>
% p = status.get('progress') or {}
% if p.get('stage'):
    · <span id="import-stage">{{p['stage']}}</span>
% end
  </p>
% s = status.get('summary') or {}
% if s:
  <dl class="facts" id="import-summary">
%   for k in ('rows', 'imported', 'updated', 'skipped', 'rejected'):
%     if k in s:
    <dt>{{k}}</dt><dd id="sum-{{k}}">{{s[k]}}</dd>
%     end
%   end
  </dl>
% end
% if status.get('error') or s.get('error'):
  <p class="error" role="alert">{{status.get('error') or s.get('error')}}</p>
% end
% if s.get('rejected'):
  <p><a href="/api/imports/{{status['id']}}/rejects" id="rejects">Download the rejected rows</a> (each with the reason)</p>
% end
% if status['state'] == 'running':
  <p class="muted">The page follows the import until it is done.</p>
  <script src="/static/import.js"></script>
% end
</section>
% end

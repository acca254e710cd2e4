% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Campaign {{c['name']}}</h1><span class="state" id="campaign-state">{{c['state']}}</span><span class="spacer"></span><a href="/admin/campaigns">Campaigns</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
% if result:
<section class="panel good" id="import-result"><h2>Imported</h2>
<p>{{result['added']}} added, {{result['skipped']}} skipped (already in the list or repeated in the file), {{len(result['rejected'])}} rejected.</p>
%   if result['rejected']:
<div class="scroll"><table id="rejected"><thead><tr><th class="num">Line</th><th>Column</th><th>Why</th></tr></thead><tbody>
%     for x in result['rejected'][:200]:
  <tr><td class="num">{{x['line']}}</td><td>{{x['column']}}</td><td class="wrap">{{x['error']}}</td></tr>
%     end
</tbody></table></div>
%   end
</section>
% end
<section class="panel"><h2>State</h2>
<p class="muted">Draft: nothing is dialled. Running: the box dials within the hours. Paused: stops dialling, keeps the list. Finished: done for good.</p>
<div class="form-grid" id="state-buttons">
% for st, label in (('running', 'Start'), ('paused', 'Pause'), ('finished', 'Finish'), ('draft', 'Back to draft')):
%   if st != c['state']:
  <form method="post" action="/admin/campaigns/{{c['name']}}/state" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="state" value="{{st}}"><button type="submit" id="state-{{st}}">{{label}}</button></form>
%   end
% end
</div>
</section>
<section class="panel"><h2>The list</h2>
<p id="counts">{{c['counts']['pending']}} to call, {{c['counts']['dialing']}} being dialled, {{c['counts']['done']}} done: {{c['counts']['answered']}} answered, {{c['counts']['busy']}} busy, {{c['counts']['no-answer']}} no answer, {{c['counts']['dnc']}} on the do-not-call list, {{c['counts']['invalid']}} invalid, {{c['counts']['failed']}} failed.</p>
<p class="muted">Add numbers from a CSV file: a <code>number</code> column (or phone, tel, mobile), a <code>name</code> column if wanted; other columns are shown to the agent. UTF-8 or GB18030.</p>
<form method="post" action="/admin/campaigns/{{c['name']}}/import" enctype="multipart/form-data" class="form-grid" id="import-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>CSV file <input type="file" name="file" id="import-file" accept=".csv,text/csv" required></label>
  <button type="submit" id="import">Import</button>
</form>
<form method="get" action="/admin/campaigns/{{c['name']}}" class="filters">
  <label>Show <select name="state"><option value="">all</option>
% for st in ('pending', 'dialing', 'done'):
    <option value="{{st}}" {{'selected' if state == st else ''}}>{{st}}</option>
% end
  </select></label>
  <button type="submit">Show</button>
</form>
<div class="scroll"><table id="records"><thead><tr><th class="num">Line</th><th>Number</th><th>Name</th><th>State</th><th>Result</th><th class="num">Attempts</th><th>Last attempt</th></tr></thead><tbody>
% for x in records['items']:
  <tr><td class="num">{{x['line']}}</td><td>{{x['number']}}</td><td>{{x['name']}}</td><td>{{x['state']}}</td><td>{{x['result'] or ''}}</td><td class="num">{{x['attempts']}}</td><td>{{x['last']}}</td></tr>
% end
% if not records['items']:
  <tr class="empty"><td colspan="7">No numbers{{' in this state' if state else ' yet: import a CSV file'}}.</td></tr>
% end
</tbody></table></div>
% if records['total'] > records['offset'] + len(records['items']):
<p><a href="/admin/campaigns/{{c['name']}}?offset={{records['offset'] + len(records['items'])}}{{'&state=' + state if state else ''}}" id="more">next {{len(records['items'])}}</a> of {{records['total']}}</p>
% end
</section>
<section class="panel"><h2>Settings</h2>
<form method="post" action="/admin/campaigns/{{c['name']}}" class="form-grid" id="campaign-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
% include('campaign_fields.tpl', c=c, queues=queues)
  <button type="submit" id="save-campaign">Save</button>
</form>
<form method="post" action="/admin/campaigns/{{c['name']}}/delete" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger" id="delete-campaign">Delete the campaign and its list</button></form>
</section>

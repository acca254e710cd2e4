% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head">
  <h1>Calls</h1>
  <span class="muted" id="count">{{total}} {{'call' if total == 1 else 'calls'}}</span>
  <span class="spacer"></span>
  <span class="muted" id="updated">Updated {{updated}}</span>
  <label class="auto"><input type="checkbox" id="auto" checked> Auto-refresh</label>
  <a class="button" id="refresh" href="{{self_url}}">Refresh</a>
</section>
<form class="filters" method="get" action="/calls">
  <label>Queue <input name="queue" value="{{filters.get('queue', '')}}" size="10"></label>
% if all_calls:
  <label>Agent <input name="agent" value="{{filters.get('agent', '')}}" size="6"></label>
% end
  <label>Result
    <select name="disposition">
      <option value="">any</option>
% for d in dispositions:
      <option value="{{d}}" {{'selected' if filters.get('disposition') == d else ''}}>{{d}}</option>
% end
    </select>
  </label>
  <button type="submit">Show</button>
% if filters:
  <a href="/calls">Clear</a>
% end
</form>
<div class="scroll">
<table id="calls">
  <thead>
    <tr><th>Time</th><th>Caller</th><th>DID</th><th>Queue</th><th>Agent</th>
        <th class="num">Wait</th><th class="num">Talk</th><th>Result</th><th>Recording</th></tr>
  </thead>
  <tbody id="calls-body">
% for c in calls:
    <tr data-call="{{c['id']}}">
      <td><time datetime="{{c['started_at']}}">{{c['time']}}</time></td>
      <td>{{c['caller']}}</td>
      <td>{{c['did']}}</td>
      <td>{{c['queue']}}</td>
      <td>{{c['agent']}}</td>
      <td class="num">{{c['wait']}}</td>
      <td class="num">{{c['talk']}}</td>
      <td><span class="disp disp-{{c['disposition']}}" title="{{c['failure_reason'] or c['hangup_by'] + ' hung up'}}">{{c['disposition']}}</span></td>
      <td>
% if c['recording'] and (can('recordings.play') or can('recordings.download')):
        <a class="rec" href="/recordings?call={{c['id']}}">recorded ▶</a>
% elif c['recording']:
        <span class="rec">recorded</span>
% else:
        <span class="muted">–</span>
% end
      </td>
    </tr>
% end
% if not calls:
    <tr class="empty"><td colspan="9">No calls yet.</td></tr>
% end
  </tbody>
</table>
</div>
<nav class="pages" id="pages">
% if newer:
  <a href="{{newer}}">← Newer</a>
% end
% if older:
  <a href="{{older}}">Older →</a>
% end
</nav>
<script src="/static/calls.js"></script>

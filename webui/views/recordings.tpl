% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head">
  <h1>Recordings</h1>
  <span class="muted" id="count">{{total}} {{'recording' if total == 1 else 'recordings'}}</span>
</section>
<form class="filters" method="get" action="/recordings">
  <label>From <input name="since" type="date" value="{{filters.get('since', '')}}"></label>
  <label>To <input name="until" type="date" value="{{filters.get('until', '')}}"></label>
% if can('calls.read_all'):
  <label>Agent <input name="agent" value="{{filters.get('agent', '')}}" size="6"></label>
% end
  <label>Queue <input name="queue" value="{{filters.get('queue', '')}}" size="10"></label>
  <label>Number <input name="number" value="{{filters.get('number', '')}}" size="14" inputmode="tel"></label>
  <button type="submit">Search</button>
% if filters:
  <a href="/recordings">Clear</a>
% end
</form>
<div class="scroll">
<table id="recordings">
  <thead><tr><th>Time</th><th>Caller</th><th>Queue</th><th>Agent</th><th class="num">Length</th><th>Listen</th></tr></thead>
  <tbody>
% for x in rows:
    <tr data-recording="{{x['path']}}">
      <td>{{x['time']}}</td>
      <td>{{' '.join(v for v in (x.get('caller_name') or '', x.get('caller_number') or '') if v)}}</td>
      <td>{{x.get('queue') or ''}}</td>
      <td>{{x.get('agent') or ''}}</td>
      <td class="num">{{x['length']}}</td>
      <td class="player">
%   if can('recordings.play'):
        <audio controls preload="none" src="{{x['play']}}"></audio>
%   end
%   if can('recordings.download'):
        <a href="{{x['download']}}" class="download">Download</a>
%   end
      </td>
    </tr>
% end
% if not rows:
    <tr class="empty"><td colspan="6">No recordings found.</td></tr>
% end
  </tbody>
</table>
</div>
<nav class="pages">
% if newer:
  <a href="{{newer}}">← Newer</a>
% end
% if older:
  <a href="{{older}}">Older →</a>
% end
</nav>

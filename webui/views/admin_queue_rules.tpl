% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Queue rules</h1><span class="spacer"></span><a href="/admin/queues">Queue settings</a><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<p class="muted">What each queue does for its callers: longest queue (max_len), join/leave when empty, overflow target, position and wait announcements, a periodic prompt, an exit key, the callback offer, announcing the agent, whispering the queue to the agent, the survey after the call, the language. Fields left out keep their value.</p>
% for q in queues:
<section class="panel" data-queue="{{q['name']}}">
  <h2>{{q['name']}}</h2>
  <form method="post" action="/admin/queue-rules/{{q['name']}}" class="stack">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <textarea name="rules" rows="12" class="code" aria-label="Rules of {{q['name']}} (JSON)">{{q['rules']}}</textarea>
    <button type="submit">Save rules</button>
  </form>
</section>
% end
% if not queues:
<p class="muted">No queues yet: <a href="/admin/queues">add one</a>.</p>
% end

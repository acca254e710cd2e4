% rebase('base.tpl', title=title, user=user, nav=nav, body_class=body_class)
<section class="head">
  <h1>Desk</h1>
  <span class="badge" id="live-status">connecting…</span>
  <span class="spacer"></span>
% if seat:
  <span id="my-state" data-seat="{{seat}}">Seat {{seat}}:
    <strong id="state-name">{{me_agent['state'] if me_agent else 'logged-out'}}</strong>
    <span data-secs="{{(me_agent or {}).get('in_state_s') or 0}}" data-ticking="{{1 if me_agent and me_agent['in_state_s'] is not None else 0}}" id="state-time"></span>
    · <span id="calls-today">{{me_agent['calls_today'] if me_agent else 0}}</span> calls today
  </span>
% else:
  <span class="muted" id="my-state" data-seat="">No seat is assigned to you; ask an admin.</span>
% end
</section>
<div class="grid">
<section class="panel" id="offer">
  <h2>Current call</h2>
  <p class="muted" id="offer-empty">No call offered. A call offered to your phone appears here with what is known of the caller.</p>
  <div id="pop" hidden>
    <p><strong id="pop-caller"></strong> <span class="badge" id="pop-phase"></span></p>
    <p id="pop-customer"></p>
    <h3>Open tickets</h3><ul class="list" id="pop-tickets"></ul>
    <h3>Last contacts</h3><ul class="list" id="pop-history"></ul>
  </div>
  <form id="after-call" method="post" hidden class="stack">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <input type="hidden" name="call_id" id="ac-call">
    <label for="ac-note">Note about this call</label>
    <textarea id="ac-note" name="body" rows="2"></textarea>
    <button type="submit" id="ac-save">Save note to the customer</button>
    <a id="ac-ticket" href="/tickets/new">Open a ticket for this call</a>
  </form>
  <p class="muted">Answer, hold, transfer and hang up on your phone; pausing, queue log-in and click-to-call from here wait for the daemon's agent commands.</p>
</section>
<section class="panel">
  <h2>Announcements</h2>
  <ul class="list" id="desk-notes">
% for n in notes:
    <li class="{{'pinned' if n['pinned'] else ''}}"><strong>{{n['title']}}</strong> <span class="muted">{{n['time']}}</span><div class="pre">{{n['body']}}</div></li>
% end
% if not notes:
    <li class="muted">Nothing new.</li>
% end
  </ul>
</section>
</div>
<section class="panel">
  <h2>My recent calls <a href="/calls" class="small">all</a></h2>
  <div class="scroll">
  <table id="recent"><thead><tr><th>Time</th><th>Caller</th><th>Queue</th><th class="num">Talk</th><th>Result</th></tr></thead><tbody>
% for c in recent:
    <tr data-call="{{c['id']}}"><td>{{c['time']}}</td><td>{{c['caller']}}</td><td>{{c['queue']}}</td><td class="num">{{c['talk']}}</td><td><span class="disp disp-{{c['disposition']}}">{{c['disposition']}}</span></td></tr>
% end
% if not recent:
    <tr class="empty"><td colspan="5">No calls yet.</td></tr>
% end
  </tbody></table>
  </div>
</section>
<script src="/static/live.js"></script>

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
% if can('desk.agent') and seat:
  <div id="call-controls" class="controls" data-csrf="{{user['csrf']}}">
    <p><span class="badge" id="call-state">no call</span> <span id="call-info" class="muted"></span></p>
    <div class="buttons">
      <button type="button" data-act="call/answer" id="answer">Answer</button>
      <button type="button" data-act="call/hold" id="hold">Hold</button>
      <button type="button" data-act="call/resume" id="resume">Resume</button>
      <button type="button" data-act="call/hangup" id="hangup" class="danger">Hang up</button>
%   if can('recordings.control'):
      <button type="button" data-act="call/record" data-on="1" id="record-on">Record</button>
      <button type="button" data-act="call/record" data-on="0" id="record-off">Stop recording</button>
%   end
    </div>
    <label for="xfer-target">Transfer or conference to (seat, queue:NAME or number)</label>
    <div class="buttons">
      <input id="xfer-target" maxlength="80" placeholder="202">
      <button type="button" id="xfer-blind">Blind transfer</button>
      <button type="button" id="xfer-attended">Consult first</button>
      <button type="button" data-act="call/complete-transfer" id="xfer-complete">Complete transfer</button>
      <button type="button" data-act="call/cancel-transfer" id="xfer-cancel">Back to caller</button>
      <button type="button" id="conference">Conference</button>
    </div>
  </div>
% end
</section>
% if can('desk.agent') and seat:
<section class="panel" id="agent-panel">
  <h2>My queues and state</h2>
% if desk_error:
  <p class="error" id="desk-error">{{desk_error}}</p>
% end
  <div class="buttons">
    <button type="button" data-act="login" id="q-login">Log in to my queues</button>
    <button type="button" data-act="logout" id="q-logout">Log out of my queues</button>
    <button type="button" data-act="available" id="available">Available</button>
  </div>
  <div class="buttons">
    <select id="pause-reason" aria-label="Pause reason">
% for r in lists['pause_reasons']:
      <option value="{{r['code']}}">{{r['label']}}</option>
% end
    </select>
    <button type="button" id="pause">Pause</button>
  </div>
% if can('desk.outbound'):
  <form id="dial-form" class="buttons">
    <label for="dial-number">Call a number</label>
    <input id="dial-number" inputmode="tel" maxlength="24" placeholder="+8613812345678" required>
    <button type="submit" id="dial">Call</button>
  </form>
% end
  <p id="desk-msg" role="status" class="muted"></p>
</section>
<section class="panel" id="wrapup-panel">
  <h2>After the call <span class="badge" id="wrap-left" hidden></span></h2>
  <p class="muted" id="wrap-none">Nothing to wrap up.</p>
  <form id="wrapup-form" class="stack" hidden>
    <input type="hidden" id="wrap-call">
    <label for="disposition">Disposition</label>
    <select id="disposition">
% for d in lists['dispositions']:
      <option value="{{d['code']}}">{{d['label']}}</option>
% end
    </select>
    <label for="wrap-note">Note</label>
    <textarea id="wrap-note" rows="2" maxlength="2000"></textarea>
    <label><input type="checkbox" id="wrap-ready" checked> ready for the next call</label>
    <button type="submit" id="wrap-save">Save disposition</button>
  </form>
</section>
% end
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
<script src="/static/desk.js"></script>

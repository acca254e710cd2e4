% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head">
  <h1>#{{t['id']}} {{t['subject']}}</h1>
  <span class="badge" id="state">{{t['state']}}</span>
  <span class="badge prio-{{t['priority']}}">{{t['priority']}}</span>
</section>
<div class="grid">
<section class="panel">
  <dl class="facts">
    <dt>Type</dt><dd>{{t['type']}}</dd>
    <dt>Customer</dt><dd>
% if t['customer_id']:
      <a href="/customers/{{t['customer_id']}}">{{t['customer_name'] or t['customer_id']}}</a>
% else:
      –
% end
    </dd>
    <dt>Assignee</dt><dd id="assignee">{{t['assignee'] or '–'}}{{' / ' + t['team'] if t['team'] else ''}}</dd>
    <dt>Due</dt><dd>{{t['due'] or '–'}}</dd>
    <dt>Escalation</dt><dd>{{t['escalated_to'] if t['escalation_level'] else 'none'}}</dd>
% if t['call_id']:
    <dt>Call</dt><dd><a href="/recordings?call={{t['call_id']}}">{{t['call_id'][:8]}}</a></dd>
% end
  </dl>
  <p class="pre">{{t['description']}}</p>
</section>
% if can('tickets.write'):
<section class="panel">
  <h2>Move</h2>
  <form method="post" action="/tickets/{{t['id']}}/transition" class="stack" id="move-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label for="event">Action</label>
    <select id="event" name="event">
% for ev, text in moves:
      <option value="{{ev}}">{{ev}} – {{text}}</option>
% end
    </select>
    <label for="assignee-in">Assign to (user name, for assign)</label>
    <input id="assignee-in" name="assignee" placeholder="{{user['username']}}">
    <input type="hidden" name="to_me" value="1">
    <label for="note">Note</label><input id="note" name="note">
    <button type="submit" id="move">Apply</button>
  </form>
  <h2>Comment</h2>
  <form method="post" action="/tickets/{{t['id']}}/comments" class="stack">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <textarea name="body" rows="3" required id="comment"></textarea>
    <button type="submit" id="add-comment">Comment</button>
  </form>
</section>
% end
</div>
<section class="panel">
  <h2>History</h2>
  <ul class="timeline" id="events">
% for e in reversed(t['events']):
    <li><time>{{e['time']}}</time> <strong>{{e['kind']}}</strong> {{e['actor']}}
%   if e['from_state'] != e['to_state']:
      {{e['from_state'] or ''}} → {{e['to_state']}}
%   end
%   if e['detail'].get('body') or e['detail'].get('note'):
      : {{e['detail'].get('body') or e['detail'].get('note')}}
%   end
    </li>
% end
  </ul>
</section>

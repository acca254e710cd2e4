% rebase('base.tpl', title=title, user=user, nav=nav)
% c = customer
<section class="head">
  <h1 id="customer-name">{{c['name'] or '(no name)'}}</h1>
  <span class="muted">{{c['company']}}</span>
  <span class="spacer"></span>
% if can('customers.write'):
  <a class="button" href="/customers/{{c['id']}}?edit=1" id="edit">Edit</a>
% end
% if can('tickets.write'):
  <a class="button" href="/tickets/new?customer={{c['id']}}" id="new-ticket">New ticket</a>
% end
</section>
<div class="grid">
<section class="panel">
  <h2>Details</h2>
% if edit and can('customers.write'):
  <form method="post" action="/customers/{{c['id']}}" class="stack" id="edit-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label for="name">Name</label><input id="name" name="name" value="{{c['name']}}" required>
    <label for="company">Company</label><input id="company" name="company" value="{{c['company']}}">
%   if can('numbers.unmasked'):
    <label for="phones">Phone numbers (one a line)</label>
    <textarea id="phones" name="phones" rows="3">{{'\n'.join(p['number'] for p in c['phones'])}}</textarea>
%   else:
    <p class="muted">Phone numbers: {{', '.join(p['number'] for p in c['phones']) or '–'}} (shown masked; a supervisor can change them)</p>
%   end
    <label for="email">E-mail</label><input id="email" name="email" value="{{c['email']}}">
    <label for="address">Address</label><input id="address" name="address" value="{{c['address']}}">
    <label for="tags">Tags</label><input id="tags" name="tags" value="{{', '.join(c['tags'])}}">
    <input type="hidden" name="custom_form" value="1">
    % include('custom_inputs.tpl', fields=fields, values=c['custom'])
    <button type="submit" id="save">Save</button>
  </form>
% else:
  <dl class="facts">
    <dt>Phones</dt><dd id="phones">{{', '.join(p['number'] + (' (' + p['label'] + ')' if p['label'] else '') for p in c['phones']) or '–'}}</dd>
    <dt>E-mail</dt><dd>{{c['email'] or '–'}}</dd>
    <dt>Address</dt><dd>{{c['address'] or '–'}}</dd>
    <dt>Tags</dt><dd>{{', '.join(c['tags']) or '–'}}</dd>
    <dt>Owner</dt><dd>{{c['owner'] or '–'}}</dd>
% labels = {d['name']: d['label'] for d in fields}
% for k, v in c['custom'].items():
%   if v is not None and v != []:
    <dt>{{labels.get(k, k)}}</dt><dd data-field="{{k}}">{{', '.join(v) if isinstance(v, list) else v}}</dd>
%   end
% end
  </dl>
% end
% if can('desk.outbound') and user.get('seat') and c['phones']:
  <div class="buttons" id="call-customer">
%   for i, ph in enumerate(c['phones']):
    <form method="post" action="/desk/dial-customer">
      <input type="hidden" name="csrf" value="{{user['csrf']}}">
      <input type="hidden" name="customer_id" value="{{c['id']}}">
      <input type="hidden" name="phone" value="{{i}}">
      <button type="submit" class="call-phone" data-phone="{{i}}">Call {{ph['number']}}</button>
    </form>
%   end
  </div>
% end
% if can('customers.delete'):
  <form method="post" action="/customers/{{c['id']}}/delete" class="inline">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <button type="submit" class="danger" id="delete">Delete customer</button>
  </form>
% end
</section>
<section class="panel">
  <h2>Open tickets</h2>
  <ul class="list" id="open-tickets">
% for t in c.get('open_tickets', []):
    <li><a href="/tickets/{{t['id']}}">#{{t['id']}} {{t['subject']}}</a> <span class="badge">{{t['state']}}</span> <span class="badge prio-{{t['priority']}}">{{t['priority']}}</span></li>
% end
% if not c.get('open_tickets'):
    <li class="muted">None.</li>
% end
  </ul>
</section>
</div>
<section class="panel">
  <h2>Timeline</h2>
% if can('customers.write'):
  <form method="post" action="/customers/{{c['id']}}/notes" class="note-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label for="note">Add a note</label>
    <textarea id="note" name="body" rows="2" maxlength="5000" required></textarea>
    <button type="submit" id="add-note">Add note</button>
  </form>
% end
  <ul class="timeline" id="timeline">
% for t in timeline:
    <li class="tl-{{t['kind']}}"><time>{{t['time']}}</time> <strong>{{t['kind']}}</strong>
%   if t['kind'] == 'note':
      {{t.get('author', '')}}: {{t.get('body', '')}}
%   elif t['kind'] == 'call':
      {{t.get('disposition', '')}} · {{t.get('queue', '')}} · agent {{t.get('agent', '')}}
%   else:
      {{t.get('subject') or t.get('to_state') or t.get('answer') or ''}}
%   end
    </li>
% end
% if not timeline:
    <li class="muted">Nothing yet.</li>
% end
  </ul>
</section>

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head">
  <h1>Tickets</h1>
  <span class="muted" id="count">{{total}} {{'ticket' if total == 1 else 'tickets'}}</span>
  <span class="spacer"></span>
% if can('tickets.write'):
  <a class="button" href="/tickets/new" id="new-ticket">New ticket</a>
% end
</section>
<form class="filters" method="get" action="/tickets">
  <label>State <select name="state"><option value="">any</option>
% for s in states:
    <option value="{{s}}" {{'selected' if filters.get('state') == s else ''}}>{{s}}</option>
% end
  </select></label>
  <label>Priority <select name="priority"><option value="">any</option>
% for s in priorities:
    <option value="{{s}}" {{'selected' if filters.get('priority') == s else ''}}>{{s}}</option>
% end
  </select></label>
  <label>Assignee <input name="assignee" value="{{filters.get('assignee', '')}}" size="8"></label>
  <label class="check"><input type="checkbox" name="overdue" value="1" {{'checked' if filters.get('overdue') else ''}}> overdue</label>
  <button type="submit">Show</button>
% if filters:
  <a href="/tickets">Clear</a>
% end
</form>
<div class="scroll">
<table id="tickets">
  <thead><tr><th>#</th><th>Subject</th><th>Customer</th><th>State</th><th>Priority</th><th>Assignee</th><th>Due</th><th>Level</th></tr></thead>
  <tbody>
% for t in tickets:
    <tr data-ticket="{{t['id']}}" class="{{'escalated' if t['escalation_level'] else ''}}">
      <td>{{t['id']}}</td>
      <td><a href="/tickets/{{t['id']}}">{{t['subject']}}</a></td>
      <td>{{t['customer_name'] or ''}}</td>
      <td><span class="badge">{{t['state']}}</span></td>
      <td><span class="badge prio-{{t['priority']}}">{{t['priority']}}</span></td>
      <td>{{t['assignee'] or ''}}{{' / ' + t['team'] if t['team'] else ''}}</td>
      <td>{{t['due']}}</td>
      <td>{{t['escalated_to'] if t['escalation_level'] else ''}}</td>
    </tr>
% end
% if not tickets:
    <tr class="empty"><td colspan="8">No tickets.</td></tr>
% end
  </tbody>
</table>
</div>
<nav class="pages">
% if newer:
  <a href="{{newer}}">← Previous</a>
% end
% if older:
  <a href="{{older}}">Next →</a>
% end
</nav>

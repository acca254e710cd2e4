% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>CRM settings</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
<section class="panel">
  <h2>Customer custom fields</h2>
  <div class="scroll"><table id="fields"><thead><tr><th>Name</th><th>Label</th><th>Type</th><th>Choices</th><th>Required</th><th>In list</th></tr></thead><tbody>
% for x in fields:
    <tr><td>{{x['name']}}</td><td>{{x['label']}}</td><td>{{x['type']}}</td><td>{{', '.join(x['choices'])}}</td><td>{{'yes' if x['required'] else ''}}</td><td>{{'yes' if x['in_list'] else ''}}</td></tr>
% end
% if not fields:
    <tr class="empty"><td colspan="6">No custom fields.</td></tr>
% end
  </tbody></table></div>
% if can('customers.admin'):
  <form method="post" action="/admin/crm/fields" class="form-grid" id="field-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Name <input name="name" required maxlength="32"></label>
    <label>Label <input name="label" required maxlength="64"></label>
    <label>Type <select name="type">
% for t in field_types:
      <option value="{{t}}">{{t}}</option>
% end
    </select></label>
    <label>Choices (comma separated) <input name="choices"></label>
    <label class="check"><input type="checkbox" name="required" value="1"> required</label>
    <label class="check"><input type="checkbox" name="in_list" value="1"> in the list</label>
    <button type="submit" id="save-field">Save field</button>
  </form>
% end
</section>
<section class="panel">
  <h2>Ticket types</h2>
  <ul class="list" id="types">
% for t in types:
    <li><strong>{{t['name']}}</strong> {{t['label']}}{{' (built-in)' if t['builtin'] else ''}}</li>
% end
  </ul>
% if can('tickets.admin'):
  <form method="post" action="/admin/crm/types" class="form-grid" id="type-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Name <input name="name" required maxlength="32"></label>
    <label>Label <input name="label" required maxlength="64"></label>
    <button type="submit" id="save-type">Save type</button>
  </form>
% end
</section>
<section class="panel">
  <h2>SLA table</h2>
  <div class="scroll"><table id="sla"><thead><tr><th>Type</th><th>Priority</th><th class="num">Due after</th><th class="num">Escalate after</th></tr></thead><tbody>
% for x in sla:
    <tr><td>{{x['type']}}</td><td>{{x['priority']}}</td><td class="num">{{x['due_s'] // 60}} min</td><td class="num">{{x['escalate_s'] // 60}} min</td></tr>
% end
  </tbody></table></div>
% if can('tickets.admin'):
  <form method="post" action="/admin/crm/sla" class="form-grid" id="sla-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Type <select name="type">
% for t in types:
      <option value="{{t['name']}}">{{t['name']}}</option>
% end
    </select></label>
    <label>Priority <select name="priority">
% for p in priorities:
      <option value="{{p}}">{{p}}</option>
% end
    </select></label>
    <label>Due after (min) <input name="due_min" size="5" inputmode="numeric" required></label>
    <label>Escalate after (min) <input name="escalate_min" size="5" inputmode="numeric" required></label>
    <button type="submit" id="save-sla">Save row</button>
  </form>
% end
</section>

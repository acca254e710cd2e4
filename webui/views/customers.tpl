% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head">
  <h1>Customers</h1>
  <span class="muted" id="count">{{total}} {{'customer' if total == 1 else 'customers'}}</span>
  <span class="spacer"></span>
% if can('customers.write'):
  <a class="button" href="/customers/new" id="new-customer">New customer</a>
% end
% if can('customers.import'):
  <a class="button" href="/customers/import" id="import">Import</a>
% end
</section>
<form class="filters" method="get" action="/customers">
  <label>Name, company or e-mail <input name="q" value="{{filters.get('q', '')}}" size="18" id="q"></label>
  <label>Phone number <input name="phone" value="{{filters.get('phone', '')}}" size="14" inputmode="tel" id="phone"></label>
  <label>Tag <input name="tag" value="{{filters.get('tag', '')}}" size="8"></label>
  <button type="submit" id="search">Search</button>
% if filters:
  <a href="/customers">Clear</a>
% end
</form>
<form class="filters" method="get" action="/customers" id="view-form">
  <label>Saved view <select name="view" id="view">
    <option value="">– none (all columns by default) –</option>
% for v in views:
    <option value="{{v['id']}}"{{' selected' if view and view['id'] == v['id'] else ''}}>{{v['name']}}{{' (shared)' if v['shared'] else ''}}</option>
% end
  </select></label>
  <button type="submit" id="apply-view">Show</button>
</form>
% if view:
<p class="muted" id="view-info">View <strong>{{view['name']}}</strong> by {{view['owner'] or '–'}}: {{'; '.join(k + ' = ' + str(v) for k, v in view['filters'].items()) or 'no filters'}}.</p>
% end
<div class="scroll">
<table id="customers">
  <thead><tr>
% for col in columns:
    <th>{{labels[col]}}</th>
% end
  </tr></thead>
  <tbody>
% for c in customers:
    <tr data-customer="{{c['id']}}">
%   for col in columns:
%     if col == 'name':
      <td><a href="/customers/{{c['id']}}">{{c['name'] or '(no name)'}}</a></td>
%     elif col == 'phones':
      <td>{{', '.join(p['number'] for p in c['phones'])}}</td>
%     elif col == 'tags':
      <td>{{', '.join(c['tags'])}}</td>
%     elif col.startswith('custom.'):
%       v = c['custom'].get(col[7:])
      <td>{{'' if v is None else ', '.join(v) if isinstance(v, list) else v}}</td>
%     else:
      <td>{{c.get(col) or ''}}</td>
%     end
%   end
    </tr>
% end
% if not customers:
    <tr class="empty"><td colspan="{{len(columns)}}">No customers found.</td></tr>
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
<details class="panel" id="save-view"{{' open' if view else ''}}><summary>Save these filters and columns as a view</summary>
<form method="post" action="/customers/views" class="stack" id="save-view-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
% for k, v in view_filters.items():
  <input type="hidden" name="f_{{k}}" value="{{v}}">
% end
  <p class="muted">Filters kept: {{'; '.join(k + ' = ' + str(v) for k, v in view_filters.items()) or 'none'}} (a phone number is never kept).</p>
  <label for="view-name">Name</label><input name="name" id="view-name" required maxlength="64" value="{{view['name'] if view else ''}}">
  <fieldset id="view-columns"><legend>Columns</legend>
% for col, label in labels.items():
    <label class="check"><input type="checkbox" name="column" value="{{col}}"{{' checked' if col in columns else ''}}> {{label}}</label>
% end
  </fieldset>
% if can('customers.admin'):
  <label class="check"><input type="checkbox" name="shared" value="1" id="view-shared"{{' checked' if view and view['shared'] else ''}}> shared with everyone</label>
% end
  <button type="submit" id="save-view-button">Save view</button>
</form>
% if view:
<form method="post" action="/customers/views/{{view['id']}}/delete" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger" id="delete-view">Delete view {{view['name']}}</button></form>
% end
</details>

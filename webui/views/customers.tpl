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
<div class="scroll">
<table id="customers">
  <thead><tr><th>Name</th><th>Company</th><th>Phones</th><th>Tags</th><th>Owner</th></tr></thead>
  <tbody>
% for c in customers:
    <tr data-customer="{{c['id']}}">
      <td><a href="/customers/{{c['id']}}">{{c['name'] or '(no name)'}}</a></td>
      <td>{{c['company']}}</td>
      <td>{{', '.join(p['number'] for p in c['phones'])}}</td>
      <td>{{', '.join(c['tags'])}}</td>
      <td>{{c['owner'] or ''}}</td>
    </tr>
% end
% if not customers:
    <tr class="empty"><td colspan="5">No customers found.</td></tr>
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

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Roles</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
<div class="scroll">
<table id="roles">
  <thead><tr><th>Role</th><th>Kind</th><th>Permissions</th><th></th></tr></thead>
  <tbody>
% for r in roles:
    <tr data-role="{{r['name']}}"><td>{{r['name']}}</td><td>{{'built-in' if r['builtin'] else 'custom'}}</td>
      <td class="wrap">{{', '.join(r['permissions'])}}</td>
      <td>
%   if not r['builtin']:
        <form method="post" action="/admin/roles/{{r['name']}}/delete" class="inline">
          <input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="link">Delete</button>
        </form>
%   end
      </td></tr>
% end
  </tbody>
</table>
</div>
<section class="panel">
  <h2>Add or change a custom role</h2>
  <form method="post" action="/admin/roles" class="stack" id="role-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label for="r-name">Name</label><input id="r-name" name="name" required maxlength="32">
    <label for="r-desc">Description</label><input id="r-desc" name="description" maxlength="200">
    <fieldset class="perms">
% for name, text in catalogue.items():
      <label class="check"><input type="checkbox" name="permission" value="{{name}}"> <code>{{name}}</code> – {{text}}</label>
% end
    </fieldset>
    <button type="submit" id="save-role">Save role</button>
  </form>
</section>

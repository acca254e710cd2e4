% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>API tokens</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if created:
<section class="panel good" id="token-created">
  <h2>Token {{created['name']}} created</h2>
  <p>Copy it now; it is not shown again. Send it as <code>Authorization: Bearer …</code>.</p>
  <pre class="secret" id="token-secret">{{created['token']}}</pre>
</section>
% end
<div class="scroll">
<table id="tokens">
  <thead><tr><th>Name</th><th>Role</th><th>Created</th><th>Last used</th><th>State</th><th></th></tr></thead>
  <tbody>
% for t in tokens:
    <tr><td>{{t['name']}}</td><td>{{t['role']}}</td><td>{{t.get('created_at') or ''}}</td><td>{{t.get('last_used') or ''}}</td>
      <td>{{'revoked' if t.get('revoked_at') else 'active'}}</td>
      <td>
%   if not t.get('revoked_at'):
        <form method="post" action="/admin/tokens/{{t['name']}}/revoke" class="inline">
          <input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="link">Revoke</button>
        </form>
%   end
      </td></tr>
% end
  </tbody>
</table>
</div>
<section class="panel">
  <h2>New token</h2>
  <form method="post" action="/admin/tokens" class="form-grid" id="token-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Integration name <input name="name" required maxlength="32"></label>
    <label>Role <select name="role">
% for r in roles:
      <option value="{{r}}">{{r}}</option>
% end
    </select></label>
    <button type="submit" id="create-token">Create token</button>
  </form>
</section>

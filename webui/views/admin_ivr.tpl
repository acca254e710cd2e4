% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>IVR trees</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
% if checked:
<p class="ok" role="status" id="check-ok">{{checked}}</p>
% end
<section class="panel"><h2>Edit a tree</h2>
<form method="post" action="/admin/ivr" class="stack" id="ivr-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label for="ivr-name">Name</label><input name="name" id="ivr-name" required maxlength="32" value="{{tree_name}}">
  <label for="ivr-tree">Tree (JSON: start, language, nodes)</label>
  <textarea name="tree" id="ivr-tree" rows="16" class="code">{{text or '{"start": "main", "language": "en", "nodes": {"main": {"type": "menu", "prompt": {"text": "For sales press 1, for support press 2"}, "options": {"1": "queue:sales", "2": "queue:support"}}}}'}}</textarea>
  <div class="buttons">
    <button type="submit" name="action" value="check" id="ivr-check">Check</button>
    <button type="submit" name="action" value="save" id="ivr-save">Save</button>
  </div>
</form>
<details><summary>Node types and their fields</summary>
<ul class="list" id="ivr-schema">
% for t, fields in schema['node_types'].items():
  <li><strong>{{t}}</strong>: {{', '.join(k + ' (' + v['kind'] + (', required' if v['required'] else '') + ')' for k, v in fields.items())}}</li>
% end
  <li><strong>targets</strong>: {{', '.join(schema['targets'])}}</li>
  <li><strong>languages</strong>: {{', '.join(schema['languages'])}}</li>
</ul></details>
</section>
% for t in trees:
<section class="panel" data-tree="{{t['name']}}">
  <h2>{{t['name']}}</h2>
  <pre class="code">{{t['json']}}</pre>
  <form method="post" action="/admin/ivr/{{t['name']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">Delete</button></form>
</section>
% end

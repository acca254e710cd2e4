% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Prompts</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<div class="scroll"><table id="prompts"><thead><tr><th>Name</th><th>File</th><th>English</th><th>Chinese</th><th>Listen</th><th></th></tr></thead><tbody>
% for x in prompts:
  <tr data-prompt="{{x['name']}}"><td>{{x['name']}}</td><td>{{x['file'] or '–'}}</td><td class="wrap">{{x['texts'].get('en', '')}}</td><td class="wrap">{{x['texts'].get('zh', '')}}</td>
    <td><audio controls preload="none" src="/api/inbound/prompts/{{x['name']}}/audio"></audio></td>
    <td><form method="post" action="/admin/prompts/{{x['name']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">delete</button></form></td></tr>
% end
% if not prompts:
  <tr class="empty"><td colspan="6">No named prompts yet.</td></tr>
% end
</tbody></table></div>
<section class="panel"><h2>Add or change a prompt</h2>
<form method="post" action="/admin/prompts" class="stack" id="prompt-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label for="p-name">Name</label><input name="name" id="p-name" required maxlength="32">
  <label for="p-en">Text in English (spoken by espeak-ng)</label><textarea name="text_en" id="p-en" rows="2"></textarea>
  <label for="p-zh">Text in Chinese</label><textarea name="text_zh" id="p-zh" rows="2"></textarea>
  <label for="p-file">Or a WAV file under var/prompts (8 kHz mono)</label><input name="file" id="p-file" maxlength="200" placeholder="welcome.wav">
  <button type="submit" id="save-prompt">Save prompt</button>
</form>
<p class="muted">Uploading a WAV from the browser is not built: copy the file to var/prompts on the box and name it here.</p>
</section>

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Prompts</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<div class="scroll"><table id="prompts"><thead><tr><th>Name</th><th>Recordings</th><th>English</th><th>Chinese</th><th>Listen</th><th></th></tr></thead><tbody>
% for x in prompts:
  <tr data-prompt="{{x['name']}}"><td>{{x['name']}}</td>
    <td class="recordings">{{('every language: ' + x['file']) if x['file'] else ('–' if not x['files'] else '')}}
%   for lang, rel in x['files'].items():
      <div data-language="{{lang}}">{{lang}}: {{rel}} <form method="post" action="/admin/prompts/{{x['name']}}/recordings/{{lang}}/delete" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="link">remove</button></form></div>
%   end
    </td>
    <td class="wrap">{{x['texts'].get('en', '')}}</td><td class="wrap">{{x['texts'].get('zh', '')}}</td>
    <td>
%   for lang in languages:
      <div class="listen">{{lang}} <audio controls preload="none" data-language="{{lang}}" src="/api/inbound/prompts/{{x['name']}}/audio?language={{lang}}"></audio></div>
%   end
    </td>
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
</section>
<section class="panel"><h2>Upload a recording</h2>
<form method="post" action="/admin/prompts/upload" enctype="multipart/form-data" class="stack" id="upload-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label for="u-name">Prompt name (a new one, or an existing one to replace its sound)</label><input name="name" id="u-name" required maxlength="32" list="prompt-names">
  <datalist id="prompt-names">
% for x in prompts:
    <option value="{{x['name']}}">
% end
  </datalist>
  <label for="u-language">For</label><select name="language" id="u-language"><option value="">every language</option>
% for lang in languages:
    <option value="{{lang}}">{{ {'en': 'English', 'zh': 'Chinese'}.get(lang, lang) }} callers only</option>
% end
  </select>
  <label for="u-wav">WAV file: 8 kHz, mono, 16-bit PCM, or A-law / µ-law (converted on the box); at most {{max_mib}} MiB</label><input type="file" name="wav" id="u-wav" accept=".wav,audio/wav" required>
  <button type="submit" id="upload-prompt">Upload</button>
</form>
<p class="muted">A caller hears the recording of their language if there is one, else the recording for every language, else the text in their language (spoken by espeak-ng). Other formats are refused with the reason; convert with <code>sox in.wav -r 8000 -c 1 -b 16 -e signed-integer out.wav</code>.</p>
</section>

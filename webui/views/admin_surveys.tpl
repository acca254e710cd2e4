% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Surveys</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<p class="muted">A queue plays a survey after the call when its rules name it (<a href="/admin/queue-rules">Queue rules</a>, field <code>survey</code>). The caller answers each question with a key; CSAT counts the answers whose digit is among the satisfied ones.</p>
<div class="scroll"><table id="surveys"><thead><tr><th>Name</th><th>Language</th><th>Active</th><th>Questions and scale</th><th>Queues</th><th></th></tr></thead><tbody>
% for s in surveys:
  <tr data-survey="{{s['name']}}"><td>{{s['name']}}</td><td>{{s['language']}}</td><td>{{'yes' if s['active'] else 'off'}}</td>
    <td class="wrap"><ol>
% for q in s['questions']:
      <li>{{q['text']}} <span class="muted">({{pairs(q['choices'])}}; scores {{pairs(q['scores'])}}; satisfied {{', '.join(q['satisfied'])}})</span></li>
% end
    </ol></td>
    <td>{{', '.join(s['queues']) or '–'}}</td>
    <td><a href="/admin/surveys?edit={{s['name']}}" class="edit">edit</a>
      <form method="post" action="/admin/surveys/{{s['name']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">delete</button></form></td></tr>
% end
% if not surveys:
  <tr class="empty"><td colspan="6">No surveys yet.</td></tr>
% end
</tbody></table></div>
<section class="panel"><h2>{{'Change survey ' + edit['name'] if edit else 'New survey'}}</h2>
<form method="post" action="/admin/surveys" class="stack" id="survey-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label for="s-name">Name</label><input name="name" id="s-name" required maxlength="32" value="{{edit['name'] if edit else ''}}">
  <label for="s-language">Spoken in</label><select name="language" id="s-language">
% for lang, label in (('en', 'English'), ('zh', 'Chinese')):
    <option value="{{lang}}"{{' selected' if edit and edit['language'] == lang else ''}}>{{label}}</option>
% end
  </select>
  <label class="check"><input type="checkbox" name="active" value="1" id="s-active"{{' checked' if not edit or edit['active'] else ''}}> active (played after calls)</label>
% for i in range(slots):
%   q = edit['questions'][i] if edit and i < len(edit['questions']) else None
  <fieldset id="q{{i}}"><legend>Question {{i + 1}}{{'' if q or i == 0 else ' (leave empty to skip)'}}</legend>
    <label for="q{{i}}-text">Text</label><input name="q{{i}}_text" id="q{{i}}-text" maxlength="500" value="{{q['text'] if q else ''}}">
    <label for="q{{i}}-choices">Choices (digit=answer, comma separated)</label><input name="q{{i}}_choices" id="q{{i}}-choices" placeholder="1=satisfied, 2=neutral, 3=unsatisfied" value="{{pairs(q['choices']) if q else ''}}">
    <label for="q{{i}}-scores">Scores (optional; digit=points 0-100, first digit best by default)</label><input name="q{{i}}_scores" id="q{{i}}-scores" placeholder="1=3, 2=2, 3=1" value="{{pairs(q['scores']) if q else ''}}">
    <label for="q{{i}}-satisfied">Satisfied digits for CSAT (optional; the first by default)</label><input name="q{{i}}_satisfied" id="q{{i}}-satisfied" placeholder="1" value="{{', '.join(q['satisfied']) if q else ''}}">
  </fieldset>
% end
  <button type="submit" id="save-survey">Save survey</button>
</form>
% if edit:
<p><a href="/admin/surveys">New survey instead</a></p>
% end
</section>

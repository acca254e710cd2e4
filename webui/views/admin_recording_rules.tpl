% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Recording rules</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<p class="muted">Whether a call is recorded: always, on demand (the agent's record button on the desk) or never. The rule of the agent's seat wins over the queue's, the queue's over the rule for all calls; without any rule calls are not recorded.</p>
<section class="panel"><h2>Rules</h2>
<div class="scroll"><table id="rules"><thead><tr><th>For</th><th>Which</th><th>Mode</th><th>Announced</th><th>Stereo</th><th></th></tr></thead><tbody>
% for x in rules:
  <tr data-rule="{{x['scope']}}:{{x['target']}}"><td>{{ {'all': 'every call', 'queue': 'queue', 'agent': 'agent (seat)'}[x['scope']] }}</td><td>{{x['target'] or '–'}}</td><td>{{x['mode'].replace('_', ' ')}}</td><td>{{'yes' if x['announce'] else 'no'}}</td><td>{{'yes' if x['stereo'] else 'no'}}</td>
    <td>
      <form method="post" action="/admin/recording-rules/delete" class="inline"><input type="hidden" name="csrf" value="{{user['csrf']}}"><input type="hidden" name="scope" value="{{x['scope']}}"><input type="hidden" name="target" value="{{x['target']}}"><button type="submit" class="danger">delete</button></form></td></tr>
% end
% if not rules:
  <tr class="empty"><td colspan="6">No rules: no call is recorded.</td></tr>
% end
</tbody></table></div>
</section>
<section class="panel"><h2>Set a rule</h2>
<p class="muted">Saving a rule for a scope and target that already has one changes it.</p>
<form method="post" action="/admin/recording-rules" class="form-grid" id="rule-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>For <select name="scope" id="rr-scope">
% for sc in scopes:
    <option value="{{sc}}">{{ {'all': 'every call', 'queue': 'a queue', 'agent': 'an agent (seat)'}[sc] }}</option>
% end
  </select></label>
  <label>Queue name or seat (not for every call) <input name="target" id="rr-target" maxlength="32" list="rr-queues"></label>
  <datalist id="rr-queues">
% for q in queues:
    <option value="{{q}}">
% end
  </datalist>
  <label>Mode <select name="mode" id="rr-mode">
% for m in modes:
    <option value="{{m}}">{{m.replace('_', ' ')}}</option>
% end
  </select></label>
  <label class="check"><input type="checkbox" name="announce" value="1" id="rr-announce"> announce the recording to the caller</label>
  <label class="check"><input type="checkbox" name="stereo" value="1" id="rr-stereo"> stereo (caller and agent apart)</label>
  <button type="submit" id="save-rule">Save rule</button>
</form>
</section>

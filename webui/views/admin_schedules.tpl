% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Schedules and holidays</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<p class="muted">A route with hours sends calls to its "when closed" target outside them. A schedule named <code>agent-&lt;seat&gt;</code> is that agent's working hours (adherence on the reports page).</p>
% for s in schedules + [None]:
<section class="panel schedule" data-schedule="{{s['name'] if s else ''}}">
  <h2>{{s['name'] if s else 'New schedule'}}
% if s:
  <span class="badge state">{{'open' if s['state']['open'] else 'closed'}} now ({{s['state']['why']}}{{': ' + s['state']['note'] if s['state']['note'] else ''}})</span>
% end
  </h2>
  <form method="post" action="/admin/schedules" class="stack">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
% if s:
    <input type="hidden" name="name" value="{{s['name']}}">
% else:
    <label for="s-name">Name</label><input name="name" id="s-name" required maxlength="32">
% end
    <label>Time zone <input name="timezone" value="{{s['timezone'] if s else 'Asia/Shanghai'}}" maxlength="64"></label>
    <label>Weekly hours (JSON: weekday → [[from, to], …])</label>
    <textarea name="weekly" rows="5" class="code">{{s['weekly_json'] if s else '{"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]], "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]]}'}}</textarea>
    <label>Holidays and exceptions (JSON: date → {"closed": true, "note"} or {"hours": [[…]]})</label>
    <textarea name="days" rows="4" class="code">{{s['days_json'] if s else '{}'}}</textarea>
    <button type="submit">Save schedule</button>
  </form>
% if s:
  <form method="post" action="/admin/schedules/{{s['name']}}/holiday" class="form-grid holiday-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Holiday <input type="date" name="date" required></label>
    <label>Note <input name="note" maxlength="100"></label>
    <label>Callers go to (empty: the route's) <input name="target" maxlength="200" placeholder="message:holiday"></label>
    <button type="submit">Add holiday</button>
  </form>
  <form method="post" action="/admin/schedules/{{s['name']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">Delete schedule</button></form>
% end
</section>
% end

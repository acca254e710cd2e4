% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Seats</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
% if created:
<section class="panel good" id="seat-created">
  <h2>Seat {{created['extension']}}: new SIP password</h2>
  <p>Copy it now; only its hash is kept. <strong class="secret" id="seat-password">{{created['password']}}</strong></p>
</section>
% end
<div class="scroll">
<table id="seats">
  <thead><tr><th>Extension</th><th>Name</th><th>Queues (penalty)</th><th></th></tr></thead>
  <tbody>
% for s in seats:
    <tr data-seat="{{s['extension']}}"><td>{{s['extension']}}</td><td>{{s['display_name']}}</td>
      <td>{{', '.join('%s (%d)' % (q, p) for q, p in s['queues'].items())}}</td>
      <td class="actions">
        <form method="post" action="/admin/seats" class="inline">
          <input type="hidden" name="csrf" value="{{user['csrf']}}">
          <input type="hidden" name="extension" value="{{s['extension']}}">
          <input type="hidden" name="display_name" value="{{s['display_name']}}">
%   for q, p in s['queues'].items():
          <input type="hidden" name="queue" value="{{q}}"><input type="hidden" name="penalty_{{q}}" value="{{p}}">
%   end
          <input type="hidden" name="new_password" value="1">
          <button type="submit" class="link">New password</button>
        </form>
        <form method="post" action="/admin/seats/{{s['extension']}}/delete" class="inline">
          <input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="link">Delete</button>
        </form>
      </td></tr>
% end
% if not seats:
    <tr class="empty"><td colspan="4">No seats yet.</td></tr>
% end
  </tbody>
</table>
</div>
<section class="panel">
  <h2>Add or change a seat</h2>
  <form method="post" action="/admin/seats" class="form-grid" id="seat-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Extension <input name="extension" id="s-ext" required maxlength="8" inputmode="numeric"></label>
    <label>Name shown <input name="display_name" id="s-name" maxlength="64"></label>
    <fieldset><legend>Queues</legend>
% for q in queues:
      <label class="check"><input type="checkbox" name="queue" value="{{q}}"> {{q}}</label>
      <label>penalty <input name="penalty_{{q}}" value="0" size="2" inputmode="numeric"></label>
% end
    </fieldset>
    <button type="submit" id="save-seat">Save seat</button>
  </form>
  <p class="muted">A new seat gets a generated SIP password, shown once. Seats reach the SIP edge when the daemon applies the <code>config.changed</code> event; otherwise at the next start.</p>
</section>
% include('softphone.tpl', site=site, ext=created['extension'] if created else None, pw=created['password'] if created else None)

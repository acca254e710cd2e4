% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Voicemail</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<section class="panel"><h2>Boxes</h2>
<div class="scroll"><table id="boxes"><thead><tr><th>Box</th><th>Greeting</th><th class="num">Longest message</th><th>Opens a ticket</th><th>Language</th><th></th></tr></thead><tbody>
% for b in boxes:
  <tr data-box="{{b['name']}}"><td>{{b['name']}}</td><td>{{b['greeting'] or 'built-in'}}</td><td class="num">{{b['max_s']}} s</td><td>{{b['ticket_type'] or 'no'}}</td><td>{{b['language']}}</td>
    <td><form method="post" action="/admin/voicemail/{{b['name']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">delete</button></form></td></tr>
% end
% if not boxes:
  <tr class="empty"><td colspan="6">No voicemail boxes.</td></tr>
% end
</tbody></table></div>
<form method="post" action="/admin/voicemail" class="form-grid" id="box-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>Name <input name="name" id="b-name" required maxlength="32"></label>
  <label>Greeting (a prompt's name) <input name="greeting" maxlength="32"></label>
  <label>Longest message (s) <input name="max_s" value="120" size="4" inputmode="numeric"></label>
  <label>Ticket type (empty: none) <input name="ticket_type" maxlength="32"></label>
  <label>Language <select name="language"><option>en</option><option>zh</option></select></label>
  <button type="submit" id="save-box">Save box</button>
</form>
</section>
% if can('calls.read_all'):
<section class="panel"><h2>Messages</h2>
<div class="scroll"><table id="messages"><thead><tr><th>Time</th><th>Box</th><th>Caller</th><th class="num">Length</th><th>Play</th><th>Ticket</th><th></th></tr></thead><tbody>
% for m in messages:
  <tr data-message="{{m['id']}}" class="{{'' if m['heard_at'] else 'unheard'}}"><td>{{m['time']}}</td><td>{{m['box']}}</td><td>{{m['caller_name']}} {{m['caller_number']}}</td><td class="num">{{'%.0f s' % m['seconds']}}</td>
    <td>
%   if can('recordings.play'):
      <audio controls preload="none" src="/api/voicemail/{{m['id']}}/audio"></audio>
%   end
    </td>
    <td>
%   if m['ticket_id']:
      <a href="/tickets/{{m['ticket_id']}}">#{{m['ticket_id']}}</a>
%   elif can('tickets.write'):
      <form method="post" action="/admin/voicemail/messages/{{m['id']}}/ticket"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit">open a ticket</button></form>
%   end
    </td>
    <td>
%   if can('recordings.delete'):
      <form method="post" action="/admin/voicemail/messages/{{m['id']}}/delete"><input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="danger">delete</button></form>
%   end
    </td></tr>
% end
% if not messages:
  <tr class="empty"><td colspan="7">No messages.</td></tr>
% end
</tbody></table></div>
</section>
% end

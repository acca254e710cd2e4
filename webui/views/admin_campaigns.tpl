% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Campaigns</h1><span class="spacer"></span><a href="/admin/dnc">Do-not-call list</a> <a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<p class="muted">A campaign is a list of numbers a queue's agents call, one after the other, within its hours: the box dials the next number when an agent of the queue is free, skips numbers on the do-not-call list, and tries a busy or unanswered number again later.</p>
<div class="scroll"><table id="campaigns"><thead><tr><th>Campaign</th><th>Queue</th><th>State</th><th>Hours</th><th>Days</th><th class="num">To call</th><th class="num">Done</th><th class="num">Answered</th></tr></thead><tbody>
% for c in campaigns:
  <tr data-campaign="{{c['name']}}"><td><a href="/admin/campaigns/{{c['name']}}">{{c['name']}}</a></td><td>{{c['queue']}}</td><td class="state">{{c['state']}}</td><td>{{c['hours_start']}}–{{c['hours_end']}}</td><td>{{c['days']}}</td><td class="num">{{c['counts']['pending']}}</td><td class="num">{{c['counts']['done']}}</td><td class="num">{{c['counts']['answered']}}</td></tr>
% end
% if not campaigns:
  <tr class="empty"><td colspan="8">No campaigns yet.</td></tr>
% end
</tbody></table></div>
<section class="panel"><h2>New campaign</h2>
<form method="post" action="/admin/campaigns" class="form-grid" id="campaign-form">
  <input type="hidden" name="csrf" value="{{user['csrf']}}">
  <label>Name <input name="name" id="c-name" required maxlength="32"></label>
% include('campaign_fields.tpl', c=None, queues=queues)
  <button type="submit" id="save-campaign">Create campaign</button>
</form>
</section>

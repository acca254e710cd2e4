% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Queues</h1><span class="spacer"></span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
% for q in queues + [None]:
<section class="panel">
  <h2>{{q['name'] if q else 'New queue'}}</h2>
  <form method="post" action="/admin/queues" class="form-grid queue-form" data-queue="{{q['name'] if q else ''}}">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
%   if q:
    <input type="hidden" name="name" value="{{q['name']}}">
%   else:
    <label>Name <input name="name" required maxlength="32"></label>
%   end
    <label>Strategy <select name="strategy">
%   for s in strategies:
      <option value="{{s}}" {{'selected' if q and q['strategy'] == s else ''}}>{{s}}</option>
%   end
    </select></label>
    <label>Wrap-up (s) <input name="wrapup_s" value="{{q['wrapup_s'] if q else 5}}" size="4" inputmode="numeric"></label>
    <label>Ring time-out (s) <input name="ring_timeout_s" value="{{q['ring_timeout_s'] if q else 20}}" size="4" inputmode="numeric"></label>
    <label>Longest wait (s, 0 = no limit) <input name="max_wait_s" value="{{q['max_wait_s'] if q else 0}}" size="5" inputmode="numeric"></label>
    <label>Service level within (s) <input name="sl_threshold_s" value="{{q['sl_threshold_s'] if q else 20}}" size="4" inputmode="numeric"></label>
    <label>Music on hold file <input name="moh_file" value="{{q['moh_file'] if q else ''}}"></label>
    <label>Caller shown on the phone <input name="caller_display" value="{{q['caller_display'] if q else '{queue}: {name}'}}"></label>
    <button type="submit">Save</button>
  </form>
</section>
% end
<p class="muted">A change reaches the running ACD when the daemon applies the <code>config.changed</code> event; otherwise at the next start.</p>

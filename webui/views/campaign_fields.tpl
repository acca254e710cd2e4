  <label>Queue (its agents take the calls) <input name="queue" id="c-queue" required maxlength="32" list="c-queues" value="{{c['queue'] if c else ''}}"></label>
  <datalist id="c-queues">
% for q in queues:
    <option value="{{q}}">
% end
  </datalist>
  <label>Caller ID (empty: the queue's) <input name="caller_id" id="c-caller-id" maxlength="32" value="{{c['caller_id'] if c else ''}}"></label>
  <label>Calls from <input name="hours_start" id="c-start" maxlength="5" size="5" value="{{c['hours_start'] if c else '09:00'}}" placeholder="HH:MM"></label>
  <label>until <input name="hours_end" id="c-end" maxlength="5" size="5" value="{{c['hours_end'] if c else '18:00'}}" placeholder="HH:MM"></label>
  <label>Days (1 = Monday … 7 = Sunday) <input name="days" id="c-days" maxlength="7" size="7" value="{{c['days'] if c else '12345'}}"></label>
  <label>Attempts per number <input name="max_attempts" id="c-attempts" size="3" inputmode="numeric" value="{{c['max_attempts'] if c else 3}}"></label>
  <label>Wait before trying again (s) <input name="retry_s" id="c-retry" size="7" inputmode="numeric" value="{{c['retry_s'] if c else 600}}"></label>
  <label>Wait grows by (factor) <input name="backoff" id="c-backoff" size="4" value="{{c['backoff'] if c else 2}}"></label>
  <label>Ring for (s) <input name="ring_timeout_s" id="c-ring" size="4" inputmode="numeric" value="{{c['ring_timeout_s'] if c else 30}}"></label>

% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="card wide">
  <h1>New ticket</h1>
  <form method="post" action="/tickets" class="stack" id="ticket-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <input type="hidden" name="call_id" value="{{call}}">
    <label for="subject">Subject</label><input id="subject" name="subject" maxlength="200" required>
    <label for="type">Type</label>
    <select id="type" name="type">
% for t in types:
      <option value="{{t['name']}}">{{t['label']}}</option>
% end
    </select>
    <label for="priority">Priority</label>
    <select id="priority" name="priority">
% for p in priorities:
      <option value="{{p}}" {{'selected' if p == 'normal' else ''}}>{{p}}</option>
% end
    </select>
    <label for="customer">Customer number</label>
    <input id="customer" name="customer" value="{{customer if customer is not None else ''}}" inputmode="numeric">
    <label for="description">Description</label><textarea id="description" name="description" rows="5"></textarea>
    <button type="submit" id="create">Open ticket</button>
  </form>
</section>

% rebase('base.tpl', title=title, user=user, nav=nav)
% c = customer or {}
<section class="card wide">
  <h1>{{title}}</h1>
% if error:
  <p class="error" role="alert" id="form-error">{{error}}</p>
% end
  <form method="post" action="{{'/customers/%d' % c['id'] if c.get('id') else '/customers'}}" class="stack">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label for="name">Name</label>
    <input id="name" name="name" value="{{c.get('name', '')}}" maxlength="200" required>
    <label for="company">Company</label>
    <input id="company" name="company" value="{{c.get('company', '')}}">
    <label for="phones">Phone numbers (one a line)</label>
    <textarea id="phones" name="phones" rows="3" inputmode="tel">{{'\n'.join(p['number'] for p in c.get('phones', []))}}</textarea>
    <label for="email">E-mail</label>
    <input id="email" name="email" type="email" value="{{c.get('email', '')}}">
    <label for="address">Address</label>
    <input id="address" name="address" value="{{c.get('address', '')}}">
    <label for="tags">Tags (comma separated)</label>
    <input id="tags" name="tags" value="{{', '.join(c.get('tags', []))}}">
    <input type="hidden" name="custom_form" value="1">
    % include('custom_inputs.tpl', fields=fields, values=c.get('custom') or {})
    <button type="submit" id="save">Save</button>
  </form>
</section>

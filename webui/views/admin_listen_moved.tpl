% rebase('base.tpl', title=title, user=user, nav=nav, body_class=body_class)
<section class="head"><h1>New listen addresses</h1><span class="spacer"></span><a href="/admin/system">System</a></section>
% p = change['pending']
<section class="panel" id="listen-moved" data-url="{{p['confirm_url']}}">
  <p>The box now also serves the web UI on <strong id="new-web">{{p['new']['web_listen']}}:{{p['new']['web_port']}}</strong> and its SIP edge on <strong id="new-sip">{{p['new']['sip_listen']}}:{{p['new']['sip_port']}}</strong>.</p>
  <p>Open <a href="{{p['confirm_url']}}" id="confirm-link">{{p['confirm_url']}}</a>, log in and press "Keep these settings" within {{'%g' % change['window_s']}} s. If the new address cannot be reached, do nothing: the box goes back to {{p['previous']['web_listen']}}:{{p['previous']['web_port']}} by itself.</p>
  <p class="muted">This browser goes there in a moment.</p>
</section>
<script src="/static/system.js"></script>

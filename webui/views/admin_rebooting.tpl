% rebase('base.tpl', title=title, user=user, nav=nav, body_class=body_class)
<section class="head"><h1>Rebooting</h1><span class="spacer"></span><a href="/admin/system">System</a></section>
<section class="panel" id="rebooting">
  <p>The box is rebooting into the slot the last install wrote. It boots the new version on trial: once the daemon is healthy it keeps it, and after three failed boots it goes back to the version it had.</p>
  <p>Then <a href="/admin/system" id="rebooting-back">open the system page again</a> and check the firmware version at its top.</p>
</section>

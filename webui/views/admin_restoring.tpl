% rebase('base.tpl', title=title, user=user, nav=nav, body_class=body_class)
<section class="head"><h1>Restoring</h1><span class="spacer"></span><a href="/admin/system">System</a></section>
<section class="panel" id="restoring">
  <p>The box is restoring <strong id="restoring-name">{{done['backup']}}</strong> (schema {{done['schema_version']}}): it stops, replaces its data and starts again, which takes a little while. The data it had is kept beside the restored folder.</p>
  <p>Then <a href="/login" id="restoring-login">log in again</a> with the accounts of the backup; the audit log records the restore.</p>
</section>

% rebase('base.tpl', title=title, user=user, nav=nav, body_class=body_class)
<section class="head"><h1>System</h1><span class="spacer"></span><span class="muted">firmware {{info['firmware_version']}}</span><a href="/admin">Administration</a></section>
% if error:
<p class="error" role="alert" id="form-error">{{error}}</p>
% end
<div class="grid">
<section class="panel" id="network"><h2>Network</h2>
% if info['network']:
  <dl class="facts">
    <dt>Web UI</dt><dd id="web-listen">{{info['network']['web_listen']}}:{{info['network']['web_port']}}</dd>
    <dt>SIP edge</dt><dd id="sip-listen">{{info['network']['sip_listen']}}:{{info['network']['sip_port']}} (realm {{info['network']['sip_realm']}})</dd>
%   if info['network']['trusted_proxy']:
    <dt>HTTPS front</dt><dd id="trusted-proxy">{{info['network']['trusted_proxy']}}</dd>
%   end
    <dt>Configuration</dt><dd>{{info['config_file'] or 'built-in defaults'}}</dd>
  </dl>
% end
% change = info.get('listen_change')
% pending = change['pending'] if change else None
% if pending:
  <div class="notice" id="listen-pending">
    <p>A change of the listen addresses waits for its confirmation until <strong id="confirm-by">{{pending_until}}</strong>
      (web UI {{pending['previous']['web_listen']}}:{{pending['previous']['web_port']}} &rarr; {{pending['new']['web_listen']}}:{{pending['new']['web_port']}},
      SIP edge {{pending['previous']['sip_listen']}}:{{pending['previous']['sip_port']}} &rarr; {{pending['new']['sip_listen']}}:{{pending['new']['sip_port']}}).
      Without it the box goes back to the previous addresses by itself.</p>
%   if here == pending['new']['web_listen'] + ':' + str(pending['new']['web_port']):
    <form method="post" action="/admin/system/listen/confirm" class="inline" id="confirm-form">
      <input type="hidden" name="csrf" value="{{user['csrf']}}">
      <button type="submit" id="keep-listen">Keep these settings</button>
    </form>
%   else:
    <p id="confirm-elsewhere">Confirm from the new address: <a href="{{pending['confirm_url']}}" id="confirm-link">{{pending['confirm_url']}}</a> (log in there; this address cannot confirm).</p>
%   end
    <form method="post" action="/admin/system/listen/revert" class="inline" id="revert-form">
      <input type="hidden" name="csrf" value="{{user['csrf']}}">
      <button type="submit" id="revert-listen">Go back now</button>
    </form>
  </div>
% end
  <p class="muted" id="network-change">{{info['network_change']}}.</p>
% if info['network'] and not pending and info.get('sip_changeable'):
  <form method="post" action="/admin/system/listen" class="form-grid" id="listen-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
%   if info.get('web_changeable'):
    <label>Web UI address <input name="web_listen" value="{{info['network']['web_listen']}}" maxlength="64" inputmode="decimal"></label>
    <label>Web UI port <input name="web_port" value="{{info['network']['web_port']}}" maxlength="5" inputmode="numeric"></label>
%   end
    <label>SIP edge address <input name="sip_listen" value="{{info['network']['sip_listen']}}" maxlength="64" inputmode="decimal"></label>
    <label>SIP edge port <input name="sip_port" value="{{info['network']['sip_port']}}" maxlength="5" inputmode="numeric"></label>
    <button type="submit" id="change-listen">Apply</button>
  </form>
% end
</section>
<section class="panel" id="time"><h2>Time</h2>
  <dl class="facts"><dt>Box time</dt><dd id="box-time">{{info['local_time']}}</dd><dt>UTC</dt><dd>{{info['utc_time']}}</dd></dl>
  <p class="muted">The box keeps time with the system clock (NTP in the image); it is not set from here.</p>
</section>
</div>
% if can('system.backup'):
<section class="panel" id="backup"><h2>Backup</h2>
% if made:
  <p class="ok" id="backup-made">Backup made: <a href="/api/system/backups/{{made['name']}}" id="backup-link">{{made['name']}}</a> ({{made['bytes']}} bytes{{', encrypted' if made.get('encrypted') else ''}}).</p>
% end
  <form method="post" action="/admin/system/backup" class="form-grid" id="backup-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Passphrase (empty: not encrypted) <input type="password" name="passphrase" maxlength="200" autocomplete="new-password"></label>
    <button type="submit" id="make-backup">Make a backup now</button>
  </form>
  <ul class="list" id="backups">
% for b in backups:
    <li><a href="/api/system/backups/{{b['name']}}">{{b['name']}}</a> <span class="muted">{{b['bytes']}} bytes, {{b['time']}}</span></li>
% end
% if not backups:
    <li class="muted">No backups on this box yet.</li>
% end
  </ul>
</section>
% end
<section class="panel" id="restore"><h2>Restore</h2>
% if checked:
  <p class="ok" id="restore-checked">The archive can be restored: schema {{checked['schema_version']}}, firmware {{checked['firmware_version']}}, {{checked['files']}} files, {{checked['bytes']}} bytes.</p>
%   if checked.get('live'):
  <form method="post" action="/admin/system/restore/apply" class="form-grid" id="restore-apply-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <input type="hidden" name="backup" value="{{checked['name']}}">
    <label>Its passphrase again (if encrypted) <input type="password" name="passphrase" maxlength="200" autocomplete="off"></label>
    <button type="submit" id="restore-now" class="danger">Restore it now</button>
  </form>
  <p class="muted" id="restore-how">Restoring stops the box (refused while calls are up), replaces its data with the archive's (the current data is kept beside it) and starts it again, keeping this box's callbox.toml. Or, on a stopped box: {{checked['how']}}.</p>
%   else:
  <p id="restore-how">To restore it, {{checked['how']}}.</p>
%   end
% end
  <form method="post" action="/admin/system/restore" enctype="multipart/form-data" class="form-grid" id="restore-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label>Backup archive (.cbbak) <input type="file" name="file" id="restore-file" accept=".cbbak" required></label>
    <label>Its passphrase (if encrypted) <input type="password" name="passphrase" maxlength="200" autocomplete="off"></label>
    <button type="submit" id="check-restore">Upload and check</button>
  </form>
  <p class="muted">The archive is checked in full (frames, passphrase, manifest, versions, database integrity); nothing on the box changes until you choose to restore it. Up to {{max_upload_mib}} MiB through the browser; copy bigger archives to the box.</p>
</section>
<section class="panel" id="selftest"><h2>Hardware self-test</h2>
  <p><span class="badge" id="selftest-state" data-state="{{selftest['state']}}">{{selftest['state']}}</span> {{'started by ' + selftest['by'] if selftest['by'] else ''}}</p>
  <form method="post" action="/admin/system/selftest" id="selftest-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <button type="submit" id="run-selftest">Run the self-test</button>
  </form>
  <pre class="code" id="selftest-output">{{selftest['output']}}</pre>
</section>
<section class="panel" id="logs"><h2>Recent log lines <a class="small" href="/api/system/logs/download" id="log-download">download the log</a></h2>
  <pre class="code" id="log-lines">{{'\n'.join(logs['lines']) or 'No log lines yet.'}}</pre>
</section>
<section class="panel" id="firmware"><h2>Firmware update</h2>
% if info['firmware_update']:
  <form class="form-grid" id="firmware-form" data-max-bytes="{{firmware['max_bytes']}}" data-free-bytes="{{firmware['free_bytes']}}" data-csrf="{{user['csrf']}}">
    <label>Firmware bundle (.raucb, signed) <input type="file" name="file" id="firmware-file" accept=".raucb" required></label>
    <button type="submit" id="install-firmware">Upload and install</button>
  </form>
  <noscript><p class="error">Uploading firmware here needs JavaScript; without it, copy the bundle to the box and run <code>callbox update FILE</code>.</p></noscript>
  <p class="muted" id="firmware-limits">Bundles up to {{firmware['max_bytes'] // (1024 * 1024)}} MiB; the data partition has room for {{firmware['free_bytes'] // (1024 * 1024)}} MiB. The bundle is checked (signature, made for this system, not older than the running version) and then written into the inactive slot; the running system is not touched until you reboot.</p>
  <div id="firmware-job" hidden>
    <p class="progress-row"><span>Upload</span> <progress id="firmware-upload-progress" max="100" value="0"></progress> <span id="firmware-upload-text"></span></p>
    <ul class="checks" id="firmware-checks">
      <li data-check="signature"><span class="check-state">waiting</span> signed by a key this box trusts</li>
      <li data-check="compatible"><span class="check-state">waiting</span> made for this system</li>
      <li data-check="version"><span class="check-state">waiting</span> not older than the running version</li>
    </ul>
    <p class="progress-row"><span>Install</span> <progress id="firmware-install-progress" max="100" value="0"></progress> <span id="firmware-activity"></span></p>
    <p>State: <strong id="firmware-state"></strong></p>
    <p class="ok" id="firmware-result" hidden></p>
    <p class="error" role="alert" id="firmware-error" hidden></p>
  </div>
%   if firmware['can_reboot']:
  <form method="post" action="/admin/system/reboot" id="reboot-form" hidden>
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <button type="submit" id="reboot">Reboot now</button>
  </form>
%   else:
  <p class="muted" id="reboot-note" hidden>This process cannot reboot the machine (not an installed image): restart the box to use the new slot.</p>
%   end
% else:
  <p id="firmware-unavailable">firmware update: not available in this build</p>
% end
</section>
<script src="/static/system.js"></script>
<script src="/static/firmware.js"></script>

% ext = ext or '201'
% pw = pw or 'PASSWORD'
<section class="panel" id="softphone-help">
  <h2>Register a phone as seat {{ext}}</h2>
  <p>Phones register to <strong>{{site['sip_host']}}:{{site['sip_port']}}</strong> (UDP), user
    <strong>{{ext}}</strong>, the seat's password{{'' if pw == 'PASSWORD' else ' below'}}, realm <code>{{site['realm']}}</code>.
    A phone must reach that address: if it is <code>127.0.0.1</code>, only a softphone on the box itself can register;
    set <code>[sip] listen</code> in <code>callbox.toml</code> to the box's LAN address for phones on the network.</p>
  <h3>baresip (Debian: <code>apt install baresip</code>)</h3>
  <ol>
    <li>Write <code>~/.baresip/accounts</code> with this one line:
      <pre class="config" id="baresip-accounts">&lt;sip:{{ext}}@{{site['sip_host']}}:{{site['sip_port']}};transport=udp&gt;;auth_pass={{pw}};regint=300;audio_codecs=PCMA,PCMU</pre></li>
    <li>Write <code>~/.baresip/config</code>:
      <pre class="config" id="baresip-config">module_path		/usr/lib/baresip/modules
module			g711.so
module			alsa.so
module_app		account.so
module_app		menu.so
audio_player		alsa,default
audio_source		alsa,default
audio_alert		alsa,default</pre>
      (with PulseAudio or PipeWire use <code>pulse.so</code> and <code>pulse,default</code> instead of alsa).</li>
    <li>Start <code>baresip</code>. It prints <code>{{ext}}@{{site['sip_host']}}: 200 OK</code> when the seat is registered; the seat shows as registered on the wallboard.</li>
    <li>Test call: type <code>d sip:100@{{site['sip_host']}}:{{site['sip_port']}}</code> and Enter (the demo number 100 answers with the IVR: 1 support, 2 sales), or <code>d 202</code> to ring another seat. <code>b</code> hangs up, <code>q</code> quits.</li>
  </ol>
  <h3>Linphone</h3>
  <ol>
    <li>Start Linphone, choose <em>Use a SIP account</em> (or <em>Preferences → Accounts → Add</em>).</li>
    <li>Username <code>{{ext}}</code>, SIP domain <code>{{site['sip_host']}}:{{site['sip_port']}}</code>, password as above, transport <strong>UDP</strong>; leave the proxy empty.</li>
    <li>The account turns green (registered). Call <code>sip:100@{{site['sip_host']}}:{{site['sip_port']}}</code> as the test call.</li>
  </ol>
  <h3>A desk phone</h3>
  <dl class="facts">
    <dt>SIP server / registrar</dt><dd>{{site['sip_host']}}</dd>
    <dt>Port</dt><dd>{{site['sip_port']}}, transport UDP</dd>
    <dt>User name, auth ID</dt><dd>{{ext}}</dd>
    <dt>Password</dt><dd>the seat's password</dd>
    <dt>Realm (if asked)</dt><dd>{{site['realm']}}</dd>
    <dt>Outbound proxy</dt><dd>none</dd>
    <dt>Codecs</dt><dd>G.711 A-law (PCMA), G.711 µ-law (PCMU)</dd>
  </dl>
</section>

// The system page's firmware update: send the bundle as the raw body of
// PUT /api/system/firmware (the server writes it to the data partition as it
// arrives) with the upload's progress, then follow the install job
// (GET /api/system/firmware once a second): its checks, RAUC's progress, and the
// slot it wrote or why it failed.
"use strict";
(function () {
  const form = document.getElementById("firmware-form");
  if (!form) return;
  const file = document.getElementById("firmware-file");
  const button = document.getElementById("install-firmware");
  const box = document.getElementById("firmware-job");
  const upBar = document.getElementById("firmware-upload-progress");
  const upText = document.getElementById("firmware-upload-text");
  const installBar = document.getElementById("firmware-install-progress");
  const activity = document.getElementById("firmware-activity");
  const stateText = document.getElementById("firmware-state");
  const result = document.getElementById("firmware-result");
  const error = document.getElementById("firmware-error");
  const reboot = document.getElementById("reboot-form") || document.getElementById("reboot-note");
  const MiB = 1024 * 1024;

  function mib(n) { return (n / MiB).toFixed(n < 10 * MiB ? 1 : 0) + " MiB"; }

  function showError(text) {
    box.hidden = false;
    error.textContent = text;
    error.hidden = false;
    button.disabled = false;
  }

  function render(job) {
    box.hidden = false;
    upBar.value = 100;
    stateText.textContent = job.state;
    stateText.dataset.state = job.state;
    for (const li of document.querySelectorAll("#firmware-checks li")) {
      const name = li.dataset.check;
      let st = job.checks.indexOf(name) >= 0 ? "passed" : "waiting";
      // the first check that did not pass is the one that refused the bundle
      if (st === "waiting" && job.state === "failed" && job.reason !== "install" &&
          job.checks.length === ["signature", "compatible", "version"].indexOf(name)) st = "failed";
      li.dataset.state = st;
      li.querySelector(".check-state").textContent = st;
    }
    installBar.value = job.percent;
    activity.textContent = job.activity ? job.percent + "% " + job.activity : "";
    if (job.state === "installed") {
      result.textContent = "Installed version " + job.version + " into slot " + (job.slot || "(the inactive one)") +
        "; reboot to use it.";
      result.hidden = false;
      error.hidden = true;
      if (reboot) reboot.hidden = false;
      button.disabled = false;
    } else if (job.state === "failed") {
      showError("Not installed (" + job.reason + "): " + job.error + ". The uploaded file was removed.");
      result.hidden = true;
    } else {
      button.disabled = true;
    }
    return job.state === "checking" || job.state === "installing";
  }

  async function follow() {
    try {
      const r = await fetch("/api/system/firmware", {credentials: "same-origin", cache: "no-store"});
      if (r.ok) {
        const s = await r.json();
        if (s.job && !render(s.job)) return;
        if (!s.job) return;
      }
    } catch (e) { /* try again */ }
    setTimeout(follow, 1000);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) return;
    const max = Number(form.dataset.maxBytes), free = Number(form.dataset.freeBytes);
    error.hidden = result.hidden = true;
    if (reboot) reboot.hidden = true;
    if (f.size > max) { showError(f.name + " is " + mib(f.size) + "; bundles up to " + mib(max) + " are taken here."); return; }
    if (f.size > free) { showError(f.name + " is " + mib(f.size) + " but the data partition has room for " + mib(free) + "; free some space first."); return; }
    box.hidden = false;
    button.disabled = true;
    upBar.value = 0;
    installBar.value = 0;
    activity.textContent = stateText.textContent = "";
    for (const st of document.querySelectorAll("#firmware-checks .check-state")) { st.textContent = "waiting"; st.parentNode.dataset.state = "waiting"; }
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", "/api/system/firmware?name=" + encodeURIComponent(f.name));
    xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      upBar.value = Math.floor(100 * e.loaded / e.total);
      upText.textContent = mib(e.loaded) + " of " + mib(e.total);
    };
    xhr.onload = function () {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {error: xhr.responseText.trim()}; }
      if (xhr.status === 202) { upText.textContent = "uploaded " + mib(f.size); render(body); follow(); }
      else showError("Upload refused (" + xhr.status + "): " + (body.error || xhr.statusText));
    };
    xhr.onerror = function () { showError("The upload was cut off before the box answered; nothing was kept. Try again."); };
    xhr.send(f);
  });
  follow();       // a job started earlier (another tab, before a reload) shows too
})();

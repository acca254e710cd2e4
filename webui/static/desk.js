// The agent desk's commands (webui/routes/desk.py): each button posts JSON to
// /api/desk/... with the session's CSRF token, shows the answer or the error that
// names what was wrong, and re-reads the seat's state (also on every event of live.js's stream),
// which decides which buttons make sense now and counts the wrap-up down.
"use strict";
(function () {
  const controls = document.getElementById("call-controls");
  const panel = document.getElementById("agent-panel");
  if (!controls || !panel) return;
  const csrf = controls.dataset.csrf;
  const msg = document.getElementById("desk-msg");
  const callState = document.getElementById("call-state");
  const callInfo = document.getElementById("call-info");
  const wrapForm = document.getElementById("wrapup-form");
  const wrapNone = document.getElementById("wrap-none");
  const wrapLeft = document.getElementById("wrap-left");
  const stateName = document.getElementById("state-name");
  const stateTime = document.getElementById("state-time");
  let wrapFor = null, pending = null;

  function say(text, bad) {
    msg.textContent = text;
    msg.classList.toggle("msg-error", !!bad);
  }
  async function post(path, body) {
    const r = await fetch("/api/desk/" + path, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body || {})});
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      say((data && data.error) || ("refused: " + r.status), true);
      return null;
    }
    return data;
  }
  async function act(path, body, done) {
    const out = await post(path, body);
    if (out !== null) say(done || "done");
    refresh();
    return out;
  }
  function enable(id, on) {
    const b = document.getElementById(id);
    if (b) b.disabled = !on;
  }

  function render(s) {
    if (stateName && s.state) stateName.textContent = s.state;
    const c = s.call;
    const ringing = s.ringing;
    if (c) {
      callState.textContent = c.state;
      callInfo.textContent = (c.caller_name || "") + " " + (c.caller_number || c.dialed_number || "") +
        (c.queue ? " · " + c.queue : "") + (c.recording ? " · recording" : "") +
        (c.supervisor ? " · " + c.supervisor.mode + " by " + c.supervisor.seat : "");
    } else if (ringing) {
      callState.textContent = "ringing";
      callInfo.textContent = ringing.queue ? "queue " + ringing.queue : "";
    } else {
      callState.textContent = "no call";
      callInfo.textContent = "";
    }
    const st = c ? c.state : "";
    enable("answer", !!ringing && !c);
    enable("hold", st === "talking");
    enable("resume", st === "held");
    enable("hangup", !!c);
    enable("record-on", !!c && !c.recording);
    enable("record-off", !!c && c.recording);
    enable("xfer-blind", st === "talking" || st === "held");
    enable("xfer-attended", st === "talking" || st === "held");
    enable("xfer-complete", st === "consulting");
    enable("xfer-cancel", st === "consulting");
    enable("conference", st === "consulting" || st === "talking" || st === "held");
    enable("q-login", s.state === "logged-out");
    enable("q-logout", s.state !== "logged-out");
    enable("pause", s.state !== "logged-out" && s.state !== "paused");
    enable("available", s.state === "paused" || s.state === "wrap-up");
    const owed = s.wrapup_call;
    wrapForm.hidden = !owed;
    wrapNone.hidden = !!owed;
    if (owed) document.getElementById("wrap-call").value = owed;
    wrapFor = s.state === "wrap-up" && s.wrapup_s ? s.wrapup_s : null;
    tick();
  }
  // the wrap-up's length minus the time in the state (live.js keeps #state-time ticking
  // from the live board), so a page opened during a wrap-up counts from where it is
  function tick() {
    if (wrapFor === null || !stateName || stateName.textContent !== "wrap-up") {
      wrapLeft.hidden = true;
      return;
    }
    const left = Math.max(0, Math.round(wrapFor - Number(stateTime ? stateTime.dataset.secs : 0)));
    wrapLeft.hidden = false;
    wrapLeft.textContent = "wrap-up " + left + " s left";
  }
  async function refresh() {
    pending = null;
    try {
      const r = await fetch("/api/desk/state", {credentials: "same-origin", cache: "no-store"});
      if (r.ok) render(await r.json());
      else {
        const d = await r.json().catch(function () { return null; });
        say((d && d.error) || ("state: " + r.status), true);
      }
    } catch (e) { /* the live badge shows a lost connection */ }
  }
  function soon() { if (!pending) pending = setTimeout(refresh, 200); }

  for (const b of document.querySelectorAll("#call-controls [data-act], #agent-panel [data-act]")) {
    b.addEventListener("click", function () {
      const body = b.dataset.on !== undefined ? {on: b.dataset.on === "1"} : {};
      act(b.dataset.act, body, b.textContent.trim() + ": done");
    });
  }
  document.getElementById("pause").addEventListener("click", function () {
    const reason = document.getElementById("pause-reason").value;
    act("pause", {reason: reason}, "paused");
  });
  function target() { return document.getElementById("xfer-target").value.trim(); }
  document.getElementById("xfer-blind").addEventListener("click", function () {
    act("call/transfer", {target: target(), attended: false}, "transferred to " + target());
  });
  document.getElementById("xfer-attended").addEventListener("click", function () {
    act("call/transfer", {target: target(), attended: true}, "consulting " + target());
  });
  document.getElementById("conference").addEventListener("click", function () {
    act("call/conference", {target: target()}, "conference");
  });
  const dial = document.getElementById("dial-form");
  if (dial) dial.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const number = document.getElementById("dial-number").value.trim();
    act("dial", {number: number}, "your phone rings first, then " + number);
  });
  wrapForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    act("wrapup", {disposition: document.getElementById("disposition").value,
                   note: document.getElementById("wrap-note").value,
                   call_id: document.getElementById("wrap-call").value || null,
                   ready: document.getElementById("wrap-ready").checked},
        "disposition saved").then(function (out) {
      if (out) document.getElementById("wrap-note").value = "";
    });
  });

  document.addEventListener("callbox-live", soon);     // live.js's event stream
  setInterval(tick, 1000);
  refresh();
})();

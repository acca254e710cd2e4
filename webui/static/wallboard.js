// The wallboard's supervision actions (webui/routes/wallboard.py): listen, whisper,
// barge, intercept, leave an agent's call; force an agent paused, available or logged
// out. One listener on the agents table (live.js re-renders its rows); each click posts
// JSON with the session's CSRF token and shows the answer or the error naming the cause.
"use strict";
(function () {
  const body = document.getElementById("agents-body");
  const msg = document.getElementById("sup-msg");
  if (!body || !msg) return;
  const csrf = msg.dataset.csrf;

  async function post(path, data) {
    const r = await fetch(path, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(data || {})});
    let out = null;
    try { out = await r.json(); } catch (e) { out = null; }
    msg.classList.toggle("msg-error", !r.ok);
    return r.ok ? out : Promise.reject(new Error((out && out.error) || ("refused: " + r.status)));
  }

  body.addEventListener("click", function (ev) {
    const b = ev.target.closest("button");
    if (!b) return;
    const row = b.closest("tr");
    const agent = row ? row.dataset.agent : null;
    if (!agent) return;
    const who = encodeURIComponent(agent);
    let done;
    if (b.dataset.sup === "leave") {
      done = post("/api/supervise/" + who + "/leave").then(function () { return "left " + agent + "'s call"; });
    } else if (b.dataset.sup) {
      const mode = b.dataset.sup;
      done = post("/api/supervise/" + who, {mode: mode}).then(function () {
        return mode + ": your phone rings, then joins " + agent + "'s call";
      });
    } else if (b.dataset.force) {
      const state = b.dataset.force;
      done = post("/api/agents/" + who + "/force", {state: state}).then(function () {
        return agent + " is now " + state;
      });
    } else {
      return;
    }
    done.then(function (text) { msg.textContent = text; },
              function (err) { msg.textContent = err.message; });
  });
})();

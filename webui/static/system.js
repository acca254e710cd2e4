// The system page: while a self-test runs, show its output as it comes
// (GET /api/system/selftest once a second until it has passed or failed).
"use strict";
// After a listen change: go to the new web address, where the change is confirmed.
(function () {
  const moved = document.getElementById("listen-moved");
  if (moved && moved.dataset.url) setTimeout(function () { location.href = moved.dataset.url; }, 1500);
})();
(function () {
  const state = document.getElementById("selftest-state");
  const output = document.getElementById("selftest-output");
  if (!state || !output || state.dataset.state !== "running") return;
  async function poll() {
    try {
      const r = await fetch("/api/system/selftest", {credentials: "same-origin", cache: "no-store"});
      if (r.ok) {
        const s = await r.json();
        state.textContent = s.state;
        state.dataset.state = s.state;
        output.textContent = s.output;
        if (s.state !== "running") return;
      }
    } catch (e) { /* try again */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();

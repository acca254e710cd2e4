// Import page: re-read the import's state every second until it is no longer running,
// then reload the page once to show the summary and the rejected-rows link.
"use strict";
(function () {
  const box = document.getElementById("import-status");
  if (!box) return;
  const state = document.getElementById("import-state");
  async function check() {
    try {
      const r = await fetch("/api/imports/" + box.dataset.import, {credentials: "same-origin"});
      if (r.ok) {
        const s = await r.json();
        state.textContent = s.state + (s.progress && s.progress.stage ? " · " + s.progress.stage : "");
        if (s.state !== "running") { location.reload(); return; }
      }
    } catch (e) { /* try again */ }
    setTimeout(check, 1000);
  }
  setTimeout(check, 1000);
})();

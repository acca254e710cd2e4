// Calls page: refresh the table in place (button, and every 10 s while "Auto-refresh"
// is ticked and the tab is visible). The server renders the rows; this only swaps them.
"use strict";
(function () {
  const refresh = document.getElementById("refresh");
  const auto = document.getElementById("auto");
  const updated = document.getElementById("updated");
  if (!refresh) return;
  let busy = false;

  async function reload() {
    if (busy) return;
    busy = true;
    try {
      const r = await fetch(refresh.href, {credentials: "same-origin", cache: "no-store"});
      if (new URL(r.url).pathname === "/login") { location.assign("/login"); return; }
      if (!r.ok) throw new Error("HTTP " + r.status);
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      for (const id of ["calls-body", "count", "pages"]) {
        const fresh = doc.getElementById(id), old = document.getElementById(id);
        if (fresh && old) old.replaceWith(document.adoptNode(fresh));
      }
      updated.textContent = "Updated " + new Date().toTimeString().slice(0, 8);
      updated.classList.remove("stale");
    } catch (e) {
      updated.textContent = "Refresh failed (" + e.message + ")";
      updated.classList.add("stale");
    } finally {
      busy = false;
    }
  }

  refresh.addEventListener("click", function (ev) { ev.preventDefault(); reload(); });
  setInterval(function () { if (auto.checked && !document.hidden) reload(); }, 10000);
})();

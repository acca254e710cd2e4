// Telephony page: refresh the card's line status in place every 5 s while the tab is
// visible. The server renders the section; this only swaps it (no state of its own).
"use strict";
(function () {
  if (!document.getElementById("line-status")) return;
  let busy = false;

  async function reload() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const r = await fetch(location.pathname, {credentials: "same-origin", cache: "no-store"});
      if (new URL(r.url).pathname === "/login") { location.assign("/login"); return; }
      if (!r.ok) throw new Error("HTTP " + r.status);
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      const fresh = doc.getElementById("line-status"), old = document.getElementById("line-status");
      if (fresh && old) old.replaceWith(document.adoptNode(fresh));
      document.getElementById("lines-updated").textContent =
        "Live: updated " + new Date().toTimeString().slice(0, 8) + ".";
    } catch (e) {
      const u = document.getElementById("lines-updated");
      if (u) { u.textContent = "Refresh failed (" + e.message + ")."; u.classList.add("stale"); }
    } finally {
      busy = false;
    }
  }

  setInterval(reload, 5000);
})();

// Live pages (wallboard, desk): follow /api/events (server-sent events, no polling),
// re-read /api/live/board when something changed, and tick wait / in-state timers.
// Everything is written with textContent: caller names never become markup.
"use strict";
(function () {
  const status = document.getElementById("live-status");
  const queuesBody = document.getElementById("queues-body");
  const agentsBody = document.getElementById("agents-body");
  const myState = document.getElementById("my-state");
  const seat = myState ? myState.dataset.seat : null;
  const alerts = document.getElementById("alerts");
  let pending = null;

  function fmt(s) {
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
    const mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(x).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function timer(secs, ticking) {
    const td = el("td", fmt(secs || 0), "num");
    td.dataset.secs = String(secs || 0);
    td.dataset.ticking = ticking ? "1" : "0";
    return td;
  }
  // the wallboard's supervision buttons (webui/static/wallboard.js acts on them)
  function actions(a) {
    const td = el("td", null, "sup-actions");
    function button(attr, value, label) {
      const b = el("button", label);
      b.type = "button";
      b.dataset[attr] = value;
      td.append(b);
    }
    if (a.call && a.agent !== agentsBody.dataset.mySeat) {
      for (const m of ["listen", "whisper", "barge", "intercept", "leave"]) button("sup", m, m);
    }
    for (const [st, label] of [["paused", "pause"], ["available", "available"], ["logged-out", "log out"]]) {
      if (a.state !== st) button("force", st, label);
    }
    return td;
  }
  function pct(v) { return v === null || v === undefined ? "–" : Math.round(v * 100) + " %"; }

  function renderBoard(b) {
    if (queuesBody && alerts) {
      const waitMax = Number(alerts.dataset.wait), slMin = Number(alerts.dataset.sl);
      let n = 0;
      queuesBody.replaceChildren();
      for (const q of b.queues) {
        const tr = el("tr");
        tr.dataset.queue = q.queue;
        const alert = q.longest_wait_s > waitMax || (q.service_level !== null && q.service_level < slMin);
        if (alert) { tr.className = "alert"; n += 1; }
        tr.append(el("td", q.queue), el("td", q.waiting, "num big"), timer(q.longest_wait_s, q.waiting > 0),
                  el("td", pct(q.service_level), "num"), el("td", q.answered, "num"),
                  el("td", q.abandoned, "num"));
        const callers = el("td", null, "wrap");
        for (const c of q.callers) {
          const span = el("span", (c.caller || "unknown") + " ", "caller");
          const t = el("span", fmt(c.wait_s));
          t.dataset.secs = String(c.wait_s); t.dataset.ticking = "1";
          span.append(t);
          if (c.offered_to) span.append(" → " + c.offered_to);
          callers.append(span);
        }
        tr.append(callers);
        queuesBody.append(tr);
      }
      alerts.textContent = n + (n === 1 ? " alert" : " alerts");
      alerts.classList.toggle("on", n > 0);
    }
    if (agentsBody) {
      agentsBody.replaceChildren();
      for (const a of b.agents) {
        const tr = el("tr", null, "state-" + a.state);
        tr.dataset.agent = a.agent;
        const st = el("td"); st.append(el("span", a.state, "badge"));
        tr.append(el("td", a.agent), st, timer(a.in_state_s, a.in_state_s !== null),
                  el("td", (a.call || "").slice(0, 8)), el("td", a.calls_today, "num"),
                  el("td", a.registered ? "registered" : "not registered"));
        if (agentsBody.dataset.actions === "1") tr.append(actions(a));
        agentsBody.append(tr);
      }
    }
    if (seat) {
      const mine = b.agents.find(function (a) { return a.agent === seat; });
      if (mine) {
        document.getElementById("state-name").textContent = mine.state;
        const t = document.getElementById("state-time");
        t.dataset.secs = String(mine.in_state_s || 0);
        t.dataset.ticking = mine.in_state_s === null ? "0" : "1";
        t.textContent = fmt(mine.in_state_s || 0);
        document.getElementById("calls-today").textContent = mine.calls_today;
      }
    }
  }

  async function refresh() {
    pending = null;
    try {
      const r = await fetch("/api/live/board", {credentials: "same-origin", cache: "no-store"});
      if (r.ok) renderBoard(await r.json());
    } catch (e) { /* the stream's error handler shows the state */ }
  }
  function soon() { if (!pending) pending = setTimeout(refresh, 250); }

  // desk: the offer and its screen pop
  async function showPop(call, phase) {
    const pop = document.getElementById("pop");
    if (!pop) return;
    document.getElementById("pop-phase").textContent = phase;
    if (pop.dataset.call === call) return;
    pop.dataset.call = call;
    try {
      const r = await fetch("/api/desk/pop/" + encodeURIComponent(call), {credentials: "same-origin"});
      if (!r.ok) return;
      const p = await r.json();
      document.getElementById("offer-empty").hidden = true;
      pop.hidden = false;
      document.getElementById("pop-caller").textContent = p.caller || "unknown caller";
      const cust = document.getElementById("pop-customer");
      cust.replaceChildren();
      if (p.customer) {
        const a = el("a", p.customer.name || "customer " + p.customer.id);
        a.href = "/customers/" + p.customer.id;
        cust.append(a, " " + (p.customer.company || "") + " " + (p.customer.tags || []).join(", "));
      } else { cust.textContent = "Not a known customer."; }
      const tickets = document.getElementById("pop-tickets");
      tickets.replaceChildren();
      for (const t of p.open_tickets || []) {
        const li = el("li"); const a = el("a", "#" + t.id + " " + t.subject);
        a.href = "/tickets/" + t.id; li.append(a, " " + t.state); tickets.append(li);
      }
      const hist = document.getElementById("pop-history");
      hist.replaceChildren();
      for (const h of p.last_interactions || []) {
        hist.append(el("li", h.ts.slice(0, 16).replace("T", " ") + " " + h.kind + " " + (h.disposition || h.body || "")));
      }
      const form = document.getElementById("after-call");
      document.getElementById("ac-call").value = call;
      document.getElementById("ac-ticket").href = "/tickets/new?call=" + encodeURIComponent(call) +
        (p.customer ? "&customer=" + p.customer.id : "");
      if (p.customer) { form.action = "/customers/" + p.customer.id + "/notes"; form.hidden = false; }
    } catch (e) { /* shown again on the next event */ }
  }

  const kinds = ["call.started", "call.connected", "call.ended", "acd.trace", "seat.registered",
                 "seat.unregistered"];
  const es = new EventSource("/api/events");
  es.onopen = function () { status.textContent = "live"; status.classList.remove("stale"); soon(); };
  es.onerror = function () { status.textContent = "reconnecting…"; status.classList.add("stale"); };
  for (const k of kinds) {
    es.addEventListener(k, function (ev) {
      soon();
      document.dispatchEvent(new CustomEvent("callbox-live", {detail: {kind: k, data: ev.data}}));
      if (!seat || k !== "acd.trace") return;
      let d; try { d = JSON.parse(ev.data); } catch (e) { return; }
      if (d.agent !== seat || !d.call) return;
      if (d.type === "Offer" || d.type === "CallbackDue") showPop(d.call, "ringing");
      else if (d.type === "OfferAccepted") showPop(d.call, "talking");
      else if (d.type === "CallEnded") showPop(d.call, "ended");
    });
  }
  window.addEventListener("beforeunload", function () { es.close(); });

  setInterval(function () {
    for (const e of document.querySelectorAll("[data-ticking='1']")) {
      const s = Number(e.dataset.secs) + 1;
      e.dataset.secs = String(s);
      e.textContent = fmt(s);
    }
  }, 1000);
})();

"""The telephony page's line status: the card's E1 spans and FXO/FXS ports, read from
``Api.health``'s ``hardware`` component (each part's state, alarms, faults) joined with its
``lines`` component (what the telephony layer made of each: the D-channel, calls, the
FXO line state). Both are what ``/api/health`` reports; this only arranges them per line
for a table, so the page and the health document never disagree."""
from __future__ import annotations

from typing import Any

#: States of a part that are not "working" (drawn as an alarm on the page).
BAD = {"fault", "absent", "down", "RED", "BLUE", "YELLOW", "RECOVER", "LOOPBACK",
       "no_battery"}


def line_status(health: dict[str, Any]) -> dict[str, Any]:
    """``{"hardware": status, "profile", "faults", "spans": [...], "fxo": [...],
    "fxs": [...], "lines": status, "not_wired": [...]}`` from a health document."""
    comps = health.get("components") or {}
    hw = comps.get("hardware") or {"status": "down"}
    ln = comps.get("lines") or {"status": "down"}
    groups = {g.get("name"): g for g in ln.get("groups") or []}
    fxo_lines = {x.get("port"): x for x in (groups.get("fxo") or {}).get("lines") or []}
    spans = []
    for s in hw.get("spans") or []:
        g = groups.get(f"e1/{s['span']}") or {}
        spans.append({**s, "name": f"e1/{s['span']}", "group": g,
                      "bad": s.get("state") in BAD or g.get("d_channel") == "down"})
    fxo = [{**p, "name": f"fxo/{p['port']}", "line": fxo_lines.get(p["port"]) or {},
            "bad": p.get("state") in BAD} for p in hw.get("fxo") or []]
    fxs = [{**p, "name": f"fxs/{p['port']}", "bad": p.get("state") in BAD}
           for p in hw.get("fxs") or []]
    not_wired = [n.get("name", "") if isinstance(n, dict) else str(n)
                 for n in ln.get("not_wired") or []]
    return {"hardware": hw.get("status", "down"), "profile": hw.get("profile", ""),
            "faults": dict(hw.get("faults") or {}), "spans": spans, "fxo": fxo, "fxs": fxs,
            "lines": ln.get("status", "down"), "down": list(ln.get("down") or []),
            "not_wired": not_wired, "temperature_c": hw.get("temperature_c")}

"""The supervisor wallboard: per queue waiting callers (masked per role) and wait times,
longest wait, today's service level, answered and abandoned; per agent state, time in
state, current call and calls today. Rendered on the server, then kept live by the
event stream (``/api/events``: no polling); thresholds (``wait``, ``sl``) turn rows red.

Listen, whisper, barge, intercept and forcing an agent's state need daemon commands
that ``firmware.api`` does not have yet; the page says so rather than offering them.
"""
from __future__ import annotations

from typing import Any

from webui.access import AccessPlugin, WebUi
from webui.handlers import args, me
from webui.pages import duration, page, percent
from webui.params import p_int, with_schema
from webui.routing import Router

TAG = "wallboard"


def _share(v: str) -> float:
    try:
        x = float(v)
    except ValueError:
        raise ValueError("a share between 0 and 1, like 0.8") from None
    if not 0 <= x <= 1:
        raise ValueError("a share between 0 and 1, like 0.8")
    return x


with_schema(_share, {"type": "number", "minimum": 0, "maximum": 1})


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.get("/wallboard", permission="supervise", query={"wait": p_int(1, 3600), "sl": _share},
           summary="Live wallboard (alert thresholds: wait in s, sl as a share)")
    def wallboard_page() -> str:
        a = args()
        board: dict[str, Any] = api.live_board(me())
        wait_max, sl_min = a.get("wait", 60), a.get("sl", 0.8)
        for q in board["queues"]:
            q["sl"] = percent(q["service_level"])
            q["longest"] = duration(q["longest_wait_s"])
            q["alert"] = q["longest_wait_s"] > wait_max or (
                q["service_level"] is not None and q["service_level"] < sl_min)
            for c in q["callers"]:
                c["wait"] = duration(c["wait_s"])
        for ag in board["agents"]:
            ag["in_state"] = duration(ag["in_state_s"])
        alerts = sum(1 for q in board["queues"] if q["alert"])
        return page("wallboard", "Wallboard", board=board, wait_max=wait_max, sl_min=sl_min,
                    alerts=alerts, body_class="live wall")

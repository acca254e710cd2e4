"""The supervisor wallboard: per queue waiting callers (masked per role) and wait times,
longest wait, today's service level, answered and abandoned; per agent state, time in
state, current call and calls today. Rendered on the server, then kept live by the
event stream (``/api/events``: no polling); thresholds (``wait``, ``sl``) turn rows red.

Per agent the supervisor can listen, whisper, barge or intercept (its own seat's phone
rings and is joined to the agent's call: ``Api.supervise_call``), leave, and force the
agent paused, available or logged out (``Api.force_agent``); ``webui/static/wallboard.js``
sends these as JSON with the CSRF token and shows the answer or the error.
"""
from __future__ import annotations

from typing import Any

from webui.access import AccessPlugin, WebUi
from webui.handlers import ANY_OBJ, args, json_body, me, obj
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


MODES = ("listen", "whisper", "barge", "intercept")
FORCE = ("paused", "available", "logged-out")
SUPERVISE_IN = obj(("mode",), mode={"type": "string", "enum": list(MODES)})
FORCE_IN = obj(("state",), state={"type": "string", "enum": list(FORCE)},
               reason={"type": "string", "maxLength": 32})


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.post("/api/supervise/<agent>", permission="supervise", body=SUPERVISE_IN,
            response=ANY_OBJ, summary=(
                "Listen to, whisper to, barge into or intercept an agent's call from my "
                "seat (my phone rings, then joins; audited)"))
    def api_supervise(agent: str) -> dict[str, Any]:
        return api.supervise_call(me(), agent[:32], json_body(SUPERVISE_IN)["mode"])

    @r.post("/api/supervise/<agent>/leave", permission="supervise", response=ANY_OBJ,
            summary="Stop supervising an agent's call (my phone hangs up)")
    def api_leave(agent: str) -> dict[str, Any]:
        return api.leave_call(me(), agent[:32])

    @r.post("/api/agents/<agent>/force", permission="supervise", body=FORCE_IN,
            response=ANY_OBJ, summary="Force an agent paused (with a reason), available or "
            "logged out")
    def api_force(agent: str) -> dict[str, Any]:
        b = json_body(FORCE_IN)
        return api.force_agent(me(), agent[:32], b["state"], b.get("reason", ""))

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
                    alerts=alerts, body_class="live wall", my_seat=me().seat or "",
                    modes=MODES)

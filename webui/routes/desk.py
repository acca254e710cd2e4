"""The agent desk: own state, the call offered now with its screen pop (live, from the
event stream), after-call note and ticket, announcements and own recent calls.

What the daemon does not expose yet (answer, hold, transfer, conference through the
phone's call, log in/out of queues, pause with a reason, click-to-call) is not offered
here; the desk says so instead of showing buttons that do nothing.
"""
from __future__ import annotations

from typing import Any

from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import ANY_OBJ, INT, STR, arr, me, obj
from webui.pages import local_time, page
from webui.routes.calls import row
from webui.routing import Router

TAG = "desk"
LIVE = ("supervise", "calls.read")
BOARD = obj(("queues", "agents"), queues=arr(obj(
    ("queue", "waiting"), queue=STR, waiting=INT, longest_wait_s={"type": "number"},
    answered=INT, abandoned=INT, service_level={"type": ["number", "null"]},
    callers=arr(ANY_OBJ))), agents=arr(obj(("agent", "state"), agent=STR, state=STR,
                                              calls_today=INT)), version=INT)


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.get("/api/live/board", permission=LIVE, response=BOARD, summary=(
        "Queues (waiting callers, longest wait, today's SL, answered, abandoned) and agents "
        "(state, time in state, current call, calls today); an agent sees its own seat"))
    def api_board() -> dict[str, Any]:
        return api.live_board(me())

    @r.get("/api/desk/pop/<call_id>", permission="customers.read", response=obj(
        ("call", "caller"), call=STR, caller=STR, customer={"type": ["object", "null"]},
        open_tickets=arr(ANY_OBJ), last_interactions=arr(ANY_OBJ)),
        summary="Screen pop of the call offered to (or talking with) my seat")
    def api_pop(call_id: str) -> dict[str, Any]:
        if len(call_id) > 64:
            raise fail(404, "no such call")
        return api.offer_pop(me(), call_id)

    @r.get("/desk", permission="calls.read", summary="The agent desk")
    def desk_page() -> str:
        p = me()
        board = api.live_board(p)
        mine = next((a for a in board["agents"] if a["agent"] == p.seat), None)
        recent = [row(c) for c in api.calls(p, limit=10)["items"]]
        notes = api.desk(p) if p.can("kb.read") else []
        for n in notes:
            n["time"] = local_time(n.get("updated_at") or n.get("created_at"))
        return page("desk", "Desk", me_agent=mine, recent=recent, notes=notes, seat=p.seat,
                    body_class="live")

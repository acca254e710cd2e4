"""The agent desk: own state, the call offered now with its screen pop (live, from the
event stream), after-call note and ticket, announcements and own recent calls.

The desk's commands go to the daemon's CTI (``firmware.api_desk``): queue log in/out,
pause with a reason, available; answer, hang up, hold/resume, blind and attended
transfer (complete/cancel), conference, record on/off on the seat's own call;
click-to-call a number or a customer (whose number the desk never holds); the
after-call disposition and note with the wrap-up countdown. ``webui/static/desk.js``
sends them as JSON with the session's CSRF token; each answer (or the error naming
what was wrong) is shown, and the event stream brings the new state.
"""
from __future__ import annotations

from typing import Any

from bottle import request

from firmware.api import ApiError

from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import (ANY_OBJ, BOOL, INT, OPT_STR, STR, arr, json_body, me, obj)
from webui.pages import local_time, page, redirect
from webui.routes.calls import row
from webui.routing import Router

TAG = "desk"
LIVE = ("supervise", "calls.read")
BOARD = obj(("queues", "agents"), queues=arr(obj(
    ("queue", "waiting"), queue=STR, waiting=INT, longest_wait_s={"type": "number"},
    answered=INT, abandoned=INT, service_level={"type": ["number", "null"]},
    callers=arr(ANY_OBJ))), agents=arr(obj(("agent", "state"), agent=STR, state=STR,
                                              calls_today=INT)), version=INT)
STATE = obj(("agent", "state"), agent=STR, state=STR, reason=STR, call={
    "type": ["object", "null"]}, ringing={"type": ["object", "null"]},
    wrapup_call=OPT_STR, wrapup_s={"type": ["integer", "null"]})
CALL = obj(("call", "state"), call=STR, state=STR, direction=STR, queue=STR, agent=STR,
           held=BOOL, conference=BOOL, recording=BOOL)
ENTRY = obj(("code", "label"), code=STR, label=STR)
TARGET = {"type": "string", "maxLength": 80}
NUMBER = {"type": "string", "maxLength": 24}
QUEUE = {"type": ["string", "null"], "maxLength": 32}
PAUSE_IN = obj(("reason",), reason={"type": "string", "maxLength": 32})
TRANSFER_IN = obj(("target",), target=TARGET, attended=BOOL)
CONF_IN = obj((), target=TARGET)
RECORD_IN = obj(("on",), on=BOOL)
WRAPUP_IN = obj(("disposition",), disposition={"type": "string", "maxLength": 32},
                note={"type": "string", "maxLength": 2000},
                call_id={"type": ["string", "null"], "maxLength": 64}, ready=BOOL)
DIAL_IN = obj(("number",), number=NUMBER, queue=QUEUE)
DIAL_CUSTOMER_IN = obj(("customer_id",), customer_id={"type": "integer", "minimum": 1},
                       phone={"type": "integer", "minimum": 0, "maximum": 20}, queue=QUEUE)
DIALLED = obj(("seat",), seat=STR, number=STR, queue=STR, customer_id=INT)


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

    # the agent's own state ------------------------------------------------------------
    @r.get("/api/desk/state", permission="desk.agent", response=STATE, errors=(409,), summary=(
        "My seat's state, its call, the offer ringing it, the call still owing a "
        "disposition and how long its wrap-up lasts"))
    def api_desk_state() -> dict[str, Any]:
        return api.desk_state(me())

    @r.get("/api/desk/lists", permission="desk.agent", response=obj(
        ("pause_reasons", "dispositions"), pause_reasons=arr(ENTRY), dispositions=arr(ENTRY)),
        summary="Pause reasons and after-call dispositions to choose from")
    def api_desk_lists() -> dict[str, Any]:
        p = me()
        return {"pause_reasons": [e for e in api.pause_reasons(p) if e.get("active", True)],
                "dispositions": [e for e in api.dispositions(p) if e.get("active", True)]}

    def state_route(path: str, summary: str, fn: str, body: Any = None) -> None:
        @r.post(path, permission="desk.agent", body=body, response=ANY_OBJ, summary=summary)
        def handler() -> Any:
            return getattr(api, fn)(me(), **(json_body(body) if body else {}))
        handler.__name__ = "api_" + path.rsplit("/", 1)[1].replace("-", "_")

    state_route("/api/desk/login", "Log my seat in to its queues", "agent_login")
    state_route("/api/desk/logout", "Log my seat out of its queues", "agent_logout")
    state_route("/api/desk/pause", "Pause my seat with a reason (a code of the pause "
                "reasons)", "agent_pause", PAUSE_IN)
    state_route("/api/desk/available", "Make my seat available", "agent_available")
    state_route("/api/desk/wrapup", "The disposition and note of my last call; ready "
                "ends the wrap-up", "wrapup", WRAPUP_IN)

    # the agent's call -------------------------------------------------------------------
    @r.get("/api/desk/calls", permission="desk.agent", response=arr(CALL),
           summary="Live calls: mine (every call with supervise)")
    def api_desk_calls() -> list[dict[str, Any]]:
        return api.live_calls(me())

    def call_route(path: str, summary: str, fn: str, body: Any = None,
                   permission: str = "desk.agent") -> None:
        @r.post(path, permission=permission, body=body, response=ANY_OBJ, summary=summary)
        def handler() -> Any:
            return getattr(api, fn)(me(), **(json_body(body) if body else {}))
        handler.__name__ = "api_call_" + path.rsplit("/", 1)[1].replace("-", "_")

    call_route("/api/desk/call/answer", "Answer the call ringing my seat (phones with "
               "remote answer)", "call_answer")
    call_route("/api/desk/call/hangup", "Hang up my call", "call_hangup")
    call_route("/api/desk/call/hold", "Hold my call (the caller hears music)", "call_hold")
    call_route("/api/desk/call/resume", "Take my call off hold", "call_resume")
    call_route("/api/desk/call/transfer", "Transfer my call to a seat, queue:NAME or a "
               "number; attended first talks to the target", "call_transfer", TRANSFER_IN)
    call_route("/api/desk/call/complete-transfer", "Complete an attended transfer",
               "call_complete_transfer")
    call_route("/api/desk/call/cancel-transfer", "Cancel an attended transfer (back to the "
               "caller)", "call_cancel_transfer")
    call_route("/api/desk/call/conference", "Conference the caller, me and a target (or "
               "the party I am consulting)", "call_conference", CONF_IN)
    call_route("/api/desk/call/record", "Start or stop recording my call", "call_record",
               RECORD_IN, permission="recordings.control")

    @r.post("/api/desk/dial", permission="desk.outbound", body=DIAL_IN, response=DIALLED,
            summary="Click-to-call: my seat rings, then the number (the queue's caller ID)")
    def api_desk_dial() -> dict[str, Any]:
        b = json_body(DIAL_IN)
        return api.click_to_call(me(), b["number"], b.get("queue"))

    @r.post("/api/desk/dial-customer", permission="desk.outbound", body=DIAL_CUSTOMER_IN,
            response=DIALLED, summary="Click-to-call a customer's number (never shown)")
    def api_desk_dial_customer() -> dict[str, Any]:
        b = json_body(DIAL_CUSTOMER_IN)
        return api.call_customer(me(), b["customer_id"], b.get("phone", 0), b.get("queue"))

    @r.post("/desk/dial-customer", permission="desk.outbound", kind="form",
            summary="Click-to-call a customer from its card (form)")
    def desk_dial_customer() -> None:
        f = request.forms
        cid, phone = (f.get("customer_id") or "").strip(), (f.get("phone") or "0").strip()
        if not cid.isdigit() or not phone.isdigit():
            raise fail(400, "customer_id and phone: expected whole numbers",
                       parameter="customer_id")
        api.call_customer(me(), int(cid), int(phone))
        redirect("/desk")

    @r.get("/desk", permission="calls.read", summary="The agent desk")
    def desk_page() -> str:
        p = me()
        board = api.live_board(p)
        mine = next((a for a in board["agents"] if a["agent"] == p.seat), None)
        recent = [row(c) for c in api.calls(p, limit=10)["items"]]
        notes = api.desk(p) if p.can("kb.read") else []
        for n in notes:
            n["time"] = local_time(n.get("updated_at") or n.get("created_at"))
        lists: dict[str, Any] = {"pause_reasons": [], "dispositions": []}
        desk_error = ""
        if p.can("desk.agent") and p.seat:
            try:
                lists = api_desk_lists()
            except ApiError as exc:        # the page still shows what it can
                desk_error = str(exc)
        return page("desk", "Desk", me_agent=mine, recent=recent, notes=notes, seat=p.seat,
                    lists=lists, desk_error=desk_error, body_class="live")

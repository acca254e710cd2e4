"""The agent desk's two lists (``desk.admin``): after-call dispositions and pause reasons,
at ``/admin/desk-lists`` and under ``/api/desk-lists``.

An entry has a code (what reports and the event log keep), a label (what the agent
sees), a position (the order on the desk; also the digit a phone's keypad may send) and
whether it is offered. Entries are switched off rather than deleted: past calls and
pauses name them. A refused change re-renders the page with the reason naming the field.
"""
from __future__ import annotations

from typing import Any, Callable

from bottle import request, response

from firmware.api import ApiError
from webui.access import AccessPlugin, WebUi
from webui.handlers import BOOL, INT, STR, arr, json_body, me, obj
from webui.pages import page, redirect
from webui.routing import Router

TAG = "desk"
ENTRY = obj(("code", "label", "position", "active"), code=STR, label=STR, position=INT,
            active=BOOL)
ENTRY_IN = obj(("label",), label={"type": "string", "maxLength": 64},
               position={"type": "integer", "minimum": 0, "maximum": 999}, active=BOOL)
LISTS = {"dispositions": "put_disposition", "pause-reasons": "put_pause_reason"}


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    def put(kind: str, code: str, label: str, position: int, active: bool) -> dict[str, Any]:
        if kind not in LISTS:
            raise ApiError(f"list: expected {' or '.join(LISTS)}", status=404, field="list")
        fn: Callable[..., dict[str, Any]] = getattr(api, LISTS[kind])
        return fn(me(), code, label, position, active)

    @r.get("/api/desk-lists", permission="desk.admin", response=obj(
        ("dispositions", "pause_reasons"), dispositions=arr(ENTRY), pause_reasons=arr(ENTRY)),
        summary="Dispositions and pause reasons, switched-off ones included")
    def api_desk_lists() -> dict[str, Any]:
        return api.desk_lists(me())

    @r.put("/api/desk-lists/<kind>/<code>", permission="desk.admin", body=ENTRY_IN,
           response=ENTRY, summary="Create or change a disposition (kind dispositions) or a "
           "pause reason (kind pause-reasons)")
    def api_put_entry(kind: str, code: str) -> dict[str, Any]:
        b = json_body(ENTRY_IN)
        return put(kind, code, b["label"], b.get("position", 0), b.get("active", True))

    def view(error: str = "") -> str:
        return page("admin_desk_lists", "Dispositions and pause reasons",
                    lists=api.desk_lists(me()), error=error)

    @r.get("/admin/desk-lists", permission="desk.admin",
           summary="Dispositions and pause reasons")
    def admin_desk_lists() -> str:
        return view()

    @r.post("/admin/desk-lists/<kind>", permission="desk.admin", kind="form",
            summary="Save a disposition or pause reason (form)")
    def admin_desk_entry(kind: str) -> str:
        f = request.forms
        try:
            pos = (f.get("position") or "0").strip()
            if not pos.isdigit():
                raise ApiError(f"position: {pos!r} is not a whole number 0-999", status=400,
                               field="position")
            put(kind, (f.getunicode("code") or "").strip(),
                (f.getunicode("label") or "").strip(), int(pos), f.get("active") == "1")
        except ApiError as exc:
            if exc.status not in (400, 404, 409):
                raise
            response.status = exc.status
            return view(error=str(exc))
        redirect("/admin/desk-lists")

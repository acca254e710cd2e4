"""The agent desk's settings (``desk.admin``): after-call dispositions and pause reasons
(``/admin/desk-lists``, ``/api/desk-lists``) and the recording rules
(``/admin/recording-rules``, ``/api/recording-rules``).

An entry has a code (what reports and the event log keep), a label (what the agent
sees), a position (the order on the desk; also the digit a phone's keypad may send) and
whether it is offered. Entries are switched off rather than deleted: past calls and
pauses name them. A recording rule says whether calls are recorded always, on demand
(the agent's record button) or never, for every call, a queue or an agent (seat); the
most specific rule applies (agent, then queue, then all). A refused change re-renders
the page with the reason naming the field.
"""
from __future__ import annotations

from typing import Any, Callable

from firmware.api import ApiError
from webui.access import AccessPlugin, WebUi
from firmware.store.agentdesk import MODES, SCOPES
from webui.forms import attempt, posted, posted_int, queue_names, ticked
from webui.handlers import BOOL, INT, OK, STR, arr, json_body, me, obj
from webui.pages import page
from webui.routing import Router

TAG = "desk"
ENTRY = obj(("code", "label", "position", "active"), code=STR, label=STR, position=INT,
            active=BOOL)
ENTRY_IN = obj(("label",), label={"type": "string", "maxLength": 64},
               position={"type": "integer", "minimum": 0, "maximum": 999}, active=BOOL)
LISTS = {"dispositions": "put_disposition", "pause-reasons": "put_pause_reason"}
RULE_KEY = obj(("scope",), scope={"type": "string", "enum": list(SCOPES)},
               target={"type": "string", "maxLength": 32})
RULE = obj(("scope", "target", "mode", "announce", "stereo"), scope=STR, target=STR,
           mode=STR, announce=BOOL, stereo=BOOL)
RULE_IN = obj(("scope", "mode"), **RULE_KEY["properties"],
              mode={"type": "string", "enum": list(MODES)}, announce=BOOL, stereo=BOOL)


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
        return attempt(view, lambda: put(kind, posted("code"), posted("label"),
                                         posted_int("position", 0, 0, 999), ticked("active")),
                       "/admin/desk-lists")

    # -- recording rules ----------------------------------------------------------------------
    @r.get("/api/recording-rules", permission="desk.admin", response=arr(RULE),
           summary="Recording rules: scope all, queue or agent (target), mode always, "
           "on_demand or never, announce, stereo")
    def api_recording_rules() -> list[dict[str, Any]]:
        return api.recording_rules(me())

    @r.post("/api/recording-rules", permission="desk.admin", body=RULE_IN, response=RULE,
            summary="Create or change the recording rule of a scope and target")
    def api_put_recording_rule() -> dict[str, Any]:
        return api.put_recording_rule(me(), **json_body(RULE_IN))

    @r.post("/api/recording-rules/delete", permission="desk.admin", body=RULE_KEY,
            response=OK, summary="Delete a recording rule (scope and target)")
    def api_delete_recording_rule() -> dict[str, Any]:
        b = json_body(RULE_KEY)
        api.delete_recording_rule(me(), b["scope"], b.get("target", ""))
        return {"ok": True}

    def rules_view(error: str = "") -> str:
        p = me()
        return page("admin_recording_rules", "Recording rules", rules=api.recording_rules(p),
                    queues=queue_names(api, p), scopes=SCOPES,
                    modes=MODES, error=error)

    @r.get("/admin/recording-rules", permission="desk.admin",
           summary="Which calls are recorded: per queue, per agent or all")
    def admin_recording_rules() -> str:
        return rules_view()

    @r.post("/admin/recording-rules", permission="desk.admin", kind="form",
            summary="Save a recording rule (form)")
    def admin_recording_rule_save() -> str:
        return attempt(rules_view, lambda: api.put_recording_rule(
            me(), posted("scope"), posted("mode"), posted("target"), ticked("announce"),
            ticked("stereo")), "/admin/recording-rules")

    @r.post("/admin/recording-rules/delete", permission="desk.admin", kind="form",
            summary="Delete a recording rule (form)")
    def admin_recording_rule_delete() -> str:
        return attempt(rules_view, lambda: api.delete_recording_rule(
            me(), posted("scope"), posted("target")), "/admin/recording-rules")

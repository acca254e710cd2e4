"""Admin of the inbound configuration, trunks and the edge's security: the REST routes
over ``firmware.api_inbound`` / ``firmware.api_trunks`` and their pages.

Pages (forms posting back, no script needed; a refused change re-renders the page
with the reason, status 400/404/409, and keeps nothing half-done):

- ``/admin/routes``: DID routes (DID, ``prefix*`` or ``*`` -> target, per line, with
  opening hours), black and white lists, "where would this call go";
- ``/admin/schedules``: weekly hours, holidays and exceptions per schedule (JSON for
  the week and the dated entries; a one-line "add a holiday" form);
- ``/admin/prompts``: named prompts (texts per language spoken by espeak-ng, or a WAV
  under var/prompts, uploaded from the browser and checked by ``firmware.wavfile``) and
  listening to one;
- ``/admin/queue-rules``: each queue's rules as a JSON object;
- ``/admin/ivr``: IVR trees in a JSON editor, checked by ``check_ivr_tree`` before
  saving, with the node types and fields of ``ivr_schema`` beside it;
- ``/admin/voicemail``: boxes, and the messages with play, ticket, delete;
- ``/admin/callbacks``: callbacks promised to callers;
- ``/admin/telephony``: the card's E1 spans and FXO/FXS ports with their live state and
  alarms (``webui.line_status``, refreshed in place by ``static/lines.js``), SIP trunks
  and outbound routes (create, change, delete);
- ``/admin/security``: the security log and the sources banned now, with unban.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import fields as dc_fields
from typing import Any, Callable

import bottle
from bottle import request, response

from firmware.api import ApiError
from firmware.store.config import Trunk
from firmware.store.inbound import QueueRules
from firmware.store.ivrtree import LANGUAGES
from firmware.store.outbound import OutboundRoute
from firmware.wavfile import MAX_BYTES
from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import (ANY_OBJ, BOOL, INT, OK, OPT_INT, OPT_NUM, STR, arr, args,
                            json_body, me, obj, paged)
from webui.line_status import line_status
from webui.forms import REFUSED, attempt, posted, posted_int, ticked, upload
from webui.pages import local_time, page, redirect
from webui.params import p_choice, p_int, p_text, parse_time
from webui.routing import Router

TAG = "inbound"
#: a prompt upload: the WAV (``firmware.wavfile.MAX_BYTES``) and the form around it
UPLOAD_MAX_BODY = MAX_BYTES + 64 * 1024
TEXT = {"type": "string", "maxLength": 200}
WAV_IN = obj(("wav_base64",), wav_base64={"type": "string",
                                          "maxLength": MAX_BYTES * 4 // 3 + 4},
             language={"type": "string", "enum": ["", *LANGUAGES]})
NAME = {"type": "string", "maxLength": 32}
ROUTE_IN = obj(("did", "target"), did={"type": "string", "maxLength": 32}, target=TEXT,
               trunk=NAME, schedule=NAME, closed_target=TEXT, note=TEXT)
ROUTE_KEY = obj(("did",), did={"type": "string", "maxLength": 32}, trunk=NAME)
LIST_IN = obj(("kind", "number"), kind={"type": "string", "enum": ["block", "vip"]},
              number={"type": "string", "maxLength": 32}, target=TEXT,
              priority={"type": "integer", "minimum": 0, "maximum": 100},
              expires_at=OPT_NUM, note=TEXT)
SCHEDULE_IN = obj((), timezone={"type": "string", "maxLength": 64}, weekly=ANY_OBJ,
                  days=ANY_OBJ)
PROMPT_IN = obj((), texts={"type": "object", "additionalProperties": {
    "type": "string", "maxLength": 2000}}, file=TEXT, files={
    "type": "object", "additionalProperties": TEXT})
def _fields_schema(cls: Any, skip: tuple[str, ...]) -> dict[str, Any]:
    """A JSON Schema object of a dataclass's fields (the API's "some of these")."""
    kinds = {"int": INT, "int | None": OPT_INT, "str": STR, "bool": BOOL,
             "float | None": OPT_NUM, "tuple[str, ...]": arr(STR)}
    return obj((), **{f.name: kinds[str(f.type)] for f in dc_fields(cls) if f.name not in skip})


RULES_IN = _fields_schema(QueueRules, ("queue",))
TREE_IN = obj(("tree",), tree=ANY_OBJ)
CHECK_IN = obj(("name", "tree"), name=NAME, tree=ANY_OBJ)
BOX_IN = obj((), greeting=NAME, max_s={"type": "integer", "minimum": 5, "maximum": 600},
             ticket_type=NAME, language={"type": "string", "maxLength": 8})
TRUNK_IN = _fields_schema(Trunk, ("name",))
OUT_ROUTE_IN = _fields_schema(OutboundRoute, ("name",))
UNBAN_IN = obj(("ip",), ip={"type": "string", "maxLength": 64})
BLOCK_IN = obj((), timeslot={"type": ["integer", "null"], "minimum": 1, "maximum": 31})
VOICEMAIL_PARAMS = {"box": p_text(32), "limit": p_int(1, 200), "offset": p_int(0, 10**9),
                    "since": parse_time, "until": parse_time}
SECURITY_PARAMS = {"limit": p_int(1, 500), "offset": p_int(0, 10**9), "since": parse_time,
                   "until": parse_time, "kind": p_text(64), "ip": p_text(64)}


def _ok(fn: Callable[[], Any]) -> dict[str, Any]:
    fn()
    return {"ok": True}


def _json_field(name: str, default: Any) -> Any:
    """A form field holding JSON (an editor's textarea), or ``default`` when empty."""
    raw = (request.forms.getunicode(name) or "").strip()
    if not raw:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column "
                       f"{exc.colno})", status=400, field=name) from None


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    # -- API: routes and caller lists ----------------------------------------------------
    @r.get("/api/inbound/routes", permission="queues.admin", response=arr(ANY_OBJ),
           summary="DID routes: did (a DID, prefix* or *), trunk, target, schedule, "
           "closed_target, note")
    def api_routes() -> list[dict[str, Any]]:
        return api.inbound_routes(me())

    @r.post("/api/inbound/routes", permission="queues.admin", body=ROUTE_IN,
            response=ANY_OBJ, summary="Create or change a DID route")
    def api_put_route() -> dict[str, Any]:
        return api.put_route(me(), **json_body(ROUTE_IN))

    @r.post("/api/inbound/routes/delete", permission="queues.admin", body=ROUTE_KEY,
            response=OK, summary="Delete a DID route (did and trunk)")
    def api_delete_route() -> dict[str, Any]:
        b = json_body(ROUTE_KEY)
        return _ok(lambda: api.delete_route(me(), b["did"], b.get("trunk", "")))

    @r.get("/api/inbound/route-check", permission="queues.admin", query={
        "did": p_text(32), "trunk": p_text(32), "caller": p_text(32)}, response=ANY_OBJ,
        summary="Where a call to this DID (from this caller) would go now")
    def api_route_check() -> dict[str, Any]:
        a = args()
        if not a.get("did"):
            raise fail(400, "did: required", parameter="did")
        return api.route_check(me(), a["did"], a.get("trunk", ""), a.get("caller", ""))

    @r.get("/api/inbound/lists", permission="queues.admin",
           query={"kind": p_choice("block", "vip")}, response=arr(ANY_OBJ),
           summary="Black list (block) and white list (vip) entries")
    def api_lists() -> list[dict[str, Any]]:
        return api.caller_lists(me(), args().get("kind"))

    @r.post("/api/inbound/lists", permission="queues.admin", body=LIST_IN, response=ANY_OBJ,
            summary="Add or change a black/white list entry (a number or prefix*)")
    def api_put_list() -> dict[str, Any]:
        return api.put_list_entry(me(), **json_body(LIST_IN))

    @r.delete("/api/inbound/lists/<entry_id:int>", permission="queues.admin", response=OK,
              summary="Delete a list entry")
    def api_delete_list(entry_id: int) -> dict[str, Any]:
        return _ok(lambda: api.delete_list_entry(me(), entry_id))

    # -- API: schedules, prompts, queue rules ----------------------------------------------
    @r.get("/api/inbound/schedules", permission="queues.admin", response=arr(ANY_OBJ),
           summary="Schedules: weekly hours, holidays and exceptions")
    def api_schedules() -> list[dict[str, Any]]:
        return api.schedules(me())

    @r.put("/api/inbound/schedules/<name>", permission="queues.admin", body=SCHEDULE_IN,
           response=ANY_OBJ, summary="Create or replace a schedule")
    def api_put_schedule(name: str) -> dict[str, Any]:
        return api.put_schedule(me(), name, **json_body(SCHEDULE_IN))

    @r.delete("/api/inbound/schedules/<name>", permission="queues.admin", response=OK,
              summary="Delete a schedule (409 while a route uses it)")
    def api_delete_schedule(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_schedule(me(), name))

    @r.get("/api/inbound/schedules/<name>/state", permission="queues.admin",
           response=ANY_OBJ, summary="Whether a schedule is open now, and why")
    def api_schedule_state(name: str) -> dict[str, Any]:
        return api.schedule_state(me(), name)

    @r.get("/api/inbound/prompts", permission="queues.admin", response=arr(ANY_OBJ),
           summary="Named prompts")
    def api_prompts() -> list[dict[str, Any]]:
        return api.list_prompts(me())

    @r.put("/api/inbound/prompts/<name>", permission="queues.admin", body=PROMPT_IN,
           response=ANY_OBJ, summary="Create or replace a prompt: texts per language or "
           "a WAV under var/prompts")
    def api_put_prompt(name: str) -> dict[str, Any]:
        return api.put_prompt(me(), name, **json_body(PROMPT_IN))

    @r.put("/api/inbound/prompts/<name>/wav", permission="queues.admin", body=WAV_IN,
           response=ANY_OBJ, max_body=UPLOAD_MAX_BODY * 4 // 3 + 1024,
           summary="Upload a WAV (base64) as the prompt's recording for every language, or "
           "for one (language): 8 kHz mono, 16-bit PCM or A-law/µ-law (converted); 400 "
           "names what is wrong with any other file")
    def api_upload_prompt(name: str) -> dict[str, Any]:
        b = json_body(WAV_IN)
        try:
            data = base64.b64decode(b["wav_base64"], validate=True)
        except ValueError:              # binascii.Error, or a character outside ASCII
            raise fail(400, "wav_base64: not base64", parameter="wav_base64") from None
        return api.upload_prompt(me(), name, data, b.get("language", ""))

    @r.delete("/api/inbound/prompts/<name>/wav/<language>", permission="queues.admin",
              response=ANY_OBJ, summary="Take one language's recording off a prompt (400 "
              "when nothing would be left to play)")
    def api_delete_prompt_recording(name: str, language: str) -> dict[str, Any]:
        return api.delete_prompt_recording(me(), name, language)

    @r.delete("/api/inbound/prompts/<name>", permission="queues.admin", response=OK,
              summary="Delete a prompt")
    def api_delete_prompt(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_prompt(me(), name))

    @r.get("/api/inbound/prompts/<name>/audio", permission="queues.admin", kind="file",
           query={"language": p_choice("en", "zh")},
           summary="A prompt's audio (rendered with espeak-ng when it is text)")
    def api_prompt_audio(name: str) -> Any:
        path = api.prompt_audio(me(), f"prompt:{name}", args().get("language", "en"))
        if not os.path.isfile(path):
            raise fail(404, "the prompt's file is missing")
        res = bottle.static_file(os.path.basename(path), root=os.path.dirname(path),
                                 mimetype="audio/wav")
        res.set_header("Cache-Control", "private, no-store")
        return res

    @r.get("/api/inbound/queue-rules/<queue>", permission="queues.admin", response=ANY_OBJ,
           summary="A queue's rules")
    def api_queue_rules(queue: str) -> dict[str, Any]:
        return api.queue_rules(me(), queue)

    @r.put("/api/inbound/queue-rules/<queue>", permission="queues.admin", body=RULES_IN,
           response=ANY_OBJ, summary="Change some of a queue's rules")
    def api_put_queue_rules(queue: str) -> dict[str, Any]:
        return api.put_queue_rules(me(), queue, **json_body(RULES_IN))

    # -- API: IVR trees ------------------------------------------------------------------------
    @r.get("/api/ivr/trees", permission="queues.admin", response=arr(ANY_OBJ),
           summary="IVR trees (start, language, nodes)")
    def api_trees() -> list[dict[str, Any]]:
        return api.ivr_trees(me())

    @r.get("/api/ivr/schema", permission="queues.admin", response=ANY_OBJ,
           summary="What an IVR tree may hold: node types and their fields, languages, "
           "target kinds")
    def api_ivr_schema() -> dict[str, Any]:
        return api.ivr_schema(me())

    @r.post("/api/ivr/check", permission="queues.admin", body=CHECK_IN, response=ANY_OBJ,
            summary="Check an IVR tree without saving it (400 names the field at fault)")
    def api_check_tree() -> dict[str, Any]:
        b = json_body(CHECK_IN)
        return api.check_ivr_tree(me(), b["name"], b["tree"])

    @r.get("/api/ivr/trees/<name>", permission="queues.admin", response=ANY_OBJ,
           summary="One IVR tree")
    def api_tree(name: str) -> dict[str, Any]:
        return api.ivr_tree(me(), name)

    @r.put("/api/ivr/trees/<name>", permission="queues.admin", body=TREE_IN,
           response=ANY_OBJ, summary="Create or replace an IVR tree")
    def api_put_tree(name: str) -> dict[str, Any]:
        return api.put_ivr_tree(me(), name, json_body(TREE_IN)["tree"])

    @r.delete("/api/ivr/trees/<name>", permission="queues.admin", response=OK,
              summary="Delete an IVR tree (409 while a route points to it)")
    def api_delete_tree(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_ivr_tree(me(), name))

    # -- API: voicemail and callbacks ---------------------------------------------------------
    @r.get("/api/voicemail/boxes", permission="queues.admin", response=arr(ANY_OBJ),
           summary="Voicemail boxes")
    def api_boxes() -> list[dict[str, Any]]:
        return api.voicemail_boxes(me())

    @r.put("/api/voicemail/boxes/<name>", permission="queues.admin", body=BOX_IN,
           response=ANY_OBJ, summary="Create or change a voicemail box")
    def api_put_box(name: str) -> dict[str, Any]:
        return api.put_voicemail_box(me(), name, **json_body(BOX_IN))

    @r.delete("/api/voicemail/boxes/<name>", permission="queues.admin", response=OK,
              summary="Delete a voicemail box")
    def api_delete_box(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_voicemail_box(me(), name))

    @r.get("/api/voicemail", permission="calls.read_all", query=VOICEMAIL_PARAMS,
           response=paged(ANY_OBJ), summary="Voicemail messages, newest first")
    def api_voicemails() -> dict[str, Any]:
        return api.voicemails(me(), **args())

    @r.get("/api/voicemail/<voicemail_id:int>/audio", permission="recordings.play",
           kind="file", summary="A message's audio (audited; marks it heard)")
    def api_voicemail_audio(voicemail_id: int) -> Any:
        path = api.voicemail_file(me(), voicemail_id)
        if not os.path.isfile(path):
            raise fail(404, "the message's file is missing")
        res = bottle.static_file(os.path.basename(path), root=os.path.dirname(path),
                                 mimetype="audio/wav")
        res.set_header("Cache-Control", "private, no-store")
        return res

    @r.delete("/api/voicemail/<voicemail_id:int>", permission="recordings.delete",
              response=ANY_OBJ, summary="Delete a message and its file (audited)")
    def api_delete_voicemail(voicemail_id: int) -> dict[str, Any]:
        return api.delete_voicemail(me(), voicemail_id)

    @r.post("/api/voicemail/<voicemail_id:int>/ticket", permission="tickets.write",
            response=ANY_OBJ, summary="Open a ticket for a message (once)")
    def api_voicemail_ticket(voicemail_id: int) -> dict[str, Any]:
        return api.voicemail_ticket(me(), voicemail_id)

    @r.get("/api/callbacks", permission="calls.read_all",
           query={"state": p_choice("waiting", "done", "failed", "all")},
           response=arr(ANY_OBJ), summary="Callbacks promised to callers")
    def api_callbacks() -> list[dict[str, Any]]:
        state = args().get("state", "waiting")
        return api.callbacks(me(), None if state == "all" else state)

    # -- API: trunks, outbound routes, security ------------------------------------------------
    @r.put("/api/trunks/<name>", permission="queues.admin", body=TRUNK_IN, response=ANY_OBJ,
           summary="Create or change a SIP trunk (a field left out keeps its value)")
    def api_put_trunk(name: str) -> dict[str, Any]:
        return api.put_trunk(me(), name, **json_body(TRUNK_IN))

    @r.delete("/api/trunks/<name>", permission="queues.admin", response=OK,
              summary="Delete a trunk (409 while a route uses it)")
    def api_delete_trunk(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_trunk(me(), name))

    @r.get("/api/outbound-routes", permission="queues.admin", response=arr(ANY_OBJ),
           summary="Outbound routes: prefix -> trunk groups in order")
    def api_out_routes() -> list[dict[str, Any]]:
        return api.outbound_routes(me())

    @r.put("/api/outbound-routes/<name>", permission="queues.admin", body=OUT_ROUTE_IN,
           response=ANY_OBJ, summary="Create or change an outbound route")
    def api_put_out_route(name: str) -> dict[str, Any]:
        return api.put_outbound_route(me(), name, **json_body(OUT_ROUTE_IN))

    @r.delete("/api/outbound-routes/<name>", permission="queues.admin", response=OK,
              summary="Delete an outbound route")
    def api_delete_out_route(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_outbound_route(me(), name))

    @r.get("/api/security/log", permission="audit.read", query=SECURITY_PARAMS,
           response=paged(ANY_OBJ), summary="The SIP edge's security events, newest first")
    def api_security_log() -> dict[str, Any]:
        return api.security_log(me(), **args())

    def bans(p: Any) -> dict[str, Any]:
        try:
            return {"edge_running": True, "bans": api.security_bans(p)}
        except ApiError as exc:
            if exc.status != 503:
                raise
            return {"edge_running": False, "bans": []}

    @r.get("/api/security/bans", permission="audit.read", response=obj(
        ("edge_running", "bans"), edge_running=BOOL, bans=arr(ANY_OBJ)),
        summary="Sources the SIP edge ignores now (edge_running false: no edge here)")
    def api_bans() -> dict[str, Any]:
        return bans(me())

    @r.post("/api/security/unban", permission="queues.admin", body=UNBAN_IN,
            response=ANY_OBJ, summary="Lift a ban at once (404 if not banned)")
    def api_unban() -> dict[str, Any]:
        return unban(json_body(UNBAN_IN)["ip"])

    def unban(ip: str) -> dict[str, Any]:
        try:
            return api.unban(me(), ip)
        except ApiError as exc:
            if exc.status == 503:
                raise fail(409, "the SIP edge is not running here: nothing is banned") \
                    from None
            raise

    # -- API: blocking MFC-R2 timeslots -------------------------------------------------------
    @r.post("/api/lines/e1/<span:int>/block", permission="queues.admin", body=BLOCK_IN,
            response=ANY_OBJ,
            summary="Block an R2 timeslot of span N towards the far end (no timeslot: the "
                    "whole span); one in a call is blocked when the call ends")
    def api_block_line(span: int) -> dict[str, Any]:
        return api.block_line(me(), f"e1/{span}", json_body(BLOCK_IN).get("timeslot"))

    @r.post("/api/lines/e1/<span:int>/unblock", permission="queues.admin", body=BLOCK_IN,
            response=ANY_OBJ,
            summary="Lift the block of an R2 timeslot (no timeslot: the whole span)")
    def api_unblock_line(span: int) -> dict[str, Any]:
        return api.unblock_line(me(), f"e1/{span}", json_body(BLOCK_IN).get("timeslot"))

    # -- pages: routes and lists -------------------------------------------------------------
    def routes_view(error: str = "", check: dict[str, Any] | None = None) -> str:
        p = me()
        return page("admin_routes", "Routes and caller lists", routes=api.inbound_routes(p),
                    lists=api.caller_lists(p), schedules=[s["name"] for s in api.schedules(p)],
                    error=error, check=check, checked=dict(request.query))

    @r.get("/admin/routes", permission="queues.admin",
           query={"did": p_text(32), "trunk": p_text(32), "caller": p_text(32)},
           summary="DID routes, black and white lists, where a call would go")
    def admin_routes() -> str:
        a = args()
        check = None
        if a.get("did"):
            check = api.route_check(me(), a["did"], a.get("trunk", ""), a.get("caller", ""))
        return routes_view(check=check)

    @r.post("/admin/routes", permission="queues.admin", kind="form",
            summary="Save a DID route (form)")
    def admin_route_save() -> str:
        return attempt(routes_view, lambda: api.put_route(
            me(), posted("did"), posted("target"), posted("trunk"), posted("schedule"),
            posted("closed_target"), posted("note")), "/admin/routes")

    @r.post("/admin/routes/delete", permission="queues.admin", kind="form",
            summary="Delete a DID route (form)")
    def admin_route_delete() -> str:
        return attempt(routes_view, lambda: api.delete_route(me(), posted("did"),
                                                             posted("trunk")), "/admin/routes")

    @r.post("/admin/lists", permission="queues.admin", kind="form",
            summary="Add a black/white list entry (form)")
    def admin_list_save() -> str:
        def save() -> None:
            api.put_list_entry(me(), posted("kind"), posted("number"), posted("target"),
                               posted_int("priority", 0), None, posted("note"))
        return attempt(routes_view, save, "/admin/routes")

    @r.post("/admin/lists/<entry_id:int>/delete", permission="queues.admin", kind="form",
            summary="Delete a list entry (form)")
    def admin_list_delete(entry_id: int) -> str:
        return attempt(routes_view, lambda: api.delete_list_entry(me(), entry_id),
                       "/admin/routes")

    # -- pages: schedules -------------------------------------------------------------------
    def schedules_view(error: str = "") -> str:
        p = me()
        items = api.schedules(p)
        for s in items:
            s["state"] = api.schedule_state(p, s["name"])
            s["weekly_json"] = json.dumps(s["weekly"], indent=1)
            s["days_json"] = json.dumps(s["days"], indent=1, ensure_ascii=False)
        return page("admin_schedules", "Schedules and holidays", schedules=items, error=error)

    @r.get("/admin/schedules", permission="queues.admin",
           summary="Opening hours, holidays and exceptions")
    def admin_schedules() -> str:
        return schedules_view()

    @r.post("/admin/schedules", permission="queues.admin", kind="form",
            summary="Save a schedule (form)")
    def admin_schedule_save() -> str:
        return attempt(schedules_view, lambda: api.put_schedule(
            me(), posted("name"), posted("timezone") or "UTC", _json_field("weekly", {}),
            _json_field("days", {})), "/admin/schedules")

    @r.post("/admin/schedules/<name>/holiday", permission="queues.admin", kind="form",
            summary="Add a holiday to a schedule (form)")
    def admin_schedule_holiday(name: str) -> str:
        def add() -> None:
            s = next((x for x in api.schedules(me()) if x["name"] == name), None)
            if s is None:
                raise ApiError("no such schedule", status=404, field="name")
            day: dict[str, Any] = {"closed": True, "note": posted("note")}
            if posted("target"):
                day["target"] = posted("target")
            api.put_schedule(me(), name, s["timezone"], s["weekly"],
                             {**s["days"], posted("date"): day})
        return attempt(schedules_view, add, "/admin/schedules")

    @r.post("/admin/schedules/<name>/delete", permission="queues.admin", kind="form",
            summary="Delete a schedule (form)")
    def admin_schedule_delete(name: str) -> str:
        return attempt(schedules_view, lambda: api.delete_schedule(me(), name),
                       "/admin/schedules")

    # -- pages: prompts and queue rules ---------------------------------------------------------
    def prompts_view(error: str = "") -> str:
        return page("admin_prompts", "Prompts", prompts=api.list_prompts(me()), error=error,
                    max_mib=MAX_BYTES // (1024 * 1024), languages=LANGUAGES)

    @r.get("/admin/prompts", permission="queues.admin", summary="Prompts")
    def admin_prompts() -> str:
        return prompts_view()

    @r.post("/admin/prompts", permission="queues.admin", kind="form",
            summary="Save a prompt (form)")
    def admin_prompt_save() -> str:
        texts = {lang: posted(f"text_{lang}") for lang in ("en", "zh") if posted(f"text_{lang}")}
        return attempt(prompts_view, lambda: api.put_prompt(me(), posted("name"), texts,
                                                            posted("file")), "/admin/prompts")

    @r.post("/admin/prompts/upload", permission="queues.admin", kind="form",
            max_body=UPLOAD_MAX_BODY, summary="Upload a WAV as a prompt's file (form; "
            "8 kHz mono, 16-bit PCM or A-law/µ-law)")
    def admin_prompt_upload() -> str:
        def save() -> None:
            api.upload_prompt(me(), posted("name"), upload("wav", MAX_BYTES),
                              posted("language"))
        return attempt(prompts_view, save, "/admin/prompts")

    @r.post("/admin/prompts/<name>/recordings/<language>/delete", permission="queues.admin",
            kind="form", summary="Take one language's recording off a prompt (form)")
    def admin_prompt_recording_delete(name: str, language: str) -> str:
        return attempt(prompts_view, lambda: api.delete_prompt_recording(me(), name, language),
                       "/admin/prompts")

    @r.post("/admin/prompts/<name>/delete", permission="queues.admin", kind="form",
            summary="Delete a prompt (form)")
    def admin_prompt_delete(name: str) -> str:
        return attempt(prompts_view, lambda: api.delete_prompt(me(), name), "/admin/prompts")

    def rules_view(error: str = "") -> str:
        p = me()
        queues = [{"name": q["name"],
                   "rules": json.dumps({k: v for k, v in api.queue_rules(p, q["name"]).items()
                                        if k != "queue"}, indent=1, ensure_ascii=False)}
                  for q in api.list_queues(p)]
        return page("admin_queue_rules", "Queue rules", queues=queues, error=error)

    @r.get("/admin/queue-rules", permission="queues.admin",
           summary="What each queue does for its callers (announcements, overflow, exit key, "
           "callbacks, survey)")
    def admin_queue_rules() -> str:
        return rules_view()

    @r.post("/admin/queue-rules/<queue>", permission="queues.admin", kind="form",
            summary="Save a queue's rules (form, JSON)")
    def admin_queue_rules_save(queue: str) -> str:
        def save() -> None:
            rules = _json_field("rules", {})
            if not isinstance(rules, dict):
                raise ApiError("rules: expected a JSON object", status=400, field="rules")
            rules.pop("queue", None)
            api.put_queue_rules(me(), queue, **rules)
        return attempt(rules_view, save, "/admin/queue-rules")

    # -- pages: IVR -----------------------------------------------------------------------------
    def ivr_view(error: str = "", name: str = "", text: str = "", checked: str = "") -> str:
        p = me()
        trees = api.ivr_trees(p)
        return page("admin_ivr", "IVR trees", trees=[
            {"name": t["name"], "json": json.dumps(t["tree"], indent=1, ensure_ascii=False)}
            for t in trees], schema=api.ivr_schema(p), error=error, tree_name=name, text=text,
            checked=checked)

    @r.get("/admin/ivr", permission="queues.admin", summary="IVR trees (JSON editor)")
    def admin_ivr() -> str:
        return ivr_view()

    @r.post("/admin/ivr", permission="queues.admin", kind="form",
            summary="Check or save an IVR tree (form)")
    def admin_ivr_save() -> str:
        name, text = posted("name"), request.forms.getunicode("tree") or ""
        try:
            tree = _json_field("tree", None)
            if not isinstance(tree, dict):
                raise ApiError("tree: expected a JSON object", status=400, field="tree")
            if posted("action") == "check":
                out = api.check_ivr_tree(me(), name, tree)
                return ivr_view(name=name, text=json.dumps(out["tree"], indent=1,
                                                           ensure_ascii=False),
                                checked=f"{name}: the tree is valid ({len(out['tree']['nodes'])}"
                                " nodes); not saved yet")
            api.put_ivr_tree(me(), name, tree)
        except ApiError as exc:
            if exc.status not in REFUSED:
                raise
            response.status = exc.status
            return ivr_view(error=str(exc), name=name, text=text)
        redirect("/admin/ivr")

    @r.post("/admin/ivr/<name>/delete", permission="queues.admin", kind="form",
            summary="Delete an IVR tree (form)")
    def admin_ivr_delete(name: str) -> str:
        return attempt(ivr_view, lambda: api.delete_ivr_tree(me(), name), "/admin/ivr")

    # -- pages: voicemail, callbacks -------------------------------------------------------------
    def voicemail_view(error: str = "") -> str:
        p = me()
        messages: list[dict[str, Any]] = []
        if p.can("calls.read_all"):
            messages = api.voicemails(p, limit=100)["items"]
            for m in messages:
                m["time"] = local_time(m.get("created_at"))
        return page("admin_voicemail", "Voicemail", boxes=api.voicemail_boxes(p),
                    messages=messages, error=error)

    @r.get("/admin/voicemail", permission="queues.admin",
           summary="Voicemail boxes and messages")
    def admin_voicemail() -> str:
        return voicemail_view()

    @r.post("/admin/voicemail", permission="queues.admin", kind="form",
            summary="Save a voicemail box (form)")
    def admin_box_save() -> str:
        def save() -> None:
            api.put_voicemail_box(me(), posted("name"), posted("greeting"),
                                  posted_int("max_s", 120),
                                  posted("ticket_type"), posted("language") or "en")
        return attempt(voicemail_view, save, "/admin/voicemail")

    @r.post("/admin/voicemail/<name>/delete", permission="queues.admin", kind="form",
            summary="Delete a voicemail box (form)")
    def admin_box_delete(name: str) -> str:
        return attempt(voicemail_view, lambda: api.delete_voicemail_box(me(), name),
                       "/admin/voicemail")

    @r.post("/admin/voicemail/messages/<voicemail_id:int>/delete",
            permission="recordings.delete", kind="form", summary="Delete a message (form)")
    def admin_message_delete(voicemail_id: int) -> str:
        return attempt(voicemail_view, lambda: api.delete_voicemail(me(), voicemail_id),
                       "/admin/voicemail")

    @r.post("/admin/voicemail/messages/<voicemail_id:int>/ticket",
            permission="tickets.write", kind="form", summary="Open a ticket for a message")
    def admin_message_ticket(voicemail_id: int) -> None:
        t = api.voicemail_ticket(me(), voicemail_id)
        redirect(f"/tickets/{t['id']}")

    @r.get("/admin/callbacks", permission="calls.read_all",
           query={"state": p_choice("waiting", "done", "failed", "all")},
           summary="Callbacks promised to callers")
    def admin_callbacks() -> str:
        state = args().get("state", "waiting")
        items = api.callbacks(me(), None if state == "all" else state)
        for c in items:
            c["time"] = local_time(c.get("joined_at"))
        return page("admin_callbacks", "Callbacks", callbacks=items, state=state)

    # -- pages: trunks and outbound routes ---------------------------------------------------------
    def telephony_view(error: str = "") -> str:
        p = me()
        return page("admin_telephony", "Telephony", trunks=api.list_trunks(p),
                    out_routes=api.outbound_routes(p), dids=api.list_dids(p),
                    menus=api.list_ivr_menus(p), error=error,
                    status=line_status(api.health()))

    @r.get("/admin/telephony", permission="queues.admin",
           summary="SIP trunks and outbound routes (editable), DIDs and IVR menus")
    def admin_telephony() -> str:
        return telephony_view()

    @r.post("/admin/trunks", permission="queues.admin", kind="form",
            summary="Save a SIP trunk (form)")
    def admin_trunk_save() -> str:
        def save() -> None:
            data: dict[str, Any] = {
                "kind": posted("kind") or "sip-ip", "host": posted("host"),
                "domain": posted("domain"), "username": posted("username"),
                "caller_id": posted("caller_id"), "enabled": ticked("enabled"),
                "keepalive": ticked("keepalive"),
                "sources": [x.strip() for x in posted("sources").replace(",", " ").split()]}
            for k in ("port", "max_channels", "register_expires"):
                if posted(k):
                    data[k] = posted_int(k, 0)
            if request.forms.getunicode("secret"):
                data["secret"] = request.forms.getunicode("secret")
            api.put_trunk(me(), posted("name"), **data)
        return attempt(telephony_view, save, "/admin/telephony")

    @r.post("/admin/trunks/<name>/delete", permission="queues.admin", kind="form",
            summary="Delete a SIP trunk (form)")
    def admin_trunk_delete(name: str) -> str:
        return attempt(telephony_view, lambda: api.delete_trunk(me(), name),
                       "/admin/telephony")

    @r.post("/admin/outbound-routes", permission="queues.admin", kind="form",
            summary="Save an outbound route (form)")
    def admin_out_route_save() -> str:
        def save() -> None:
            api.put_outbound_route(
                me(), posted("name"), prefix=posted("prefix"),
                groups=[x.strip() for x in posted("groups").replace(",", " ").split()],
                strip=posted_int("strip", 0), prepend=posted("prepend"),
                caller_id_mode=posted("caller_id_mode") or "pass",
                caller_id=posted("caller_id"), enabled=ticked("enabled"))
        return attempt(telephony_view, save, "/admin/telephony")

    @r.post("/admin/outbound-routes/<name>/delete", permission="queues.admin", kind="form",
            summary="Delete an outbound route (form)")
    def admin_out_route_delete(name: str) -> str:
        return attempt(telephony_view, lambda: api.delete_outbound_route(me(), name),
                       "/admin/telephony")

    # -- pages: security ---------------------------------------------------------------------------
    def security_view(error: str = "") -> str:
        p = me()
        a = args()
        a.setdefault("limit", 100)
        log = api.security_log(p, **a)
        for e in log["items"]:
            e["time"] = local_time(e.get("ts"))
            e["detail"] = ", ".join(f"{k}={v}" for k, v in e.items()
                                    if k not in ("seq", "ts", "kind", "time", "ip"))
        return page("admin_security", "Security", log=log["items"], total=log["total"],
                    bans=bans(p), error=error)

    @r.get("/admin/security", permission="audit.read", query=SECURITY_PARAMS,
           summary="The SIP edge's security log and the sources banned now")
    def admin_security() -> str:
        return security_view()

    @r.post("/admin/security/unban", permission="queues.admin", kind="form",
            summary="Lift a ban (form)")
    def admin_unban() -> str:
        return attempt(security_view, lambda: unban(posted("ip")), "/admin/security")


"""Admin: users, roles, teams, API tokens (``users.admin``); queues, seats with generated
SIP passwords and softphone instructions, trunks / DIDs / IVR read-only (``queues.admin``);
the audit log (``audit.read``). Forms post to pages; the same operations are in the API."""
from __future__ import annotations

from typing import Any, Callable

from bottle import request, response

from firmware.api import ApiError
from firmware.crm.permissions import PERMISSIONS
from firmware.store.config import STRATEGIES
from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import (ANY_OBJ, BOOL, INT, OK, OPT_STR, STR, arr, args, json_body, me,
                            obj, paged)
from webui.pages import local_time, page, redirect
from webui.params import p_int, p_text, parse_time
from webui.routing import Router

TAG = "admin"
ADMIN_AREAS = ("users.admin", "queues.admin", "records.admin", "audit.read", "customers.admin",
               "tickets.admin", "system.admin", "system.backup", "surveys.admin", "desk.admin",
               "rating.admin", "campaigns.admin")
USER = obj(("username", "role"), username=STR, role=STR, seat=OPT_STR, team=OPT_STR,
           display_name=STR, disabled=BOOL)
USER_IN = obj(("username", "role"), username={"type": "string", "maxLength": 32},
              role={"type": "string", "maxLength": 32}, password=OPT_STR, seat=OPT_STR,
              display_name={"type": "string", "maxLength": 64}, team=OPT_STR, disabled=BOOL)
USER_IN["additionalProperties"] = False
ROLE_IN = obj(("name", "permissions"), name={"type": "string", "maxLength": 32},
              permissions=arr(STR), description={"type": "string", "maxLength": 200})
TEAM_IN = obj(("name",), name={"type": "string", "maxLength": 32}, parent=OPT_STR,
              leader=OPT_STR)
TOKEN_IN = obj(("name", "role"), name={"type": "string", "maxLength": 32},
               role={"type": "string", "maxLength": 32})
QUEUE = obj(("name", "strategy"), name=STR, strategy=STR, wrapup_s=INT, ring_timeout_s=INT,
            max_wait_s=INT, sl_threshold_s=INT, moh_file=STR, caller_display=STR)
QUEUE_IN = obj((), strategy={"type": "string", "enum": list(STRATEGIES)},
               wrapup_s={"type": "integer", "minimum": 0, "maximum": 3600},
               ring_timeout_s={"type": "integer", "minimum": 1, "maximum": 600},
               max_wait_s={"type": "integer", "minimum": 0, "maximum": 86400},
               sl_threshold_s={"type": "integer", "minimum": 1, "maximum": 3600},
               moh_file={"type": "string", "maxLength": 200},
               caller_display={"type": "string", "maxLength": 64})
QUEUE_IN["additionalProperties"] = False
SEAT = obj(("extension", "queues"), extension=STR, display_name=STR, queues=ANY_OBJ,
           password=OPT_STR)
SEAT_IN = obj((), display_name={"type": "string", "maxLength": 64}, queues={
    "type": "object", "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 99}},
    new_password=BOOL)
SEAT_IN["additionalProperties"] = False
QUEUE_FORM_INTS = ("wrapup_s", "ring_timeout_s", "max_wait_s", "sl_threshold_s")


def _ok(fn: Callable[[], Any]) -> dict[str, Any]:
    fn()
    return {"ok": True}


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    # API: users, roles, teams, tokens ------------------------------------------------
    @r.get("/api/users", permission="users.admin", response=arr(USER), summary="Users")
    def api_users() -> list[dict[str, Any]]:
        return api.list_users(me())

    @r.post("/api/users", permission="users.admin", body=USER_IN, response=USER,
            summary="Create or replace a user (a new user needs a password)")
    def api_put_user() -> dict[str, Any]:
        return api.put_user(me(), **json_body(USER_IN))

    @r.delete("/api/users/<username>", permission="users.admin", response=OK,
              summary="Delete a user")
    def api_delete_user(username: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_user(me(), username))

    @r.get("/api/roles", permission="users.admin", response=arr(obj(
        ("name", "permissions"), name=STR, builtin=BOOL, permissions=arr(STR))),
        summary="Roles with their permissions")
    def api_roles() -> list[dict[str, Any]]:
        return api.list_roles(me())

    @r.post("/api/roles", permission="users.admin", body=ROLE_IN, response=ANY_OBJ,
            summary="Create or change a custom role")
    def api_put_role() -> dict[str, Any]:
        return api.put_role(me(), **json_body(ROLE_IN))

    @r.delete("/api/roles/<name>", permission="users.admin", response=OK,
              summary="Delete a custom role (409 while users have it)")
    def api_delete_role(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_role(me(), name))

    @r.get("/api/permissions", permission="users.admin",
           response={"type": "object", "additionalProperties": STR},
           summary="The permission catalogue (name: what it allows)")
    def api_permissions() -> dict[str, str]:
        return api.permission_catalogue(me())

    @r.get("/api/teams", permission="users.admin", response=arr(ANY_OBJ),
           summary="Teams as a tree")
    def api_teams() -> list[dict[str, Any]]:
        return api.list_teams(me())

    @r.post("/api/teams", permission="users.admin", body=TEAM_IN, response=ANY_OBJ,
            summary="Create or change a team")
    def api_put_team() -> dict[str, Any]:
        return api.put_team(me(), **json_body(TEAM_IN))

    @r.delete("/api/teams/<name>", permission="users.admin", response=OK, summary="Delete a team")
    def api_delete_team(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_team(me(), name))

    @r.get("/api/tokens", permission="users.admin", response=arr(ANY_OBJ),
           summary="API tokens (never their secrets)")
    def api_tokens() -> list[dict[str, Any]]:
        return api.list_api_tokens(me())

    @r.post("/api/tokens", permission="users.admin", body=TOKEN_IN, response=obj(
        ("name", "role", "token"), name=STR, role=STR, token=STR),
        summary="Create an API token for an integration (the secret is shown once)")
    def api_create_token() -> dict[str, Any]:
        return api.create_api_token(me(), **json_body(TOKEN_IN))

    @r.delete("/api/tokens/<name>", permission="users.admin", response=OK,
              summary="Revoke an API token")
    def api_revoke_token(name: str) -> dict[str, Any]:
        return _ok(lambda: api.revoke_api_token(me(), name))

    # API: telephony configuration ------------------------------------------------------
    @r.get("/api/queues", permission="queues.admin", response=arr(QUEUE), summary="Queues")
    def api_queues() -> list[dict[str, Any]]:
        return api.list_queues(me())

    @r.put("/api/queues/<name>", permission="queues.admin", body=QUEUE_IN, response=QUEUE,
           summary="Create a queue or change some of its settings")
    def api_put_queue(name: str) -> dict[str, Any]:
        return api.put_queue(me(), name, **json_body(QUEUE_IN))

    @r.delete("/api/queues/<name>", permission="queues.admin", response=OK,
              summary="Delete a queue (409 while an IVR option or a DID points to it)")
    def api_delete_queue(name: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_queue(me(), name))

    @r.get("/api/seats", permission="queues.admin", response=arr(SEAT), summary="Seats")
    def api_seats() -> list[dict[str, Any]]:
        return api.list_seats(me())

    @r.put("/api/seats/<extension>", permission="queues.admin", body=SEAT_IN, response=SEAT,
           summary="Create or change a seat; a new seat (or new_password) gets a generated "
           "SIP password, returned once")
    def api_put_seat(extension: str) -> dict[str, Any]:
        return api.put_seat(me(), extension, **json_body(SEAT_IN))

    @r.delete("/api/seats/<extension>", permission="queues.admin", response=OK,
              summary="Delete a seat")
    def api_delete_seat(extension: str) -> dict[str, Any]:
        return _ok(lambda: api.delete_seat(me(), extension))

    @r.get("/api/trunks", permission="queues.admin", response=arr(ANY_OBJ), summary="Trunks")
    def api_trunks() -> list[dict[str, Any]]:
        return api.list_trunks(me())

    @r.get("/api/dids", permission="queues.admin", response=arr(ANY_OBJ),
           summary="Dialled numbers and where they go")
    def api_dids() -> list[dict[str, Any]]:
        return api.list_dids(me())

    @r.get("/api/ivr", permission="queues.admin", response=arr(ANY_OBJ), summary="IVR menus")
    def api_ivr() -> list[dict[str, Any]]:
        return api.list_ivr_menus(me())

    RULE = obj(("kind", "queue", "days"), kind=STR, queue=STR, days=INT)
    RULE_IN = obj(("kind", "days"), kind={"type": "string", "enum": ["cdr", "recording"]},
                  days={"type": "integer", "minimum": 1, "maximum": 36500},
                  queue={"type": "string", "maxLength": 32})

    @r.get("/api/retention", permission="records.admin", response=arr(RULE),
           summary="Retention rules: days to keep call records and recordings, per queue")
    def api_retention() -> list[dict[str, Any]]:
        return api.retention_rules(me())

    @r.post("/api/retention", permission="records.admin", body=RULE_IN, response=OK,
            summary="Set a retention rule (queue '' is the default for every queue)")
    def api_put_retention() -> dict[str, Any]:
        b = json_body(RULE_IN)
        return _ok(lambda: api.put_retention_rule(me(), b["kind"], b["days"], b.get("queue", "")))

    @r.post("/api/retention/purge", permission="records.admin", response=obj(
        ("recordings", "calls"), recordings=INT, calls=INT, bytes=INT),
        summary="Delete what is past its retention now (audited)")
    def api_purge() -> dict[str, Any]:
        return api.purge(me())

    AUDIT_PARAMS = {"since": parse_time, "until": parse_time, "actor": p_text(64),
                    "action": p_text(64), "limit": p_int(1, 500), "offset": p_int(0, 10**9)}

    @r.get("/api/audit", permission="audit.read", query=AUDIT_PARAMS, response=paged(ANY_OBJ),
           summary="The audit log, newest first (reading it is audited too)")
    def api_audit() -> dict[str, Any]:
        return api.audit_log(me(), **args())

    # pages -----------------------------------------------------------------------------
    @r.get("/admin", permission=ADMIN_AREAS, summary="Administration")
    def admin_page() -> str:
        return page("admin", "Administration")

    def users_view(error: str = "", status: int = 200) -> str:
        p = me()
        response.status = status
        return page("admin_users", "Users", users=api.list_users(p),
                    roles=[x["name"] for x in api.list_roles(p)],
                    teams=_flatten(api.list_teams(p)), error=error)

    @r.get("/admin/users", permission="users.admin", summary="Users")
    def admin_users() -> str:
        return users_view()

    @r.post("/admin/users", permission="users.admin", kind="form", summary="Save a user (form)")
    def admin_user_save() -> str:
        f = request.forms
        try:
            api.put_user(me(), (f.getunicode("username") or "").strip(),
                         f.getunicode("role") or "", password=f.getunicode("password") or None,
                         seat=(f.getunicode("seat") or "").strip() or None,
                         display_name=(f.getunicode("display_name") or "").strip(),
                         team=f.getunicode("team") or None, disabled=f.get("disabled") == "1")
        except ApiError as exc:
            if exc.status != 400:
                raise
            return users_view(str(exc), 400)
        redirect("/admin/users")

    @r.post("/admin/users/<username>/delete", permission="users.admin", kind="form",
            summary="Delete a user (form)")
    def admin_user_delete(username: str) -> None:
        if username == me().user:
            raise fail(409, "you cannot delete yourself")
        api.delete_user(me(), username)
        redirect("/admin/users")

    @r.get("/admin/roles", permission="users.admin", summary="Roles and permissions")
    def admin_roles() -> str:
        return page("admin_roles", "Roles", roles=api.list_roles(me()),
                    catalogue=PERMISSIONS)

    @r.post("/admin/roles", permission="users.admin", kind="form", summary="Save a role (form)")
    def admin_role_save() -> None:
        f = request.forms
        api.put_role(me(), (f.getunicode("name") or "").strip(),
                     [x for x in f.getall("permission") if x in PERMISSIONS],
                     (f.getunicode("description") or "").strip())
        redirect("/admin/roles")

    @r.post("/admin/roles/<name>/delete", permission="users.admin", kind="form",
            summary="Delete a role (form)")
    def admin_role_delete(name: str) -> None:
        api.delete_role(me(), name)
        redirect("/admin/roles")

    @r.get("/admin/teams", permission="users.admin", summary="Teams")
    def admin_teams() -> str:
        p = me()
        return page("admin_teams", "Teams", teams=_flatten(api.list_teams(p)),
                    users=[u["username"] for u in api.list_users(p)])

    @r.post("/admin/teams", permission="users.admin", kind="form", summary="Save a team (form)")
    def admin_team_save() -> None:
        f = request.forms
        api.put_team(me(), (f.getunicode("name") or "").strip(),
                     parent=f.getunicode("parent") or None, leader=f.getunicode("leader") or None)
        redirect("/admin/teams")

    @r.get("/admin/tokens", permission="users.admin", summary="API tokens")
    def admin_tokens() -> str:
        p = me()
        return page("admin_tokens", "API tokens", tokens=api.list_api_tokens(p),
                    roles=[x["name"] for x in api.list_roles(p)], created=None)

    @r.post("/admin/tokens", permission="users.admin", kind="form",
            summary="Create an API token (form; the secret is shown once)")
    def admin_token_create() -> str:
        p = me()
        f = request.forms
        created = api.create_api_token(p, (f.getunicode("name") or "").strip(),
                                       f.getunicode("role") or "")
        return page("admin_tokens", "API tokens", tokens=api.list_api_tokens(p),
                    roles=[x["name"] for x in api.list_roles(p)], created=created)

    @r.post("/admin/tokens/<name>/revoke", permission="users.admin", kind="form",
            summary="Revoke an API token (form)")
    def admin_token_revoke(name: str) -> None:
        api.revoke_api_token(me(), name)
        redirect("/admin/tokens")

    @r.get("/admin/queues", permission="queues.admin", summary="Queues and their ACD settings")
    def admin_queues() -> str:
        return page("admin_queues", "Queues", queues=api.list_queues(me()),
                    strategies=STRATEGIES, error="")

    @r.post("/admin/queues", permission="queues.admin", kind="form",
            summary="Save a queue (form)")
    def admin_queue_save() -> str:
        f = request.forms
        fields: dict[str, Any] = {"strategy": f.getunicode("strategy") or "longest-idle",
                                  "caller_display": f.getunicode("caller_display") or "",
                                  "moh_file": (f.getunicode("moh_file") or "").strip()}
        try:
            for k in QUEUE_FORM_INTS:
                v = (f.get(k) or "").strip()
                if not v.isdigit():
                    raise ApiError(f"{k}: expected a whole number of seconds", status=400,
                                   field=k)
                fields[k] = int(v)
            api.put_queue(me(), (f.getunicode("name") or "").strip(), **fields)
        except ApiError as exc:
            if exc.status != 400:
                raise
            response.status = 400
            return page("admin_queues", "Queues", queues=api.list_queues(me()),
                        strategies=STRATEGIES, error=str(exc))
        redirect("/admin/queues")

    def seats_view(created: dict[str, Any] | None = None, error: str = "",
                   status: int = 200) -> str:
        p = me()
        response.status = status
        return page("admin_seats", "Seats", seats=api.list_seats(p),
                    queues=[q["name"] for q in api.list_queues(p)], site=api.site(p),
                    created=created, error=error)

    @r.get("/admin/seats", permission="queues.admin",
           summary="Seats (SIP phones) and how to register a softphone or desk phone")
    def admin_seats() -> str:
        return seats_view()

    @r.post("/admin/seats", permission="queues.admin", kind="form",
            summary="Create or change a seat (form; a new password is shown once)")
    def admin_seat_save() -> str:
        f = request.forms
        queues: dict[str, int] = {}
        for q in f.getall("queue"):
            pen = (f.get(f"penalty_{q}") or "0").strip()
            queues[q] = int(pen) if pen.isdigit() else 0
        try:
            created = api.put_seat(me(), (f.getunicode("extension") or "").strip(),
                                   display_name=(f.getunicode("display_name") or "").strip(),
                                   queues=queues, new_password=f.get("new_password") == "1")
        except ApiError as exc:
            if exc.status != 400:
                raise
            return seats_view(error=str(exc), status=400)
        return seats_view(created if created.get("password") else None)

    @r.post("/admin/seats/<extension>/delete", permission="queues.admin", kind="form",
            summary="Delete a seat (form)")
    def admin_seat_delete(extension: str) -> None:
        api.delete_seat(me(), extension)
        redirect("/admin/seats")

    @r.get("/admin/retention", permission="records.admin",
           summary="How long call records and recordings are kept")
    def admin_retention() -> str:
        p = me()
        return page("admin_retention", "Retention", rules=api.retention_rules(p),
                    queues=[q["name"] for q in api.list_queues(p)]
                    if p.can("queues.admin") else [], purged=None)

    @r.post("/admin/retention", permission="records.admin", kind="form",
            summary="Set or remove a retention rule (form)")
    def admin_retention_save() -> None:
        f = request.forms
        kind, queue = f.get("kind") or "", (f.getunicode("queue") or "").strip()
        days = (f.get("days") or "").strip()
        if f.get("remove") == "1":
            api.delete_retention_rule(me(), kind, queue)
        elif not days.isdigit():
            raise fail(400, "days: expected a whole number of days", parameter="days")
        else:
            api.put_retention_rule(me(), kind, int(days), queue)
        redirect("/admin/retention")

    @r.post("/admin/retention/purge", permission="records.admin", kind="form",
            summary="Purge now (form)")
    def admin_purge() -> str:
        p = me()
        purged = api.purge(p)
        return page("admin_retention", "Retention", rules=api.retention_rules(p),
                    queues=[q["name"] for q in api.list_queues(p)]
                    if p.can("queues.admin") else [], purged=purged)

    @r.get("/admin/audit", permission="audit.read", query=AUDIT_PARAMS, summary="Audit log")
    def admin_audit() -> str:
        a = args()
        a.setdefault("limit", 100)
        result = api.audit_log(me(), **a)
        for e in result["items"]:
            e["time"] = local_time(e.get("ts"))
        return page("admin_audit", "Audit log", entries=result["items"], total=result["total"],
                    filters={k: v for k, v in request.query.items() if v})


def _flatten(tree: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    out = []
    for t in tree:
        out.append({**t, "depth": depth})
        out += _flatten(t.get("children", []), depth + 1)
    return out

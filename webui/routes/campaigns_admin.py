"""Outbound campaigns and the do-not-call list (``campaigns.admin``): the REST routes
over ``firmware.api_desk`` (``/api/campaigns``, ``/api/dnc``) and the pages
``/admin/campaigns``, ``/admin/campaigns/<name>`` and ``/admin/dnc``.

A campaign is a call list a queue's agents work through (the progressive dialer of
``firmware.cti``): its hours and days, attempts and the wait between them; it is
started, paused and finished from its page. Its list and the do-not-call list are
uploaded as CSV (``firmware.cti.campaign_csv``: a number column, other columns kept);
the page shows what was added, skipped and every rejected row with its line and
column. Numbers are masked for a role without ``numbers.unmasked``, as everywhere; such a
user cannot remove a number it only sees masked. A refused change re-renders the page
with the reason naming the field.
"""
from __future__ import annotations

import base64
import time
from typing import Any

from firmware.api import ApiError
from firmware.cti.campaign_csv import MAX_BYTES
from firmware.store.campaigns import STATES
from webui.access import AccessPlugin, WebUi, fail
from webui.forms import attempt, posted, posted_int, queue_names, upload
from webui.handlers import ANY_OBJ, INT, OK, OPT_NUM, arr, args, json_body, me, obj, paged
from webui.pages import local_time, page
from webui.params import p_choice, p_int, parse_time
from webui.routing import Router

TAG = "campaigns"
UPLOAD_MAX_BODY = MAX_BYTES + 64 * 1024
HHMM = {"type": "string", "maxLength": 5}
CAMPAIGN_IN = obj(("queue",), queue={"type": "string", "maxLength": 32},
                  caller_id={"type": "string", "maxLength": 32}, hours_start=HHMM,
                  hours_end=HHMM, days={"type": "string", "maxLength": 7},
                  max_attempts={"type": "integer", "minimum": 1, "maximum": 20},
                  retry_s={"type": "integer", "minimum": 10, "maximum": 604800},
                  backoff={"type": "number", "minimum": 1, "maximum": 10},
                  ring_timeout_s={"type": "integer", "minimum": 5, "maximum": 120})
STATE_IN = obj(("state",), state={"type": "string", "enum": list(STATES)})
CSV_IN = obj(("csv_base64",), csv_base64={"type": "string",
                                          "maxLength": MAX_BYTES * 4 // 3 + 4})
IMPORTED = obj(("added", "skipped", "rejected"), added=INT, skipped=INT,
               rejected=arr(ANY_OBJ))
DNC_IN = obj(("number",), number={"type": "string", "maxLength": 32},
             note={"type": "string", "maxLength": 200}, expires_at=OPT_NUM)
RECORD_PARAMS = {"state": p_choice("pending", "dialing", "done"), "limit": p_int(1, 500),
                 "offset": p_int(0, 10**9)}
PAGE_PARAMS = {"limit": p_int(1, 500), "offset": p_int(0, 10**9)}
#: the campaign form's whole-number fields: (name, default, lowest, highest)
WHOLE = (("max_attempts", 3, 1, 20), ("retry_s", 600, 10, 604800),
         ("ring_timeout_s", 30, 5, 120))


def csv_bytes() -> bytes:
    """The ``csv_base64`` of an API request, decoded (400 naming it otherwise)."""
    try:
        return base64.b64decode(json_body(CSV_IN)["csv_base64"], validate=True)
    except ValueError:
        raise fail(400, "csv_base64: not base64", parameter="csv_base64") from None


def campaign_form() -> dict[str, Any]:
    """The campaign form's fields as ``put_campaign``'s keywords (a bad number named; an
    empty hours or days field keeps the default)."""
    out: dict[str, Any] = {"caller_id": posted("caller_id")}
    out.update({k: posted(k) for k in ("hours_start", "hours_end", "days") if posted(k)})
    for name, default, lo, hi in WHOLE:
        out[name] = posted_int(name, default, lo, hi)
    raw = posted("backoff") or "2"
    try:
        out["backoff"] = float(raw)
    except ValueError:
        raise ApiError(f"backoff: expected a factor 1.0-10.0, got {raw[:20]!r}", status=400,
                       field="backoff") from None
    return out


def when(t: Any) -> str:
    """A stored time (epoch seconds or ISO-8601) as local date and time; '' for none."""
    if t is None or t == "":
        return ""
    if isinstance(t, str):
        return local_time(t)
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(float(t)))


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    # -- API ------------------------------------------------------------------------------
    @r.get("/api/campaigns", permission="campaigns.admin", response=arr(ANY_OBJ),
           summary="Outbound campaigns with their settings, state and record counts")
    def api_campaigns() -> list[dict[str, Any]]:
        return api.campaigns(me())

    @r.put("/api/campaigns/<name>", permission="campaigns.admin", body=CAMPAIGN_IN,
           response=ANY_OBJ, summary="Create or change a campaign (its state is kept)")
    def api_put_campaign(name: str) -> dict[str, Any]:
        b = json_body(CAMPAIGN_IN)
        return api.put_campaign(me(), name, b.pop("queue"), **b)

    @r.delete("/api/campaigns/<name>", permission="campaigns.admin", response=OK,
              summary="Delete a campaign and its list")
    def api_delete_campaign(name: str) -> dict[str, Any]:
        api.delete_campaign(me(), name)
        return {"ok": True}

    @r.post("/api/campaigns/<name>/state", permission="campaigns.admin", body=STATE_IN,
            response=ANY_OBJ, summary="Start (running), pause, finish or reset (draft)")
    def api_campaign_state(name: str) -> dict[str, Any]:
        return api.set_campaign_state(me(), name, json_body(STATE_IN)["state"])

    @r.get("/api/campaigns/<name>/records", permission="campaigns.admin",
           query=RECORD_PARAMS, response=paged(ANY_OBJ),
           summary="A campaign's call list in file order (numbers masked per role)")
    def api_campaign_records(name: str) -> dict[str, Any]:
        return api.campaign_records(me(), name, **args())

    @r.post("/api/campaigns/<name>/import", permission="campaigns.admin", body=CSV_IN,
            response=IMPORTED, max_body=UPLOAD_MAX_BODY * 4 // 3 + 1024, errors=(422,),
            summary="Add a CSV call list (base64) to a campaign; 422 names the line of a "
            "file that is no list")
    def api_campaign_import(name: str) -> dict[str, Any]:
        return api.import_campaign_data(me(), name, csv_bytes())

    @r.get("/api/dnc", permission="campaigns.admin", query=PAGE_PARAMS,
           response=paged(ANY_OBJ), summary="The do-not-call list (numbers masked per role)")
    def api_dnc() -> dict[str, Any]:
        return api.dnc_list(me(), **args())

    @r.post("/api/dnc", permission="campaigns.admin", body=DNC_IN, response=ANY_OBJ,
            summary="Put a number on the do-not-call list (or change its note and expiry)")
    def api_put_dnc() -> dict[str, Any]:
        return api.put_dnc(me(), **json_body(DNC_IN))

    @r.delete("/api/dnc/<number>", permission="campaigns.admin", response=OK,
              summary="Take a number off the do-not-call list")
    def api_delete_dnc(number: str) -> dict[str, Any]:
        api.delete_dnc(me(), number)
        return {"ok": True}

    @r.post("/api/dnc/import", permission="campaigns.admin", body=CSV_IN, response=IMPORTED,
            max_body=UPLOAD_MAX_BODY * 4 // 3 + 1024, errors=(422,),
            summary="Put the numbers of a CSV file (base64; a number column, an optional "
            "note column) on the do-not-call list")
    def api_dnc_import() -> dict[str, Any]:
        return api.import_dnc(me(), csv_bytes())

    # -- pages: campaigns -----------------------------------------------------------------
    def list_view(error: str = "") -> str:
        p = me()
        return page("admin_campaigns", "Campaigns", campaigns=api.campaigns(p),
                    queues=queue_names(api, p), error=error)

    def campaign_view(name: str, error: str = "", result: Any = None) -> str:
        p = me()
        a = args()
        c = next((x for x in api.campaigns(p) if x["name"] == name), None)
        if c is None:
            raise fail(404, f"no campaign {name!r}")
        rec = api.campaign_records(p, name, a.get("state"), 100, a.get("offset", 0))
        for x in rec["items"]:
            x["last"] = when(x.get("last_at"))
        return page("admin_campaign", f"Campaign {name}", c=c, records=rec,
                    queues=queue_names(api, p), states=STATES, error=error, result=result,
                    state=a.get("state", ""))

    @r.get("/admin/campaigns", permission="campaigns.admin",
           summary="Outbound campaigns: list, create")
    def admin_campaigns() -> str:
        return list_view()

    @r.post("/admin/campaigns", permission="campaigns.admin", kind="form",
            summary="Create or change a campaign (form)")
    def admin_campaign_save() -> str:
        name = posted("name")
        return attempt(list_view, lambda: api.put_campaign(me(), name, posted("queue"),
                                                           **campaign_form()),
                       f"/admin/campaigns/{name}")

    @r.get("/admin/campaigns/<name>", permission="campaigns.admin",
           query={"state": p_choice("pending", "dialing", "done"),
                  "offset": p_int(0, 10**9)},
           summary="A campaign: settings, state, its call list and importing more")
    def admin_campaign(name: str) -> str:
        return campaign_view(name)

    @r.post("/admin/campaigns/<name>", permission="campaigns.admin", kind="form",
            summary="Change a campaign (form)")
    def admin_campaign_change(name: str) -> str:
        return attempt(campaign_view, lambda: api.put_campaign(
            me(), name, posted("queue"), **campaign_form()), f"/admin/campaigns/{name}",
            name=name)

    @r.post("/admin/campaigns/<name>/state", permission="campaigns.admin", kind="form",
            summary="Start, pause, finish or reset a campaign (form)")
    def admin_campaign_state(name: str) -> str:
        return attempt(campaign_view, lambda: api.set_campaign_state(me(), name,
                                                                     posted("state")),
                       f"/admin/campaigns/{name}", name=name)

    @r.post("/admin/campaigns/<name>/import", permission="campaigns.admin", kind="form",
            max_body=UPLOAD_MAX_BODY, summary="Add a CSV call list to a campaign (form)")
    def admin_campaign_import(name: str) -> str:
        return attempt(campaign_view, lambda: api.import_campaign_data(
            me(), name, upload("file", MAX_BYTES)), None, name=name)

    @r.post("/admin/campaigns/<name>/delete", permission="campaigns.admin", kind="form",
            summary="Delete a campaign and its list (form)")
    def admin_campaign_delete(name: str) -> str:
        return attempt(list_view, lambda: api.delete_campaign(me(), name), "/admin/campaigns")

    # -- pages: do not call ---------------------------------------------------------------
    def dnc_view(error: str = "", result: Any = None) -> str:
        p = me()
        offset = args().get("offset", 0)
        listing = api.dnc_list(p, limit=100, offset=offset)
        for x in listing["items"]:
            x["added"] = when(x.get("added_at"))
            x["expires"] = when(x.get("expires_at")) or "never"
        return page("admin_dnc", "Do not call", dnc=listing, offset=offset, error=error,
                    result=result, unmasked=p.unmasked)

    @r.get("/admin/dnc", permission="campaigns.admin", query={"offset": p_int(0, 10**9)},
           summary="The do-not-call list: add, import, remove")
    def admin_dnc() -> str:
        return dnc_view()

    @r.post("/admin/dnc", permission="campaigns.admin", kind="form",
            summary="Put a number on the do-not-call list (form)")
    def admin_dnc_add() -> str:
        def add() -> None:
            until = posted("expires")
            try:
                expires = parse_time(until) if until else None
            except ValueError as exc:
                raise ApiError(f"expires: expected {exc}", status=400,
                               field="expires") from None
            api.put_dnc(me(), posted("number"), posted("note"), expires)
        return attempt(dnc_view, add, "/admin/dnc")

    @r.post("/admin/dnc/import", permission="campaigns.admin", kind="form",
            max_body=UPLOAD_MAX_BODY, summary="Import numbers to the do-not-call list (CSV)")
    def admin_dnc_import() -> str:
        return attempt(dnc_view, lambda: api.import_dnc(me(), upload("file", MAX_BYTES)),
                       None)

    @r.post("/admin/dnc/delete", permission="campaigns.admin", kind="form",
            summary="Take a number off the do-not-call list (form)")
    def admin_dnc_delete() -> str:
        return attempt(dnc_view, lambda: api.delete_dnc(me(), posted("number")), "/admin/dnc")

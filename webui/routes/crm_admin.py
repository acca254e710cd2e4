"""CRM settings: customer custom fields (``customers.admin``), ticket types and the SLA
table (``tickets.admin``), one page with the sections the role may change."""
from __future__ import annotations

from typing import Any

from bottle import request

from firmware.crm.tickets import PRIORITIES
from firmware.store.customers import FIELD_TYPES
from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import BOOL, INT, OK, STR, arr, json_body, me, obj
from webui.pages import page, redirect
from webui.routing import Router

TAG = "customers"
FIELD = obj(("name", "label", "type"), name=STR, label=STR, type=STR, required=BOOL,
            in_list=BOOL, choices=arr(STR))
FIELD_IN = obj(("name", "label", "type"), name={"type": "string", "maxLength": 32},
               label={"type": "string", "maxLength": 64},
               type={"type": "string", "enum": list(FIELD_TYPES)}, required=BOOL,
               in_list=BOOL, choices=arr({"type": "string", "maxLength": 64}))
SLA = obj(("type", "priority", "due_s", "escalate_s"), type=STR, priority=STR, due_s=INT,
          escalate_s=INT)
SLA_IN = obj(("type", "priority", "due_s", "escalate_s"), type={"type": "string", "maxLength": 32},
             priority={"type": "string", "enum": list(PRIORITIES)},
             due_s={"type": "integer", "minimum": 60, "maximum": 90 * 86400},
             escalate_s={"type": "integer", "minimum": 60, "maximum": 90 * 86400})


def _minutes(field: str) -> int:
    v = (request.forms.get(field) or "").strip()
    if not v.isdigit() or int(v) < 1:
        raise fail(400, f"{field}: expected a whole number of minutes", parameter=field)
    return int(v) * 60


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.post("/api/custom-fields", permission="customers.admin", body=FIELD_IN, response=FIELD,
            summary="Create or change a customer custom field")
    def api_put_field() -> dict[str, Any]:
        return api.put_custom_field(me(), **json_body(FIELD_IN))

    @r.delete("/api/custom-fields/<name>", permission="customers.admin", response=OK,
              summary="Delete a custom field")
    def api_delete_field(name: str) -> dict[str, Any]:
        api.delete_custom_field(me(), name)
        return {"ok": True}

    @r.get("/api/sla", permission="tickets.read", response=arr(SLA),
           summary="The SLA table: due and escalation times per ticket type and priority")
    def api_sla() -> list[dict[str, Any]]:
        return api.sla_table(me())

    @r.post("/api/sla", permission="tickets.admin", body=SLA_IN, response=OK,
            summary="Set one row of the SLA table")
    def api_put_sla() -> dict[str, Any]:
        api.put_sla(me(), **json_body(SLA_IN))
        return {"ok": True}

    @r.get("/admin/crm", permission=("customers.admin", "tickets.admin"),
           summary="Custom fields, ticket types and the SLA table")
    def crm_settings() -> str:
        p = me()
        return page("admin_crm", "CRM settings", fields=api.custom_fields(p),
                    types=api.ticket_types(p), sla=api.sla_table(p), field_types=FIELD_TYPES,
                    priorities=PRIORITIES)

    @r.post("/admin/crm/fields", permission="customers.admin", kind="form",
            summary="Save a custom field (form)")
    def crm_field() -> None:
        f = request.forms
        choices = [x.strip() for x in (f.getunicode("choices") or "").split(",") if x.strip()]
        api.put_custom_field(me(), (f.getunicode("name") or "").strip(),
                             (f.getunicode("label") or "").strip(), f.get("type") or "text",
                             required=f.get("required") == "1", in_list=f.get("in_list") == "1",
                             choices=choices)
        redirect("/admin/crm")

    @r.post("/admin/crm/types", permission="tickets.admin", kind="form",
            summary="Save a ticket type (form)")
    def crm_type() -> None:
        f = request.forms
        api.put_ticket_type(me(), (f.getunicode("name") or "").strip(),
                            (f.getunicode("label") or "").strip())
        redirect("/admin/crm")

    @r.post("/admin/crm/sla", permission="tickets.admin", kind="form",
            summary="Save one row of the SLA table (form; minutes)")
    def crm_sla() -> None:
        f = request.forms
        api.put_sla(me(), f.getunicode("type") or "", f.get("priority") or "",
                    _minutes("due_min"), _minutes("escalate_min"))
        redirect("/admin/crm")

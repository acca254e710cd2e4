"""Tickets: list with filters, one ticket with its events, create, move through the state
table (``firmware.crm.tickets.TRANSITIONS``), comment. Scope rules are the API's."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from bottle import request

from firmware.crm.tickets import EVENTS, PRIORITIES, STATES, TRANSITIONS
from firmware.store.tickets import SORTS as TICKET_SORTS
from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import (ANY_OBJ, INT, OK, OPT_INT, OPT_STR, STR, arr, args, json_body, me,
                            obj, paged)
from webui.pages import local_time, page, redirect
from webui.params import p_bool, p_choice, p_int, p_name, p_text
from webui.routing import Router

TAG = "tickets"
TICKET = obj(("id", "subject", "state", "priority"), id=INT, subject=STR, state=STR,
             priority=STR, type=STR, customer_id=OPT_INT, customer_name=OPT_STR,
             assignee=OPT_STR, team=OPT_STR, due_at=OPT_STR, escalation_level=INT)
TICKET_DETAIL = {**TICKET, "properties": {**TICKET["properties"], "events": arr(ANY_OBJ)}}
LIST_PARAMS = {"state": p_choice(*STATES), "type": p_name, "priority": p_choice(*PRIORITIES),
               "assignee": p_text(64), "team": p_text(64), "customer": p_int(0, 2**62),
               "escalated": p_bool, "overdue": p_bool, "sort": p_choice(*TICKET_SORTS),
               "limit": p_int(1, 500), "offset": p_int(0, 10**9)}
TICKET_IN = obj(("type", "subject"), type={"type": "string", "maxLength": 32},
                subject={"type": "string", "maxLength": 200}, customer=OPT_INT,
                priority={"type": "string", "enum": list(PRIORITIES)},
                description={"type": "string", "maxLength": 20000}, call_id=OPT_STR,
                assignee=OPT_STR, team=OPT_STR)
TICKET_IN["additionalProperties"] = False
TRANSITION_IN = obj(("event",), event={"type": "string", "enum": list(EVENTS)},
                    assignee=OPT_STR, team=OPT_STR, note={"type": "string", "maxLength": 5000})
COMMENT_IN = obj(("body",), body={"type": "string", "maxLength": 20000})


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.get("/api/tickets", permission="tickets.read", query=LIST_PARAMS, response=paged(TICKET),
           summary="Tickets with filters, newest change first")
    def api_tickets() -> dict[str, Any]:
        return api.list_tickets(me(), **args())

    @r.post("/api/tickets", permission="tickets.write", body=TICKET_IN, response=TICKET,
            summary="Open a ticket (optionally for a customer and a call)")
    def api_create_ticket() -> dict[str, Any]:
        return api.create_ticket(me(), **json_body(TICKET_IN))

    @r.get("/api/tickets/<ticket_id:int>", permission="tickets.read", response=TICKET_DETAIL,
           summary="One ticket with its events")
    def api_ticket(ticket_id: int) -> dict[str, Any]:
        return api.get_ticket(me(), ticket_id)

    @r.post("/api/tickets/<ticket_id:int>/transition", permission="tickets.write",
            body=TRANSITION_IN, response=TICKET, summary="assign, start, wait_customer, "
            "customer_replied, resolve, reopen or close (409 when the state forbids it)")
    def api_transition(ticket_id: int) -> dict[str, Any]:
        return api.ticket_transition(me(), ticket_id, **json_body(TRANSITION_IN))

    @r.post("/api/tickets/<ticket_id:int>/comments", permission="tickets.write",
            body=COMMENT_IN, response=OK, summary="Comment on a ticket")
    def api_comment(ticket_id: int) -> dict[str, Any]:
        api.comment_ticket(me(), ticket_id, json_body(COMMENT_IN)["body"])
        return {"ok": True}

    @r.get("/api/ticket-types", permission="tickets.read",
           response=arr(obj(("name", "label"), name=STR, label=STR)), summary="Ticket types")
    def api_ticket_types() -> list[dict[str, Any]]:
        return api.ticket_types(me())

    # pages ------------------------------------------------------------------------
    @r.get("/tickets", permission="tickets.read", query=LIST_PARAMS, summary="Ticket list")
    def tickets_page() -> str:
        a = args()
        a.setdefault("limit", 50)
        a.setdefault("offset", 0)
        result = api.list_tickets(me(), **a)
        for t in result["items"]:
            t["due"] = local_time(t.get("due_at"))
        shown = {k: v for k, v in request.query.items() if v and k != "offset"}

        def link(offset: int) -> str:
            return "/tickets?" + urlencode({**shown, "offset": offset})
        lim, off = a["limit"], a["offset"]
        return page("tickets", "Tickets", tickets=result["items"], total=result["total"],
                    filters=shown, states=STATES, priorities=PRIORITIES,
                    newer=link(max(0, off - lim)) if off > 0 else None,
                    older=link(off + lim) if off + lim < result["total"] else None)

    @r.get("/tickets/new", permission="tickets.write",
           query={"customer": p_int(0, 2**62), "call": p_text(64)}, summary="New ticket form")
    def ticket_new() -> str:
        a = args()
        return page("ticket_new", "New ticket", types=api.ticket_types(me()),
                    priorities=PRIORITIES, customer=a.get("customer"), call=a.get("call", ""))

    @r.post("/tickets", permission="tickets.write", kind="form", summary="Open a ticket (form)")
    def ticket_create() -> None:
        f = request.forms
        customer = f.get("customer") or None
        if customer is not None and not customer.isdigit():
            raise fail(400, "customer: expected a customer number", parameter="customer")
        t = api.create_ticket(me(), type=f.getunicode("type") or "", subject=(
            f.getunicode("subject") or "").strip(), customer=int(customer) if customer else None,
            priority=f.getunicode("priority") or "normal",
            description=f.getunicode("description") or "", call_id=f.get("call_id") or None)
        redirect(f"/tickets/{t['id']}")

    @r.get("/tickets/<ticket_id:int>", permission="tickets.read", summary="One ticket")
    def ticket_page(ticket_id: int) -> str:
        t = api.get_ticket(me(), ticket_id)
        for e in t["events"]:
            e["time"] = local_time(e.get("ts"))
        t["due"] = local_time(t.get("due_at"))
        return page("ticket", f"Ticket #{ticket_id}", t=t,
                    moves=[(ev, EVENTS[ev]) for ev in TRANSITIONS.get(t["state"], {})])

    @r.post("/tickets/<ticket_id:int>/transition", permission="tickets.write", kind="form",
            summary="Move a ticket (form)")
    def ticket_move(ticket_id: int) -> None:
        f = request.forms
        event = f.get("event") or ""
        if event not in EVENTS:
            raise fail(400, "event: expected one of " + ", ".join(EVENTS), parameter="event")
        p = me()
        assignee = (f.getunicode("assignee") or "").strip() or None
        if event == "assign" and assignee is None and f.get("to_me") == "1":
            assignee = p.user
        api.ticket_transition(p, ticket_id, event, assignee=assignee,
                              note=(f.getunicode("note") or "").strip())
        redirect(f"/tickets/{ticket_id}")

    @r.post("/tickets/<ticket_id:int>/comments", permission="tickets.write", kind="form",
            summary="Comment (form)")
    def ticket_comment(ticket_id: int) -> None:
        body = (request.forms.getunicode("body") or "").strip()
        if not body:
            raise fail(400, "body: the comment is empty", parameter="body")
        api.comment_ticket(me(), ticket_id, body)
        redirect(f"/tickets/{ticket_id}")

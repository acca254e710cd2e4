"""Customers (list, search, card with timeline and notes, create, edit, delete), the screen
pop lookup and announcements. Scope, audit and masking are the API's (seam §2-§3)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from bottle import request

from firmware.store.customers import SORTS as CUSTOMER_SORTS
from webui.access import AccessPlugin, WebUi, fail
from webui.forms import attempt
from webui.handlers import (ANY_OBJ, BOOL, INT, OK, OPT_NUM, OPT_STR, STR, arr, args,
                            json_body, me, obj, paged)
from webui.pages import local_time, page, redirect
from webui.params import p_choice, p_int, p_text
from webui.routing import Router

TAG = "customers"
PHONE = {"oneOf": [STR, obj(("number",), number=STR, label=STR)]}
CUSTOMER_IN = obj((), name={"type": "string", "maxLength": 200}, company=STR,
                  phones=arr(PHONE), email=STR, address=STR, tags=arr(STR), owner=OPT_STR,
                  custom=ANY_OBJ)
CUSTOMER_IN["additionalProperties"] = False
CUSTOMER = obj(("id", "name", "phones"), id=INT, name=STR, company=STR,
               phones=arr(obj(("number",), number=STR, label=STR)), email=STR, address=STR,
               tags=arr(STR), owner=OPT_STR, custom=ANY_OBJ)
LIST_PARAMS = {"q": p_text(100), "phone": p_text(40), "tag": p_text(32), "owner": p_text(64),
               "sort": p_choice(*CUSTOMER_SORTS), "limit": p_int(1, 500),
               "offset": p_int(0, 10**9)}
PAGE_PARAMS = {**LIST_PARAMS, "view": p_int(1, 2**31)}
#: the list's built-in columns (a saved view picks some, and custom fields ``custom.<name>``)
COLUMNS = {"name": "Name", "company": "Company", "phones": "Phones", "email": "E-mail",
           "tags": "Tags", "owner": "Owner"}
DEFAULT_COLUMNS = ("name", "company", "phones", "tags", "owner")
#: the filters a view keeps (what ``Api.put_view`` takes for customers; not the phone)
VIEW_FILTERS = ("q", "tag", "owner", "sort")
NOTE_IN = obj(("body",), body={"type": "string", "maxLength": 5000}, call_id=OPT_STR)
ANNOUNCEMENT = obj(("id", "title", "body"), id=INT, kind=STR, title=STR, body=STR,
                   author=STR, team=OPT_STR, pinned=BOOL, expires_at=OPT_STR)
ANNOUNCEMENT_IN = obj(("title", "body"), title={"type": "string", "maxLength": 200},
                      body={"type": "string", "maxLength": 20000},
                      kind={"type": "string", "enum": ["announcement", "knowledge"]},
                      team=OPT_STR, pinned=BOOL, expires_at=OPT_NUM)


def form_customer(fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The customer form's fields as the API's input (one phone per line, tags by comma;
    custom field ``x`` as ``cf_x``, a multi-choice one as its ticked boxes)."""
    f = request.forms
    phones = [x.strip() for x in (f.getunicode("phones") or "").splitlines() if x.strip()]
    tags = [x.strip() for x in (f.getunicode("tags") or "").split(",") if x.strip()]
    out = {"name": (f.getunicode("name") or "").strip(),
           "company": (f.getunicode("company") or "").strip(),
           "email": (f.getunicode("email") or "").strip(),
           "address": (f.getunicode("address") or "").strip(), "tags": tags}
    if "phones" in f:        # a masked user's form has none: the numbers it saw are masked
        out["phones"] = phones
    if fields and f.get("custom_form") == "1":
        out["custom"] = {d["name"]: (f.decode().getall(f"cf_{d['name']}")
                                     if d["type"] == "multi-choice"
                                     else (f.getunicode(f"cf_{d['name']}") or "").strip())
                         for d in fields}
    return out


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    # API ------------------------------------------------------------------------
    @r.get("/api/customers", permission="customers.read", query=LIST_PARAMS,
           response=paged(CUSTOMER), summary="Customers by name/company/email fragment, "
           "complete phone number (masked roles), tag or owner")
    def api_customers() -> dict[str, Any]:
        return api.list_customers(me(), **args())

    @r.post("/api/customers", permission="customers.write", body=CUSTOMER_IN, response=CUSTOMER,
            summary="Create a customer")
    def api_create_customer() -> dict[str, Any]:
        return api.create_customer(me(), json_body(CUSTOMER_IN))

    @r.get("/api/customers/<customer_id:int>", permission="customers.read", response=CUSTOMER,
           summary="One customer with open tickets (audited customer.view)")
    def api_customer(customer_id: int) -> dict[str, Any]:
        return api.get_customer(me(), customer_id)

    @r.put("/api/customers/<customer_id:int>", permission="customers.write", body=CUSTOMER_IN,
           response=CUSTOMER, summary="Change some fields of a customer")
    def api_update_customer(customer_id: int) -> dict[str, Any]:
        return api.update_customer(me(), customer_id, json_body(CUSTOMER_IN))

    @r.delete("/api/customers/<customer_id:int>", permission="customers.delete", response=OK,
              summary="Delete a customer")
    def api_delete_customer(customer_id: int) -> dict[str, Any]:
        api.delete_customer(me(), customer_id)
        return {"ok": True}

    @r.get("/api/customers/<customer_id:int>/timeline", permission="customers.read",
           query={"limit": p_int(1, 200)}, response=arr(obj(("kind", "ts"), kind=STR, ts=STR)),
           summary="Calls, notes, ticket events and survey answers, newest first")
    def api_timeline(customer_id: int) -> list[dict[str, Any]]:
        return api.timeline(me(), customer_id, **args())

    @r.post("/api/customers/<customer_id:int>/notes", permission="customers.write",
            body=NOTE_IN, response=ANY_OBJ, summary="Add a note (optionally about a call)")
    def api_add_note(customer_id: int) -> dict[str, Any]:
        b = json_body(NOTE_IN)
        return api.add_note(me(), customer_id, b["body"], b.get("call_id"))

    @r.get("/api/screen-pop", permission="customers.read",
           query={"number": p_text(40), "customer": p_text(20), "ticket": p_text(20)},
           response=obj(("caller", "customer"), caller=STR, customer={"type": ["object", "null"]},
                        open_tickets=arr(ANY_OBJ), last_interactions=arr(ANY_OBJ)),
           summary="What the desk shows for a caller (customer card, open tickets, history)")
    def api_screen_pop() -> dict[str, Any]:
        a = args()
        number = a.pop("number", None)
        if not number:
            raise fail(400, "number: required", parameter="number")
        return api.screen_pop(me(), number, {k: v for k, v in a.items() if v} or None)

    @r.get("/api/custom-fields", permission="customers.read", response=arr(ANY_OBJ),
           summary="The customer custom fields")
    def api_custom_fields() -> list[dict[str, Any]]:
        return api.custom_fields(me())

    @r.get("/api/announcements", permission="kb.read", response=arr(ANNOUNCEMENT),
           summary="Announcements and knowledge notes visible to the principal")
    def api_announcements() -> list[dict[str, Any]]:
        return api.desk(me())

    @r.post("/api/announcements", permission="kb.write", body=ANNOUNCEMENT_IN,
            response=ANNOUNCEMENT, summary="Post an announcement or knowledge note")
    def api_post_announcement() -> dict[str, Any]:
        return api.put_announcement(me(), **json_body(ANNOUNCEMENT_IN))

    @r.delete("/api/announcements/<announcement_id:int>", permission="kb.write", response=OK,
              summary="Delete an announcement")
    def api_delete_announcement(announcement_id: int) -> dict[str, Any]:
        api.delete_announcement(me(), announcement_id)
        return {"ok": True}

    # pages ------------------------------------------------------------------------
    @r.get("/customers", permission="customers.read", query=PAGE_PARAMS,
           summary="Customer list and search; ?view= applies a saved view (filters and "
           "columns)")
    def customers_page() -> str:
        p = me()
        a = args()
        a.setdefault("limit", 50)
        a.setdefault("offset", 0)
        fields = api.custom_fields(p)
        views = api.list_views(p, "customers")
        view = next((v for v in views if v["id"] == a.get("view")), None)
        if a.get("view") is not None and view is None:
            raise fail(404, f"view {a['view']}: no such saved view (deleted, or not shared "
                       "with you)", parameter="view")
        result = api.list_customers(p, **a)
        shown = {k: v for k, v in request.query.items() if v and k != "offset"}
        labels = {**COLUMNS, **{f"custom.{d['name']}": d["label"] for d in fields}}
        columns = [c for c in view["columns"] if c in labels] if view else \
            [*DEFAULT_COLUMNS, *(f"custom.{d['name']}" for d in fields if d["in_list"])]
        filters = view["filters"] if view else {k: v for k, v in shown.items()
                                                if k in VIEW_FILTERS}

        def link(offset: int) -> str:
            return "/customers?" + urlencode({**shown, "offset": offset})
        lim, off = a["limit"], a["offset"]
        return page("customers", "Customers", customers=result["items"], total=result["total"],
                    filters=shown, views=views, view=view, columns=columns, labels=labels,
                    view_filters=filters,
                    newer=link(max(0, off - lim)) if off > 0 else None,
                    older=link(off + lim) if off + lim < result["total"] else None)

    @r.post("/customers/views", permission="customers.read", kind="form",
            summary="Save the list's filters and chosen columns as a view (form)")
    def customer_view_save() -> None:
        f = request.forms.decode()
        p = me()
        labels = {*COLUMNS, *(f"custom.{d['name']}" for d in api.custom_fields(p))}
        columns = [c for c in f.getall("column") if c in labels]
        if not columns:
            raise fail(400, "columns: tick at least one column to show", parameter="column")
        filters = {k: f.get(f"f_{k}", "").strip() for k in VIEW_FILTERS}
        v = api.put_view(p, f.get("name", "").strip(), "customers",
                         {k: x for k, x in filters.items() if x}, columns,
                         f.get("shared") == "1")
        redirect(f"/customers?view={v['id']}")

    @r.post("/customers/views/<view_id:int>/delete", permission="customers.read",
            kind="form", summary="Delete a saved view (form; your own, or any as admin)")
    def customer_view_delete(view_id: int) -> None:
        api.delete_view(me(), view_id)
        redirect("/customers")

    @r.get("/customers/new", permission="customers.write", summary="New customer form")
    def customer_new() -> str:
        return page("customer_form", "New customer", customer=None, error="",
                    fields=api.custom_fields(me()))

    @r.post("/customers", permission="customers.write", kind="form", summary="Create (form)")
    def customer_create() -> str:
        data = form_customer(api.custom_fields(me()))
        return attempt(form_again, lambda: api.create_customer(me(), data),
                       lambda c: f"/customers/{c['id']}", status=400, data=data,
                       customer_id=None)

    @r.get("/customers/<customer_id:int>", permission="customers.read",
           query={"edit": p_choice("1")}, summary="Customer card: fields, open tickets, timeline, notes")
    def customer_page(customer_id: int) -> str:
        p = me()
        c = api.get_customer(p, customer_id)
        timeline = api.timeline(p, customer_id, limit=30)
        for t in timeline:
            t["time"] = local_time(t.get("ts"))
        return page("customer", c["name"] or "Customer", customer=c, timeline=timeline,
                    edit=request.query.get("edit") == "1", error="",
                    fields=api.custom_fields(p))

    @r.post("/customers/<customer_id:int>", permission="customers.write", kind="form",
            summary="Save the customer (form)")
    def customer_update(customer_id: int) -> str:
        data = form_customer(api.custom_fields(me()))
        return attempt(form_again, lambda: api.update_customer(me(), customer_id, data),
                       f"/customers/{customer_id}", status=400, data=data,
                       customer_id=customer_id)

    @r.post("/customers/<customer_id:int>/notes", permission="customers.write", kind="form",
            summary="Add a note (form)")
    def customer_note(customer_id: int) -> None:
        body = (request.forms.getunicode("body") or "").strip()
        if not body:
            raise fail(400, "body: the note is empty", parameter="body")
        api.add_note(me(), customer_id, body, request.forms.getunicode("call_id") or None)
        redirect(f"/customers/{customer_id}")

    @r.post("/customers/<customer_id:int>/delete", permission="customers.delete", kind="form",
            summary="Delete the customer (form)")
    def customer_delete(customer_id: int) -> None:
        api.delete_customer(me(), customer_id)
        redirect("/customers")

    def form_again(error: str, data: dict[str, Any], customer_id: int | None) -> str:
        """The customer form again, as filled in, with the reason it was refused."""
        customer = {**data, "id": customer_id,
                    "phones": [{"number": n, "label": ""} for n in data.get("phones", [])]}
        return page("customer_form", "Edit customer" if customer_id else "New customer",
                    customer=customer, error=error, fields=api.custom_fields(me()))

    @r.get("/announcements", permission="kb.read", summary="Announcements and knowledge")
    def announcements_page() -> str:
        items = api.desk(me())
        for a in items:
            a["time"] = local_time(a.get("updated_at") or a.get("created_at"))
        return page("announcements", "Announcements", items=items)

    @r.post("/announcements", permission="kb.write", kind="form",
            summary="Post an announcement (form)")
    def announcement_post() -> None:
        f = request.forms
        api.put_announcement(me(), title=(f.getunicode("title") or "").strip(),
                             body=(f.getunicode("body") or "").strip(),
                             kind=f.getunicode("kind") or "announcement",
                             pinned=f.get("pinned") == "1")
        redirect("/announcements")

    @r.post("/announcements/<announcement_id:int>/delete", permission="kb.write", kind="form",
            summary="Delete an announcement (form)")
    def announcement_delete(announcement_id: int) -> None:
        api.delete_announcement(me(), announcement_id)
        redirect("/announcements")

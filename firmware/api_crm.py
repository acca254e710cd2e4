"""The CRM half of ``firmware.api.Api``: every CRM, records and access operation.

``Api`` inherits ``CrmApi``; each public method here takes the principal
first and is declared with ``@endpoint``, which is the single place where:

- the principal's permission is checked (``PermissionDenied``, 403) before
  anything runs;
- the coroutine runs on the daemon loop with a timeout (``Api._run``);
- store errors become ``ApiError`` with a status and the field at fault;
- times become ISO-8601 UTC strings and phone numbers are masked for the
  principal (``masking.mask_tree``), for reads and writes alike.

``ENDPOINTS`` lists every method with its permission and kind; the masking
matrix test walks it, so a method added without ``@endpoint`` fails the test.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable

from firmware.api_records import RecordsApi
from firmware.crm.facade import ENDPOINTS, endpoint, page
from firmware.crm.permissions import PERMISSIONS, Principal, check_permissions
from firmware.crm.phone import try_normalise
from firmware.crm.service import Crm
from firmware.errors import ApiError
from firmware.store import fields as fl
from firmware.store.customers import CustomField, CustomerFilter
from firmware.store.db import NotFound, ValidationError, only_row

__all__ = ["CrmApi", "ENDPOINTS", "Principal"]

log = logging.getLogger("callbox.api.crm")

class CrmApi(RecordsApi):
    """Mixed into ``firmware.api.Api`` (which provides ``_run``, ``_store``, ``_bus``)."""

    _run: Callable[..., Any]
    _store: Any
    _bus: Any
    _crm_instance: Crm | None = None
    _crm_lock = threading.Lock()

    def attach_crm(self, crm: Crm) -> None:
        """The composition root's ``Crm`` (with its clock and escalator)."""
        self._crm_instance = crm

    @property
    def crm(self) -> Crm:
        with self._crm_lock:
            if self._crm_instance is None:
                self._crm_instance = Crm(self._store, bus=getattr(self, "_bus", None))
            return self._crm_instance

    # identity -------------------------------------------------------------------
    def principal_for_session(self, token: str) -> Principal | None:
        return self._run(self.crm.principal_for_session(token), "principal_for_session")

    def principal_for_api_token(self, token: str) -> Principal | None:
        return self._run(self.crm.principal_for_token(token), "principal_for_api_token")

    @endpoint(None)
    async def permission_catalogue(self, p: Principal) -> dict[str, str]:
        return dict(PERMISSIONS)

    @endpoint("users.admin")
    async def list_users(self, p: Principal) -> list[dict[str, Any]]:
        return [{"username": u.username, "role": u.role, "seat": u.seat, "team": u.team,
                 "display_name": u.display_name, "disabled": u.disabled,
                 "created_at": u.created_at} for u in await self.crm.store.users.list()]

    @endpoint("users.admin", "write")
    async def put_user(self, p: Principal, username: str, role: str, password: str | None = None,
                       seat: str | None = None, display_name: str = "", team: str | None = None,
                       disabled: bool = False) -> dict[str, Any]:
        u = await self.crm.store.users.put(username, password, role, seat,
                                           display_name=display_name, team=team,
                                           disabled=disabled)
        await self.crm.audited(p, "user.put", username, {"role": role, "team": team,
                                                         "disabled": disabled,
                                                         "password_changed": password is not None})
        return {"username": u.username, "role": u.role, "seat": u.seat, "team": u.team,
                "display_name": u.display_name, "disabled": u.disabled}

    @endpoint("users.admin", "write")
    async def delete_user(self, p: Principal, username: str) -> None:
        await self.crm.store.users.delete(username)
        await self.crm.audited(p, "user.delete", username)

    @endpoint("users.admin")
    async def list_roles(self, p: Principal) -> list[dict[str, Any]]:
        out = []
        for r in await self.crm.access.roles():
            perms = await self.crm.permissions_of(r.name)
            out.append({"name": r.name, "builtin": r.builtin, "description": r.description,
                        "permissions": sorted(perms)})
        return out

    @endpoint("users.admin", "write")
    async def put_role(self, p: Principal, name: str, permissions: list[str],
                       description: str = "") -> dict[str, Any]:
        perms = check_permissions(permissions)
        r = await self.crm.access.put_role(name, perms, description)
        await self.crm.audited(p, "role.put", name, {"permissions": sorted(perms)})
        return r.to_dict()

    @endpoint("users.admin", "write")
    async def delete_role(self, p: Principal, name: str) -> None:
        await self.crm.access.delete_role(name)
        await self.crm.audited(p, "role.delete", name)

    @endpoint("users.admin")
    async def list_teams(self, p: Principal) -> list[dict[str, Any]]:
        teams = [t.to_dict() for t in await self.crm.access.teams()]
        by_name = {t["name"]: {**t, "children": []} for t in teams}
        roots: list[dict[str, Any]] = []
        for t in by_name.values():
            (by_name[t["parent"]]["children"] if t["parent"] in by_name else roots).append(t)
        return roots

    @endpoint("users.admin", "write")
    async def put_team(self, p: Principal, name: str, parent: str | None = None,
                       leader: str | None = None) -> dict[str, Any]:
        t = await self.crm.access.put_team(name, parent, leader)
        await self.crm.audited(p, "team.put", name, {"parent": parent, "leader": leader})
        return t.to_dict()

    @endpoint("users.admin", "write")
    async def delete_team(self, p: Principal, name: str) -> None:
        await self.crm.access.delete_team(name)
        await self.crm.audited(p, "team.delete", name)

    @endpoint("users.admin", "write")
    async def create_api_token(self, p: Principal, name: str, role: str) -> dict[str, Any]:
        token, t = await self.crm.access.create_token(name, role, p.user)
        await self.crm.audited(p, "token.create", name, {"role": role})
        return {"name": t.name, "role": t.role, "token": token, "created_at": t.created_at}

    @endpoint("users.admin")
    async def list_api_tokens(self, p: Principal) -> list[dict[str, Any]]:
        return [t.to_dict() for t in await self.crm.access.tokens()]

    @endpoint("users.admin", "write")
    async def revoke_api_token(self, p: Principal, name: str) -> None:
        await self.crm.access.revoke_token(name)
        await self.crm.audited(p, "token.revoke", name)

    # settings -------------------------------------------------------------------
    @endpoint("customers.read")
    async def crm_settings(self, p: Principal) -> dict[str, Any]:
        s = await self.crm.phone_settings()
        return {"country_code": s.country_code, "trunk_prefix": s.trunk_prefix,
                "international_prefix": s.international_prefix}

    @endpoint("customers.admin", "write")
    async def set_crm_settings(self, p: Principal, **values: str) -> dict[str, Any]:
        bad = sorted(set(values) - {"country_code", "trunk_prefix", "international_prefix"})
        if bad:
            raise ApiError(f"unknown setting {bad[0]}", status=400, field=bad[0])
        s = await self.crm.put_phone_settings(**values)
        await self.crm.audited(p, "settings.put", "phone", dict(values))
        return {"country_code": s.country_code, "trunk_prefix": s.trunk_prefix,
                "international_prefix": s.international_prefix}

    # customers ------------------------------------------------------------------
    @endpoint("customers.read")
    async def list_customers(self, p: Principal, q: str | None = None, phone: str | None = None,
                             tag: str | None = None, owner: str | None = None,
                             custom: dict[str, Any] | None = None, view: int | None = None,
                             sort: str = "name", limit: int = 50, offset: int = 0
                             ) -> dict[str, Any]:
        if view is not None:
            v = await self._view(p, view, "customers")
            fl = v["filters"]
            q, tag, owner = fl.get("q", q), fl.get("tag", tag), fl.get("owner", owner)
            custom, sort = fl.get("custom", custom), fl.get("sort", sort)
        exact = suffix = None
        if phone:
            digits = "".join(c for c in phone if c.isdigit())
            exact = try_normalise(phone, await self.crm.phone_settings())
            if exact is None:
                if not p.unmasked:       # a partial number would reveal masked digits
                    raise ApiError("phone: a complete number is needed to search by number",
                                   status=400, field="phone", expected="a complete number")
                suffix = digits
            elif p.unmasked and len(digits) < 7:
                exact, suffix = None, digits
        items, total = await self.crm.customers.page(
            CustomerFilter(q=q, phone=exact, phone_suffix=suffix, tag=tag, owner=owner,
                           custom=custom or {}), sort, limit, offset)
        return page([c.to_dict() for c in items], total, limit, offset, sort)

    @endpoint("customers.read")
    async def get_customer(self, p: Principal, customer_id: int) -> dict[str, Any]:
        c = await self.crm.customers.get(customer_id)
        if c is None:
            raise NotFound("no such customer", table="customers", key=customer_id)
        await self.crm.audited(p, "customer.view", f"customer:{customer_id}")
        out = c.to_dict()
        out["open_tickets"], _ = await self.crm.tickets.page(customer=customer_id, open_only=True,
                                                             limit=20)
        return out

    @endpoint("customers.write", "write")
    async def create_customer(self, p: Principal, fields: dict[str, Any]) -> dict[str, Any]:
        c = await self.crm.customers.put(await self.crm.customer_from_input(fields))
        await self.crm.audited(p, "customer.create", f"customer:{c.id}")
        return c.to_dict()

    @endpoint("customers.write", "write")
    async def update_customer(self, p: Principal, customer_id: int, fields: dict[str, Any]
                              ) -> dict[str, Any]:
        base = await self.crm.customers.get(customer_id)
        if base is None:
            raise NotFound("no such customer", table="customers", key=customer_id)
        c = await self.crm.customers.put(await self.crm.customer_from_input(fields, base))
        await self.crm.audited(p, "customer.update", f"customer:{customer_id}",
                               {"fields": sorted(fields)})
        return c.to_dict()

    @endpoint("customers.delete", "write")
    async def delete_customer(self, p: Principal, customer_id: int) -> None:
        await self.crm.customers.delete(customer_id)
        await self.crm.audited(p, "customer.delete", f"customer:{customer_id}")

    @endpoint("customers.read")
    async def custom_fields(self, p: Principal) -> list[dict[str, Any]]:
        return [d.to_dict() for d in await self.crm.customers.custom_fields()]

    @endpoint("customers.admin", "write")
    async def put_custom_field(self, p: Principal, name: str, label: str, type: str,
                               required: bool = False, in_list: bool = False,
                               choices: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
        d = await self.crm.customers.put_custom_field(
            CustomField(name, label, type, required, in_list, tuple(choices)))
        await self.crm.audited(p, "custom_field.put", name)
        return d.to_dict()

    @endpoint("customers.admin", "write")
    async def delete_custom_field(self, p: Principal, name: str) -> None:
        await self.crm.customers.delete_custom_field(name)
        await self.crm.audited(p, "custom_field.delete", name)

    async def _view(self, p: Principal, view_id: int, kind: str) -> dict[str, Any]:
        r = await self.crm.db.fetchone(
            "SELECT v.*, u.username AS owner FROM saved_views v LEFT JOIN users u"
            " ON u.id = v.owner_id WHERE v.id = ? AND v.kind = ?", (view_id, kind))
        if r is None or not (r["shared"] or r["owner"] == p.user):
            raise NotFound("no such view", table="saved_views", key=view_id)
        return {"id": r["id"], "name": r["name"], "kind": r["kind"], "owner": r["owner"],
                "filters": json.loads(r["filters"]), "columns": json.loads(r["columns"]),
                "shared": bool(r["shared"])}

    @endpoint("customers.read")
    async def list_views(self, p: Principal, kind: str = "customers") -> list[dict[str, Any]]:
        rows = await self.crm.db.fetchall(
            "SELECT v.id FROM saved_views v LEFT JOIN users u ON u.id = v.owner_id"
            " WHERE v.kind = ? AND (v.shared = 1 OR u.username = ?) ORDER BY v.name",
            (kind, p.user))
        return [await self._view(p, r[0], kind) for r in rows]

    @endpoint("customers.read", "write")
    async def put_view(self, p: Principal, name: str, kind: str, filters: dict[str, Any],
                       columns: list[str], shared: bool = False) -> dict[str, Any]:
        if shared:
            p.require("customers.admin", "share a view")
        name = fl.text("view.name", name, 64, required=True)
        kind = fl.choice("view.kind", kind, ("customers", "tickets"))
        allowed = {"customers": {"q", "tag", "owner", "custom", "sort"},
                   "tickets": {"state", "type", "priority", "assignee", "team", "escalated",
                               "overdue", "sort"}}[kind]
        bad = sorted(set(filters) - allowed)
        if bad:
            raise ValidationError(f"view.filters.{bad[0]}", "one of " + ", ".join(sorted(allowed)))
        async with self.crm.db.transaction("views.put") as conn:
            async with conn.execute(
                    "INSERT INTO saved_views (owner_id, kind, name, filters, columns, shared)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(owner_id, kind, name) DO UPDATE SET"
                    " filters = excluded.filters, columns = excluded.columns,"
                    " shared = excluded.shared RETURNING id",
                    (p.user_id, kind, name, json.dumps(filters, ensure_ascii=False),
                     json.dumps(list(columns)), int(shared))) as cur:
                vid = int((await only_row(cur, "views.put"))[0])
        return await self._view(p, vid, kind)

    @endpoint("customers.read", "write")
    async def delete_view(self, p: Principal, view_id: int) -> None:
        async with self.crm.db.transaction("views.delete") as conn:
            cur = await conn.execute(
                "DELETE FROM saved_views WHERE id = ? AND (owner_id = ? OR ? = 1)",
                (view_id, p.user_id, int(p.can("customers.admin"))))
            if cur.rowcount == 0:
                raise NotFound("no such view", table="saved_views", key=view_id)

    @endpoint("customers.write", "write")
    async def add_note(self, p: Principal, customer_id: int, body: str,
                       call_id: str | None = None) -> dict[str, Any]:
        return await self.crm.customers.add_note(customer_id, p.user, body, call_id)

    @endpoint("customers.read")
    async def timeline(self, p: Principal, customer_id: int, limit: int = 50,
                       before: float | None = None) -> list[dict[str, Any]]:
        return await self.crm.timeline(customer_id, limit, before)

    @endpoint("customers.read")
    async def screen_pop(self, p: Principal, caller_number: str,
                         entered: dict[str, str] | None = None) -> dict[str, Any]:
        return await self.crm.screen_pop.lookup(caller_number, entered)

    # tickets --------------------------------------------------------------------
    async def _ticket_in_scope(self, p: Principal, tid: int) -> dict[str, Any]:
        t = await self.crm.tickets.get(tid, with_events=True)
        if t is None:
            raise NotFound("no such ticket", table="tickets", key=tid)
        return t

    @endpoint("tickets.read")
    async def list_tickets(self, p: Principal, state: str | None = None, type: str | None = None,
                           priority: str | None = None, assignee: str | None = None,
                           team: str | None = None, customer: int | None = None,
                           escalated: bool | None = None, overdue: bool | None = None,
                           view: int | None = None, sort: str = "-updated_at", limit: int = 50,
                           offset: int = 0) -> dict[str, Any]:
        if view is not None:
            fl_ = (await self._view(p, view, "tickets"))["filters"]
            state, type, priority = fl_.get("state", state), fl_.get("type", type), \
                fl_.get("priority", priority)
            assignee, team = fl_.get("assignee", assignee), fl_.get("team", team)
            escalated, overdue = fl_.get("escalated", escalated), fl_.get("overdue", overdue)
            sort = fl_.get("sort", sort)
        items, total = await self.crm.tickets.page(
            state=state, type_=type, priority=priority, assignee=assignee, team=team,
            customer=customer, escalated=escalated,
            overdue_at=self.crm.wall() if overdue else None, sort=sort, limit=limit,
            offset=offset)
        return page(items, total, limit, offset, sort)

    @endpoint("tickets.read")
    async def get_ticket(self, p: Principal, ticket_id: int) -> dict[str, Any]:
        return await self._ticket_in_scope(p, ticket_id)

    @endpoint("tickets.write", "write")
    async def create_ticket(self, p: Principal, type: str, subject: str,
                            customer: int | None = None, priority: str = "normal",
                            description: str = "", call_id: str | None = None,
                            assignee: str | None = None, team: str | None = None
                            ) -> dict[str, Any]:
        if (assignee not in (None, p.user)) or (team not in (None, p.team)):
            p.require("tickets.assign", "assign a ticket to someone else")
        t = await self.crm.tickets.create(type_=type, subject=subject, actor=p.user,
                                          customer_id=customer, priority=priority,
                                          description=description, call_id=call_id,
                                          assignee=assignee, team=team)
        if self.crm.escalator is not None:
            await self.crm.escalator.poke()
        return t

    @endpoint("tickets.write", "write")
    async def ticket_transition(self, p: Principal, ticket_id: int, event: str,
                                assignee: str | None = None, team: str | None = None,
                                note: str = "") -> dict[str, Any]:
        t = await self._ticket_in_scope(p, ticket_id)
        if event == "assign" and (assignee not in (None, p.user) or team not in (None, p.team)):
            p.require("tickets.assign", "assign a ticket to someone else")
        if not p.can("tickets.assign") and t["assignee"] not in (None, p.user) \
                and t["team"] != p.team:
            p.require("tickets.assign", "change a ticket of another agent")
        out = await self.crm.tickets.apply(ticket_id, event, p.user, assignee=assignee,
                                           team=team, note=note)
        if self.crm.escalator is not None:
            await self.crm.escalator.poke()
        return out

    @endpoint("tickets.write", "write")
    async def comment_ticket(self, p: Principal, ticket_id: int, body: str) -> None:
        await self.crm.tickets.comment(ticket_id, p.user, body)

    @endpoint("tickets.read")
    async def ticket_types(self, p: Principal) -> list[dict[str, Any]]:
        return await self.crm.tickets.types()

    @endpoint("tickets.admin", "write")
    async def put_ticket_type(self, p: Principal, name: str, label: str) -> None:
        await self.crm.tickets.put_type(name, label)

    @endpoint("tickets.read")
    async def sla_table(self, p: Principal) -> list[dict[str, Any]]:
        return await self.crm.tickets.sla()

    @endpoint("tickets.admin", "write")
    async def put_sla(self, p: Principal, type: str, priority: str, due_s: int,
                      escalate_s: int) -> None:
        await self.crm.tickets.put_sla(type, priority, due_s, escalate_s)

    # desk -------------------------------------------------------------------------
    @endpoint("kb.read")
    async def desk(self, p: Principal) -> list[dict[str, Any]]:
        teams = [t["id"] for t in await self.crm.access.chain(p.team_id)]
        return await self.crm.desk.for_teams(teams, self.crm.wall(),
                                             everything=p.can("kb.write"))

    @endpoint("kb.write", "write")
    async def put_announcement(self, p: Principal, title: str, body: str,
                               kind: str = "announcement", team: str | None = None,
                               pinned: bool = False, expires_at: float | None = None,
                               id: int | None = None) -> dict[str, Any]:
        return await self.crm.desk.put(title=title, body=body, author=p.user, kind=kind,
                                       team=team, pinned=pinned, expires_at=expires_at, id=id)

    @endpoint("kb.write", "write")
    async def delete_announcement(self, p: Principal, id: int) -> None:
        await self.crm.desk.delete(id)

    # surveys ----------------------------------------------------------------------
    @endpoint("surveys.read")
    async def list_surveys(self, p: Principal) -> list[dict[str, Any]]:
        return await self.crm.surveys.list()

    @endpoint("surveys.admin", "write")
    async def put_survey(self, p: Principal, name: str, questions: list[dict[str, Any]],
                         active: bool = True, language: str = "en") -> dict[str, Any]:
        """Questions may carry ``scores`` (digit -> points) and ``satisfied`` (the digits
        CSAT counts); ``language`` is the voice the flow speaks them in."""
        return await self.crm.surveys.put(name, questions, active, language)

    @endpoint("surveys.admin", "write")
    async def delete_survey(self, p: Principal, name: str) -> None:
        """Refused (409) while a queue plays it or once it has answers."""
        await self.crm.surveys.delete(name)

    @endpoint("surveys.read")
    async def survey_results(self, p: Principal, name: str, since: float | None = None,
                             until: float | None = None) -> dict[str, Any]:
        return await self.crm.surveys.results(name, since, until)

    @endpoint("surveys.read")
    async def csat(self, p: Principal, name: str, since: float | None = None,
                   until: float | None = None, by: str | None = None) -> dict[str, Any]:
        """Top-box CSAT and mean score of a post-call survey, overall or per queue/agent."""
        return await self.crm.surveys.csat(name, since, until, by)

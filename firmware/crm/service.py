"""``Crm``: the CRM's aggregates over the daemon's one database, and the operations
that span several of them (principals, customer input, timeline, purge, privacy).

Built once by the composition root (or lazily by ``firmware.api_crm.CrmApi``)
on the daemon loop. Nothing here checks permissions: that is the API layer's
one job; the flow and the CLI call this directly as the system.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from acd_core.clock import Clock

from firmware.crm.escalation import Escalator
from firmware.crm.permissions import BUILTIN_ROLES, Principal
from firmware.crm.phone import PhoneSettings, mask, normalise, spellings
from firmware.crm.screenpop import ScreenPop, interactions_sync
from firmware.events import EventBus
from firmware.store import Store
from firmware.store.access import Access
from firmware.store.audit import AuditLog, number_digest
from firmware.store.customers import Customer, Customers
from firmware.store.db import NotFound, ValidationError
from firmware.store.desk import Desk
from firmware.store.rating import Rating
from firmware.store.records import Records
from firmware.store.surveys import Surveys
from firmware.store.tickets import Tickets
from firmware.store.sync import in_thread
from firmware.store.users import User

log = logging.getLogger("callbox.crm")

BUILTIN_INPUT = ("name", "company", "phones", "email", "address", "tags", "owner", "custom")


class Crm:
    def __init__(self, store: Store, *, clock: Clock | None = None,
                 bus: EventBus | None = None) -> None:
        """``clock`` drives ticket escalation (no escalator without one); record times come
        from the store's clock."""
        db = store.db
        self.store = store
        self.db = db
        self.wall = db.wall
        self.bus = bus
        self.access = Access(db)
        self.customers = Customers(db)
        self.tickets = Tickets(db)
        self.desk = Desk(db)
        self.surveys = Surveys(db)
        self.rating = Rating(db)
        self.records = Records(db, store.recordings.root)
        self.audit = AuditLog(db)
        self.screen_pop = ScreenPop(db, self.phone_settings)
        self.escalator = Escalator(self.tickets, clock, bus) if clock else None
        self.var_dir = store.path.parent
        self._phone: PhoneSettings | None = None

    # settings -------------------------------------------------------------------
    async def phone_settings(self) -> PhoneSettings:
        if self._phone is None:
            s = await self.access.settings()
            self._phone = PhoneSettings(s["phone.country_code"], s["phone.trunk_prefix"],
                                        s["phone.international_prefix"])
        return self._phone

    async def put_phone_settings(self, **values: str) -> PhoneSettings:
        cur = await self.phone_settings()
        new = PhoneSettings(values.get("country_code", cur.country_code),
                            values.get("trunk_prefix", cur.trunk_prefix),
                            values.get("international_prefix", cur.international_prefix)).checked()
        await self.access.put_settings({"phone.country_code": new.country_code,
                                        "phone.trunk_prefix": new.trunk_prefix,
                                        "phone.international_prefix": new.international_prefix})
        self._phone = new
        return new

    # principals -----------------------------------------------------------------
    async def permissions_of(self, role: str) -> frozenset[str]:
        if role in BUILTIN_ROLES:
            return BUILTIN_ROLES[role]
        return await self.access.custom_permissions(role)

    async def principal_of(self, user: User, via: str = "session") -> Principal:
        team_id = None
        if user.team is not None:
            t = await self.access.team(user.team)
            team_id = None if t is None else t.id
        return Principal(user.username, user.role, await self.permissions_of(user.role),
                         user.id, user.team, team_id, user.seat, via)

    async def principal_for_session(self, token: str) -> Principal | None:
        s = await self.store.users.session(token)
        return None if s is None else await self.principal_of(s.user, "session")

    async def principal_for_token(self, token: str) -> Principal | None:
        found = await self.access.token_role(token)
        if found is None:
            return None
        name, role = found
        return Principal(f"token:{name}", role, await self.permissions_of(role), via="token")

    async def principal_for_username(self, username: str) -> Principal | None:
        """The principal of a user by name (the flow masks an agent's screen pop with it)."""
        u = await self.store.users.get(username)
        return None if u is None or u.disabled else await self.principal_of(u)

    # audit ----------------------------------------------------------------------
    async def audited(self, p: Principal, action: str, target: str = "",
                      detail: dict[str, Any] | None = None) -> None:
        await self.audit.append(p.user, p.role, action, target, detail)

    def number_ref(self, e164: str) -> dict[str, str]:
        """How a phone number appears in the audit log: masked plus a digest."""
        return {"number": mask(e164), "number_sha256": number_digest(e164)}

    # customers ------------------------------------------------------------------
    async def customer_from_input(self, data: dict[str, Any], base: Customer | None = None,
                                  where: str = "customer") -> Customer:
        """A ``Customer`` from API/import input; fields absent from ``data`` keep ``base``'s."""
        unknown = sorted(set(data) - set(BUILTIN_INPUT))
        if unknown:
            raise ValidationError(f"{where}.{unknown[0]}", "one of " + ", ".join(BUILTIN_INPUT))
        phone = await self.phone_settings()
        cur = base or Customer(name="")
        phones = cur.phones
        if "phones" in data:
            raw = data["phones"]
            if isinstance(raw, str):
                raw = [x for x in raw.replace(";", ",").split(",") if x.strip()]
            if not isinstance(raw, list):
                raise ValidationError(f"{where}.phones", "a list of numbers", raw)
            out = []
            for i, item in enumerate(raw):
                num, label = (item.get("number"), item.get("label", "")) \
                    if isinstance(item, dict) else (item, "")
                out.append((normalise(num, phone, f"{where}.phones[{i}]"), label or ""))
            phones = tuple(out)
        tags = cur.tags
        if "tags" in data:
            t = data["tags"]
            tags = tuple(x.strip() for x in t.replace(";", ",").split(",") if x.strip()) \
                if isinstance(t, str) else tuple(t or ())
        custom = dict(cur.custom)
        if "custom" in data:
            if not isinstance(data["custom"], dict):
                raise ValidationError(f"{where}.custom", "an object of custom field values")
            custom.update(data["custom"])
        return Customer(name=data.get("name", cur.name), phones=phones,
                        company=data.get("company", cur.company) or "",
                        email=data.get("email", cur.email) or "",
                        address=data.get("address", cur.address) or "", tags=tags,
                        owner=data.get("owner", cur.owner), custom=custom, id=cur.id)

    async def timeline(self, cid: int, limit: int = 50, before: float | None = None
                       ) -> list[dict[str, Any]]:
        c = await self.customers.get(cid)
        if c is None:
            raise NotFound("no such customer", table="customers", key=cid)
        phone = await self.phone_settings()
        async with self.db.reading() as conn:
            return await in_thread(conn, interactions_sync, cid, [n for n, _ in c.phones],
                                   phone, limit, before)

    async def customer_for_number(self, caller: str) -> int | None:
        from firmware.crm.phone import try_normalise
        e164 = try_normalise(caller, await self.phone_settings()) if caller else None
        if e164 is None:
            return None
        ids = await self.customers.by_phone(e164, 1)
        return ids[0] if ids else None

    async def record_survey_answer(self, survey: str, position: int, call_id: str,
                                   caller_number: str, digit: str) -> dict[str, Any]:
        """Called by the survey flow for each key pressed."""
        cid = await self.customer_for_number(caller_number)
        return await self.surveys.record(survey, position, call_id, caller_number, digit, cid)

    # records ----------------------------------------------------------------------
    async def purge(self, actor: Principal) -> dict[str, Any]:
        """Delete records past their retention; logged and audited."""
        now = self.wall()
        t0 = time.monotonic()
        paths, calls = await self.records.expired(now)
        freed = await self.records.delete_recordings(paths) if paths else 0
        if calls:
            await self.records.delete_calls(calls)
        summary = {"recordings": len(paths), "bytes": freed, "calls": len(calls)}
        log.info("retention purge recordings=%d bytes=%d calls=%d took_ms=%.0f", len(paths),
                 freed, len(calls), (time.monotonic() - t0) * 1000)
        await self.audited(actor, "retention.purge", "", summary)
        return summary

    async def number_spellings(self, number: str) -> tuple[str, list[str]]:
        phone = await self.phone_settings()
        e164 = normalise(number, phone, "number")
        return e164, spellings(e164, phone)

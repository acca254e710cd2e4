"""SIP trunks, the outbound route table and the security log, for the web UI.

Mixed into ``firmware.api.Api`` (which provides ``_run``, ``_store``, ``_bus`` and,
through ``CrmApi``, ``crm`` for the audit log). Every method goes through
``@endpoint``: trunks and routes need ``queues.admin`` to change and to read (a
trunk's settings hold the provider's user name), the security log and the list
of banned sources need ``audit.read``, lifting a ban needs ``queues.admin``. A
bad field is an ``ApiError`` (400) naming it (``trunk.port``, ``route.groups[1]``);
a trunk's password is never returned (``secret_set`` says whether one is kept).

Writes publish ``config.changed`` (``what`` "trunk" or "route", ``key``); the
composition root hands the new rows to the edge and the route table at once.
Live state (a trunk up, down, registered; the bans now in force) comes from the
objects the composition root attaches: ``attach_trunks(Trunks)`` and
``attach_security(SecurityControl)``.
"""
from __future__ import annotations

from dataclasses import fields as dc_fields, replace
from typing import Any, Callable

from firmware.crm.facade import endpoint, page
from firmware.crm.permissions import Principal
from firmware.errors import ApiError
from firmware.store.config import InUse, Trunk
from firmware.store.db import NotFound, ValidationError
from firmware.store.outbound import OutboundRoute
from firmware.telephony.r2.errors import R2Error

TRUNK_FIELDS = tuple(f.name for f in dc_fields(Trunk))
ROUTE_FIELDS = tuple(f.name for f in dc_fields(OutboundRoute))
SECURITY_PREFIX = "security."


def _trunk(t: Trunk) -> dict[str, Any]:
    out = {k: getattr(t, k) for k in TRUNK_FIELDS if k != "secret"}
    out["sources"] = list(t.sources)
    out["secret_set"] = bool(t.secret)
    return out


def _route(r: OutboundRoute) -> dict[str, Any]:
    return {**{k: getattr(r, k) for k in ROUTE_FIELDS}, "groups": list(r.groups)}


def _only(where: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(f"{where}.{unknown[0]}", "one of " + ", ".join(allowed))


class TrunksApi:
    _run: Callable[..., Any]
    _store: Any
    _bus: Any
    crm: Any
    _trunks_live: Any = None
    _security_control: Any = None
    _lines: Any = None

    def attach_trunks(self, trunks: Any) -> None:
        """The daemon's ``firmware.trunks.Trunks`` (live group state, line group names)."""
        self._trunks_live = trunks

    def attach_lines(self, lines: Any) -> None:
        """The daemon's ``firmware.telephony.lines.Lines`` (R2 timeslot blocking)."""
        self._lines = lines

    def attach_security(self, control: Any) -> None:
        """The daemon's ``firmware.security.SecurityControl`` (bans in force, unban)."""
        self._security_control = control

    def _config_changed(self, what: str, key: str) -> None:
        if self._bus is not None:
            self._bus.publish("config.changed", what=what, key=key)

    def _live_trunks(self) -> dict[str, dict[str, Any]]:
        if self._trunks_live is None:
            return {}
        return {g["name"]: g for g in self._trunks_live.health()["groups"]}

    # trunks -------------------------------------------------------------------------
    @endpoint("queues.admin")
    async def list_trunks(self, p: Principal) -> list[dict[str, Any]]:
        """Every trunk's settings (no password) with its live state when it has one."""
        live = self._live_trunks()
        out = []
        for t in await self._store.config.trunks():
            row = _trunk(t)
            state = live.get(t.name)
            row["state"] = None if state is None else {
                k: state.get(k) for k in ("available", "why", "reach", "registration",
                                          "active")}
            out.append(row)
        return out

    @endpoint("queues.admin", "write")
    async def put_trunk(self, p: Principal, name: str, **data: Any) -> dict[str, Any]:
        """Create or replace trunk ``name``; a field left out keeps its stored value (the
        password too), or its default for a new trunk."""
        _only("trunk", data, tuple(f for f in TRUNK_FIELDS if f != "name"))
        if "sources" in data and isinstance(data["sources"], list):
            data["sources"] = tuple(data["sources"])
        old = await self._store.config.trunk(name) if isinstance(name, str) else None
        trunk = replace(old, **data) if old is not None else Trunk(name=name, **data)
        saved = await self._store.config.put_trunk(trunk)
        await self.crm.audited(p, "trunk.put", saved.name,
                               {"fields": sorted(data), "secret_changed": "secret" in data})
        self._config_changed("trunk", saved.name)
        return _trunk(saved)

    @endpoint("queues.admin", "write")
    async def delete_trunk(self, p: Principal, name: str) -> None:
        """Refused (409) while an outbound route or a DID uses the trunk."""
        routes = await self._store.outbound.using(name)
        if routes:
            raise InUse(f"trunk {name!r} is still in outbound route(s) {', '.join(routes)}",
                        table="trunks", key=name)
        await self._store.config.delete("trunk", name)
        await self.crm.audited(p, "trunk.delete", name)
        self._config_changed("trunk", name)

    # outbound routes ------------------------------------------------------------------
    @endpoint("queues.admin")
    async def outbound_routes(self, p: Principal) -> list[dict[str, Any]]:
        return [_route(r) for r in await self._store.outbound.routes()]

    @endpoint("queues.admin", "write")
    async def put_outbound_route(self, p: Principal, name: str, **data: Any) -> dict[str, Any]:
        """Create or replace route ``name``. Each group must be a SIP trunk of the store
        or a line group the daemon has registered (``e1/1``, ``fxo``)."""
        _only("route", data, tuple(f for f in ROUTE_FIELDS if f != "name"))
        if isinstance(data.get("groups"), list):
            data["groups"] = tuple(data["groups"])
        old = await self._store.outbound.route(name) if isinstance(name, str) else None
        route = replace(old, **data) if old is not None else OutboundRoute(
            name=name, **{"prefix": "", "groups": (), **data})
        route = route.checked()
        known = {t.name for t in await self._store.config.trunks()}
        if self._trunks_live is not None:
            known |= {g.name for g in self._trunks_live.groups()}
        for i, group in enumerate(route.groups):
            if group not in known:
                raise ValidationError(f"route.groups[{i}]", "a SIP trunk or a line group of "
                                      "this box: " + ", ".join(sorted(known)), group)
        saved = await self._store.outbound.put(route)
        await self.crm.audited(p, "route.put", saved.name, {"fields": sorted(data)})
        self._config_changed("route", saved.name)
        return _route(saved)

    @endpoint("queues.admin", "write")
    async def delete_outbound_route(self, p: Principal, name: str) -> None:
        await self._store.outbound.delete(name)
        await self.crm.audited(p, "route.delete", name)
        self._config_changed("route", name)

    # security ---------------------------------------------------------------------------
    @endpoint("audit.read")
    async def security_log(self, p: Principal, limit: int = 50, offset: int = 0,
                           since: float | None = None, until: float | None = None,
                           kind: str | None = None, ip: str | None = None) -> dict[str, Any]:
        """The ``security.*`` events, newest first: ``{items: [{seq, ts, kind, ...data}],
        total, limit, offset}``; ``kind`` with or without the ``security.`` prefix."""
        if kind is not None and not kind.startswith(SECURITY_PREFIX):
            kind = SECURITY_PREFIX + kind
        items, total = await self._store.events.page(
            prefix=SECURITY_PREFIX, kind=kind, since=since, until=until, ip=ip, limit=limit,
            offset=offset)
        rows = [{**e.data, "seq": e.seq, "ts": e.ts, "kind": e.kind[len(SECURITY_PREFIX):]}
                for e in items]
        return page(rows, total, limit, offset, "-seq")

    @endpoint("audit.read")
    async def security_bans(self, p: Principal) -> list[dict[str, Any]]:
        """The sources the edge ignores now: ``[{ip, reason, seconds_left}]``."""
        if self._security_control is None:
            raise ApiError("the SIP edge is not running", status=503)
        return list(await self._security_control.bans())

    @endpoint("queues.admin", "write")
    async def unban(self, p: Principal, ip: str) -> dict[str, Any]:
        """Lift the ban on ``ip`` at once (404 if it is not banned)."""
        if self._security_control is None:
            raise ApiError("the SIP edge is not running", status=503)
        if not await self._security_control.unban(ip, by=p.user):
            raise NotFound("that address is not banned", table="ipban", key=ip)
        await self.crm.audited(p, "security.unban", ip)
        return {"ip": ip, "unbanned": True}

    # line blocking (MFC-R2) ---------------------------------------------------------------
    def _r2_group(self, group: str) -> Any:
        lines = self._lines               # None: no line groups here (a web UI on its own)
        found = lines.r2_group(group) if lines is not None and isinstance(group, str) else None
        if found is None:
            known = [g.name for g in lines.r2] if lines is not None else []
            raise NotFound(f"no MFC-R2 line group {group!r} (this box has: "
                           f"{', '.join(known) or 'none'})", table="lines", key=str(group))
        return found

    async def _blocking(self, p: Principal, verb: str, group: str,
                        timeslot: int | None) -> dict[str, Any]:
        if timeslot is not None and (isinstance(timeslot, bool)
                                     or not isinstance(timeslot, int)):
            raise ValidationError("timeslot", "a voice timeslot 1-15 or 17-31", timeslot)
        r2 = self._r2_group(group)
        try:
            states = getattr(r2, verb)(timeslot)
        except R2Error as exc:
            raise ValidationError("timeslot", "a voice timeslot 1-15 or 17-31",
                                  timeslot) from exc
        await self.crm.audited(p, f"line.{verb}", group if timeslot is None
                               else f"{group}/{timeslot}",
                               {"timeslots": [s["ts"] for s in states]})
        return {"group": r2.name, "timeslots": states}

    @endpoint("queues.admin", "write")
    async def block_line(self, p: Principal, group: str,
                         timeslot: int | None = None) -> dict[str, Any]:
        """Block R2 timeslot ``timeslot`` of line group ``group`` (None: the whole span)
        towards the far end; a timeslot in a call is blocked when the call ends."""
        return await self._blocking(p, "block", group, timeslot)

    @endpoint("queues.admin", "write")
    async def unblock_line(self, p: Principal, group: str,
                           timeslot: int | None = None) -> dict[str, Any]:
        """Lift the block (a pending one too): the far end sees the timeslot idle."""
        return await self._blocking(p, "unblock", group, timeslot)

"""The outbound route table: which trunk groups a dialled number leaves by.

A route matches the numbers that start with its ``prefix`` ("" matches every
number); the longest matching prefix of the enabled routes wins. The number
loses ``strip`` leading characters and gains ``prepend`` before it is sent,
and the route's ``groups`` (a SIP trunk's name, or a line group such as "e1/1"
or "fxo") are tried in order (``firmware/trunks``). ``caller_id_mode`` "pass"
presents the caller ID the call brings (else ``caller_id``, else the trunk's);
"fixed" always presents ``caller_id``. Group names are not foreign keys: line
groups exist only while the line code has registered them, so the API checks
names against the live ``Trunks`` when a route is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from firmware.store import fields as f
from firmware.store.config import _upsert
from firmware.store.db import Database, NotFound, ValidationError

CALLER_ID_MODES = ("pass", "fixed")
_PREFIX = re.compile(r"^\+?[0-9]{0,20}$")
_GROUP = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}(/[0-9]{1,2})?$")


def group_name(field: str, v: object) -> str:
    """A trunk group: a SIP trunk's name or a line group (``e1/1``, ``fxo``)."""
    if not isinstance(v, str) or not _GROUP.match(v):
        raise ValidationError(field, "a trunk's name or a line group like e1/1 or fxo", v)
    return v


@dataclass(frozen=True)
class OutboundRoute:
    name: str
    prefix: str                          # "" = every number
    groups: tuple[str, ...]              # tried in this order
    strip: int = 0
    prepend: str = ""
    caller_id_mode: str = "pass"
    caller_id: str = ""
    enabled: bool = True

    def checked(self) -> "OutboundRoute":
        if not isinstance(self.prefix, str) or not _PREFIX.match(self.prefix):
            raise ValidationError("route.prefix", "digits with an optional leading '+' "
                                  "(empty: every number)", self.prefix)
        if isinstance(self.groups, str) or not isinstance(self.groups, (tuple, list)) \
                or not self.groups:
            raise ValidationError("route.groups", "a non-empty list of trunk groups",
                                  self.groups)
        groups = tuple(group_name(f"route.groups[{i}]", g) for i, g in enumerate(self.groups))
        if len(set(groups)) != len(groups):
            raise ValidationError("route.groups", "each trunk group once", list(groups))
        if not isinstance(self.prepend, str) or not _PREFIX.match(self.prepend):
            raise ValidationError("route.prepend", "digits with an optional leading '+'",
                                  self.prepend)
        mode = f.choice("route.caller_id_mode", self.caller_id_mode, CALLER_ID_MODES)
        caller_id = f.opt_number("route.caller_id", self.caller_id)
        if mode == "fixed" and not caller_id:
            raise ValidationError("route.caller_id", "a number (the mode is 'fixed')",
                                  self.caller_id)
        return OutboundRoute(name=f.name("route.name", self.name), prefix=self.prefix,
                             groups=groups, strip=f.integer("route.strip", self.strip, 0, 32),
                             prepend=self.prepend, caller_id_mode=mode, caller_id=caller_id,
                             enabled=f.boolean("route.enabled", self.enabled))


class OutboundRoutes:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, route: OutboundRoute) -> OutboundRoute:
        r = route.checked()
        async with self._db.transaction("outbound.put") as conn:
            async with conn.execute("SELECT name FROM outbound_routes WHERE prefix = ?"
                                    " AND name <> ?", (r.prefix, r.name)) as cur:
                other = await cur.fetchone()
            if other is not None:
                raise ValidationError("route.prefix", f"a prefix no other route has (route "
                                      f"{other[0]!r} has it)", r.prefix)
            rid = await _upsert(conn, "outbound_routes", "name", {
                "name": r.name, "prefix": r.prefix, "strip": r.strip, "prepend": r.prepend,
                "caller_id_mode": r.caller_id_mode, "caller_id": r.caller_id,
                "enabled": int(r.enabled)})
            await conn.execute("DELETE FROM outbound_route_groups WHERE route_id = ?", (rid,))
            await conn.executemany(
                "INSERT INTO outbound_route_groups (route_id, position, grp) VALUES (?, ?, ?)",
                [(rid, i, g) for i, g in enumerate(r.groups)])
        return r

    async def routes(self) -> list[OutboundRoute]:
        rows = await self._db.fetchall(
            "SELECT id, name, prefix, strip, prepend, caller_id_mode, caller_id, enabled"
            " FROM outbound_routes ORDER BY prefix, name")
        groups = await self._db.fetchall(
            "SELECT route_id, grp FROM outbound_route_groups ORDER BY route_id, position")
        by_route: dict[int, list[str]] = {}
        for rid, grp in groups:
            by_route.setdefault(rid, []).append(grp)
        return [OutboundRoute(r["name"], r["prefix"], tuple(by_route.get(r["id"], ())),
                              r["strip"], r["prepend"], r["caller_id_mode"], r["caller_id"],
                              bool(r["enabled"])) for r in rows]

    async def route(self, name: str) -> OutboundRoute | None:
        return next((r for r in await self.routes() if r.name == name), None)

    async def using(self, group: str) -> list[str]:
        """Names of the routes that try ``group``."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT r.name FROM outbound_route_groups g"
            " JOIN outbound_routes r ON r.id = g.route_id WHERE g.grp = ? ORDER BY r.name",
            (group,))
        return [row[0] for row in rows]

    async def delete(self, name: str) -> None:
        async with self._db.transaction("outbound.delete") as conn:
            cur = await conn.execute("DELETE FROM outbound_routes WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise NotFound("no such route", table="outbound_routes", key=name)

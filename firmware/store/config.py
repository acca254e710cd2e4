"""Run-time configuration an admin edits: trunks, DIDs, IVR menus, queues, seats.

Each ``put_*`` is an upsert keyed by the object's name (extension, number) and
replaces the object as a whole, children included, in one transaction. Every
field is checked first and references (an IVR option's queue, a DID's target)
are resolved inside the transaction, so a rejected write changes nothing.
Deleting something still referenced (a queue behind an IVR option or a DID)
is refused with ``InUse``.

Queue strategies are the ACD engine's (``acd_core.acd.model.STRATEGIES``);
the names other systems use (Asterisk's ``leastrecent``, ``ringall`` ...) are
accepted and stored as the engine's. A seat's membership in a queue carries a
``penalty`` 0-99, 0 being the first choice (``acd_core.acd.Membership``).
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from acd_core.acd.model import STRATEGIES, STRATEGY_ALIASES
from firmware.errors import StoreError
from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError, only_row

TRUNK_KINDS = ("sip-ip", "sip-reg")
DID_TARGETS = ("ivr", "queue", "seat")
DTMF_DIGITS = "0123456789*#"
_NUMBER_ONLY = re.compile(r"^\+?[0-9]{1,20}$")


class InUse(StoreError):
    """A row cannot be deleted while others refer to it; carries ``table`` and ``key``."""


@dataclass(frozen=True)
class Trunk:
    """A SIP trunk: who may call in through it (``sources``) and, with a ``host``, where
    its outbound calls and OPTIONS keep-alives go. ``kind`` "sip-ip": the provider knows
    us by our address; "sip-reg": by digest (``username``/``secret``), and we register.
    A "sip-reg" trunk on an IP address is trusted from that address unless ``sources``
    says otherwise (no DNS at the edge, so a host name needs ``sources``)."""

    name: str
    sources: tuple[str, ...] = ()       # CIDRs the trunk is trusted from
    kind: str = "sip-ip"
    enabled: bool = True
    host: str = ""                      # where calls go; "" = a trunk we only take calls from
    port: int = 5060
    domain: str = ""                    # Request-URI / From domain; "" = host
    username: str = ""                  # digest user ("sip-reg")
    secret: str = ""                    # its password
    realm: str = ""                     # "" = whatever realm the provider challenges with
    register_expires: int = 600
    keepalive: bool = True              # OPTIONS keep-alive (failover after 3 missed replies)
    max_channels: int = 0               # calls out at once; 0 = no limit
    caller_id: str = ""                 # presented when a call brings none

    def checked(self) -> "Trunk":
        kind = f.choice("trunk.kind", self.kind, TRUNK_KINDS)
        host = f.host("trunk.host", self.host) if self.host != "" else ""
        if isinstance(self.sources, str) or not isinstance(self.sources, (tuple, list)):
            raise ValidationError("trunk.sources", "a list of CIDRs", self.sources)
        sources = tuple(sorted({f.cidr(f"trunk.sources[{i}]", c)
                                for i, c in enumerate(self.sources)}))
        if kind == "sip-reg":
            if not host:
                raise ValidationError("trunk.host", "the registrar's address or host name "
                                      "(a sip-reg trunk registers there)", self.host)
            username = f.sip_secret("trunk.username", self.username)
            secret = f.sip_secret("trunk.secret", self.secret)
            if not sources and f.is_ipv4(host):
                sources = (f"{host}/32",)
        else:
            username = f.sip_secret("trunk.username", self.username) if self.username else ""
            secret = f.sip_secret("trunk.secret", self.secret) if username else ""
            if not sources:
                raise ValidationError("trunk.sources", "a non-empty list of CIDRs",
                                      self.sources)
        return Trunk(name=f.name("trunk.name", self.name), sources=sources, kind=kind,
                     enabled=f.boolean("trunk.enabled", self.enabled), host=host,
                     port=f.integer("trunk.port", self.port, 1, 65535),
                     domain=f.host("trunk.domain", self.domain) if self.domain else "",
                     username=username, secret=secret,
                     realm=f.host("trunk.realm", self.realm) if self.realm else "",
                     register_expires=f.integer("trunk.register_expires",
                                                self.register_expires, 60, 86400),
                     keepalive=f.boolean("trunk.keepalive", self.keepalive),
                     max_channels=f.integer("trunk.max_channels", self.max_channels, 0, 1000),
                     caller_id=f.opt_number("trunk.caller_id", self.caller_id))


_TRUNK_COLUMNS = ("kind", "enabled", "host", "port", "domain", "username", "secret", "realm",
                  "register_expires", "keepalive", "max_channels", "caller_id")


_DISPLAY_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')
_DISPLAY_FIELD = re.compile(r"\{(\w*)\}")


def _display_format(field_name: str, v: object) -> str:
    text = f.text(field_name, v, 64)
    unknown = {m for m in _DISPLAY_FIELD.findall(text)} - {"queue", "name", "number"}
    if unknown or text.count("{") != len(_DISPLAY_FIELD.findall(text)) \
            or text.count("}") != text.count("{"):
        raise ValidationError(field_name, "text with only {queue}, {name} and {number} "
                              "in braces", v)
    if _DISPLAY_UNSAFE.search(text):
        raise ValidationError(field_name, "text without quotes, backslashes or control "
                              "characters", v)
    return text


@dataclass(frozen=True)
class Queue:
    name: str
    strategy: str = "longest-idle"
    wrapup_s: int = 5
    ring_timeout_s: int = 20
    max_wait_s: int = 0                 # 0: wait for ever
    sl_threshold_s: int = 20            # service level: answered within this many seconds
    moh_file: str = ""                  # relative to var/prompts; "" = built-in tone
    caller_display: str = "{queue}: {name}"   # what the seat's phone shows (see display_for)

    def display_for(self, number: str, name: str) -> str:
        """The name a seat's phone shows for a caller offered from this queue
        ("support: Ann Lee"), within the 64 characters and the characters a SIP display
        name can carry."""
        shown = name or number or "unknown"
        text = (self.caller_display.format(queue=self.name, name=shown, number=number or shown)
                if self.caller_display else shown)
        return _DISPLAY_UNSAFE.sub("", text)[:64].strip()

    def checked(self) -> "Queue":
        return Queue(f.name("queue.name", self.name),
                     f.choice("queue.strategy", STRATEGY_ALIASES.get(self.strategy, self.strategy),
                              STRATEGIES),
                     f.integer("queue.wrapup_s", self.wrapup_s, 0, 3600),
                     f.integer("queue.ring_timeout_s", self.ring_timeout_s, 1, 600),
                     f.integer("queue.max_wait_s", self.max_wait_s, 0, 86400),
                     f.integer("queue.sl_threshold_s", self.sl_threshold_s, 1, 3600),
                     f.rel_path("queue.moh_file", self.moh_file) if self.moh_file else "",
                     _display_format("queue.caller_display", self.caller_display))


@dataclass(frozen=True)
class IvrMenu:
    name: str
    prompt_file: str                    # relative to var/prompts
    prompt_text: str = ""               # what the prompt says (and what TTS generated it from)
    timeout_s: int = 5
    retries: int = 2
    options: dict[str, str] = field(default_factory=dict)   # digit -> queue name

    def checked(self) -> "IvrMenu":
        if not isinstance(self.options, dict):
            raise ValidationError("ivr.options", "a mapping of digit to queue", self.options)
        opts = {}
        for digit, queue in self.options.items():
            if not isinstance(digit, str) or len(digit) != 1 or digit not in DTMF_DIGITS:
                raise ValidationError("ivr.options", "keys that are one of 0-9, * or #", digit)
            opts[digit] = f.name(f"ivr.options.{digit}", queue)
        return IvrMenu(f.name("ivr.name", self.name),
                       f.rel_path("ivr.prompt_file", self.prompt_file),
                       f.text("ivr.prompt_text", self.prompt_text, 500),
                       f.integer("ivr.timeout_s", self.timeout_s, 1, 60),
                       f.integer("ivr.retries", self.retries, 0, 10),
                       dict(sorted(opts.items())))


@dataclass(frozen=True)
class Seat:
    extension: str
    ha1: str                            # md5(extension:realm:password), lower-case hex
    display_name: str = ""
    queues: dict[str, int] = field(default_factory=dict)    # queue name -> penalty (0 first)

    def checked(self) -> "Seat":
        if not isinstance(self.queues, dict):
            raise ValidationError("seat.queues", "a mapping of queue to penalty", self.queues)
        return Seat(f.extension("seat.extension", self.extension),
                    f.ha1("seat.ha1", self.ha1),
                    f.text("seat.display_name", self.display_name, 64),
                    {f.name("seat.queues", q): f.integer(f"seat.queues.{q}", pen, 0, 99)
                     for q, pen in sorted(self.queues.items())})


@dataclass(frozen=True)
class Did:
    """A route of schema 1's shape: a DID to one IVR, queue or seat, from one trunk or any.

    Routes of migration 7 (prefixes, line groups, schedules, other targets) are read and
    written through ``firmware.store.inbound``; this view keeps the older callers working.
    """
    number: str
    target_kind: str                    # ivr | queue | seat
    target: str                         # menu name, queue name or seat extension
    trunk: str | None = None            # None: accepted from any trunk

    def checked(self) -> "Did":
        kind = f.choice("did.target_kind", self.target_kind, DID_TARGETS)
        target = (f.extension("did.target", self.target) if kind == "seat"
                  else f.name("did.target", self.target))
        return Did(f.number("did.number", self.number), kind, target,
                   None if self.trunk is None else f.name("did.trunk", self.trunk))


_DID_TARGET = {"ivr": ("ivr_menus", "name"), "queue": ("queues", "name"),
               "seat": ("seats", "extension")}


async def _id_of(conn: aiosqlite.Connection, table: str, key_col: str, key: str,
                 field_name: str) -> int:
    async with conn.execute(f"SELECT id FROM {table} WHERE {key_col} = ?", (key,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise ValidationError(field_name, f"an existing {table[:-1].replace('_', ' ')}", key)
    return int(row[0])


async def _upsert(conn: aiosqlite.Connection, table: str, key_col: str,
                  values: dict[str, Any]) -> int:
    """Insert or update by the natural key, keeping the row id (children refer to it)."""
    cols = list(values)
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c != key_col)
    async with conn.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
            f" ON CONFLICT({key_col}) DO UPDATE SET {sets} RETURNING id",
            [values[c] for c in cols]) as cur:
        row = await only_row(cur, f"{table}.upsert")
    return int(row[0])


class ConfigStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # trunks ---------------------------------------------------------------
    async def put_trunk(self, trunk: Trunk) -> Trunk:
        t = trunk.checked()
        values: dict[str, Any] = {"name": t.name}
        values.update({c: int(v) if isinstance(v, bool) else v
                       for c in _TRUNK_COLUMNS for v in (getattr(t, c),)})
        async with self._db.transaction("config.put_trunk") as conn:
            tid = await _upsert(conn, "trunks", "name", values)
            await conn.execute("DELETE FROM trunk_sources WHERE trunk_id = ?", (tid,))
            await conn.executemany("INSERT INTO trunk_sources (trunk_id, cidr) VALUES (?, ?)",
                                   [(tid, c) for c in t.sources])
        return t

    async def trunks(self) -> list[Trunk]:
        rows = await self._db.fetchall(
            f"SELECT t.name, {', '.join('t.' + c for c in _TRUNK_COLUMNS)},"
            " group_concat(s.cidr, ' ') AS cidrs"
            " FROM trunks t LEFT JOIN trunk_sources s ON s.trunk_id = t.id"
            " GROUP BY t.id ORDER BY t.name")
        return [Trunk(name=r["name"], sources=tuple(sorted((r["cidrs"] or "").split())),
                      kind=r["kind"], enabled=bool(r["enabled"]), host=r["host"], port=r["port"],
                      domain=r["domain"], username=r["username"], secret=r["secret"],
                      realm=r["realm"], register_expires=r["register_expires"],
                      keepalive=bool(r["keepalive"]), max_channels=r["max_channels"],
                      caller_id=r["caller_id"]) for r in rows]

    async def trunk(self, name: str) -> Trunk | None:
        return next((t for t in await self.trunks() if t.name == name), None)

    async def trunk_sources(self) -> list[tuple[str, str]]:
        """(cidr, trunk name) of every enabled trunk: what the edge trusts."""
        rows = await self._db.fetchall(
            "SELECT s.cidr, t.name FROM trunk_sources s JOIN trunks t ON t.id = s.trunk_id"
            " WHERE t.enabled ORDER BY t.name, s.cidr")
        return [(r[0], r[1]) for r in rows]

    # queues ---------------------------------------------------------------
    async def put_queue(self, queue: Queue) -> Queue:
        q = queue.checked()
        async with self._db.transaction("config.put_queue") as conn:
            await _upsert(conn, "queues", "name", {
                "name": q.name, "strategy": q.strategy, "wrapup_s": q.wrapup_s,
                "ring_timeout_s": q.ring_timeout_s, "max_wait_s": q.max_wait_s,
                "sl_threshold_s": q.sl_threshold_s, "moh_file": q.moh_file,
                "caller_display": q.caller_display})
        return q

    async def queues(self) -> list[Queue]:
        rows = await self._db.fetchall(
            "SELECT name, strategy, wrapup_s, ring_timeout_s, max_wait_s, sl_threshold_s,"
            " moh_file, caller_display FROM queues ORDER BY name")
        return [Queue(*r) for r in rows]

    async def queue(self, name: str) -> Queue | None:
        return next((q for q in await self.queues() if q.name == name), None)

    # IVR ------------------------------------------------------------------
    async def put_ivr(self, menu: IvrMenu) -> IvrMenu:
        m = menu.checked()
        async with self._db.transaction("config.put_ivr") as conn:
            queue_ids = {d: await _id_of(conn, "queues", "name", q, f"ivr.options.{d}")
                         for d, q in m.options.items()}
            mid = await _upsert(conn, "ivr_menus", "name", {
                "name": m.name, "prompt_file": m.prompt_file, "prompt_text": m.prompt_text,
                "timeout_s": m.timeout_s, "retries": m.retries})
            await conn.execute("DELETE FROM ivr_options WHERE menu_id = ?", (mid,))
            await conn.executemany(
                "INSERT INTO ivr_options (menu_id, digit, queue_id) VALUES (?, ?, ?)",
                [(mid, d, qid) for d, qid in queue_ids.items()])
        return m

    async def ivr_menus(self) -> list[IvrMenu]:
        menus = await self._db.fetchall(
            "SELECT id, name, prompt_file, prompt_text, timeout_s, retries FROM ivr_menus"
            " ORDER BY name")
        opts = await self._db.fetchall(
            "SELECT o.menu_id, o.digit, q.name FROM ivr_options o"
            " JOIN queues q ON q.id = o.queue_id ORDER BY o.digit")
        by_menu: dict[int, dict[str, str]] = {}
        for mid, digit, qname in opts:
            by_menu.setdefault(mid, {})[digit] = qname
        return [IvrMenu(r["name"], r["prompt_file"], r["prompt_text"], r["timeout_s"],
                        r["retries"], by_menu.get(r["id"], {})) for r in menus]

    async def ivr_menu(self, name: str) -> IvrMenu | None:
        return next((m for m in await self.ivr_menus() if m.name == name), None)

    # seats ----------------------------------------------------------------
    async def put_seat(self, seat: Seat) -> Seat:
        s = seat.checked()
        async with self._db.transaction("config.put_seat") as conn:
            queue_ids = {q: await _id_of(conn, "queues", "name", q, f"seat.queues.{q}")
                         for q in s.queues}
            sid = await _upsert(conn, "seats", "extension", {
                "extension": s.extension, "display_name": s.display_name, "ha1": s.ha1})
            await conn.execute("DELETE FROM seat_queues WHERE seat_id = ?", (sid,))
            await conn.executemany(
                "INSERT INTO seat_queues (seat_id, queue_id, penalty) VALUES (?, ?, ?)",
                [(sid, queue_ids[q], pen) for q, pen in s.queues.items()])
        return s

    async def seats(self) -> list[Seat]:
        rows = await self._db.fetchall(
            "SELECT id, extension, ha1, display_name FROM seats ORDER BY extension")
        members = await self._db.fetchall(
            "SELECT m.seat_id, q.name, m.penalty FROM seat_queues m"
            " JOIN queues q ON q.id = m.queue_id ORDER BY q.name")
        by_seat: dict[int, dict[str, int]] = {}
        for sid, qname, penalty in members:
            by_seat.setdefault(sid, {})[qname] = penalty
        return [Seat(r["extension"], r["ha1"], r["display_name"], by_seat.get(r["id"], {}))
                for r in rows]

    async def seat(self, extension: str) -> Seat | None:
        return next((s for s in await self.seats() if s.extension == extension), None)

    # DIDs -----------------------------------------------------------------
    async def put_did(self, did: Did) -> Did:
        d = did.checked()
        table, key_col = _DID_TARGET[d.target_kind]
        async with self._db.transaction("config.put_did") as conn:
            await _id_of(conn, table, key_col, d.target, "did.target")
            if d.trunk is not None:
                await _id_of(conn, "trunks", "name", d.trunk, "did.trunk")
            await conn.execute(
                "INSERT INTO dids (number, trunk, target) VALUES (?, ?, ?)"
                " ON CONFLICT(number, trunk) DO UPDATE SET target = excluded.target",
                (d.number, d.trunk or "", f"{d.target_kind}:{d.target}"))
        return d

    async def dids(self) -> list[Did]:
        """The routes that have schema 1's shape (a whole DID to an IVR, queue or seat)."""
        rows = await self._db.fetchall(
            "SELECT number, trunk, target FROM dids WHERE schedule = '' ORDER BY number, trunk")
        out = []
        for r in rows:
            kind, _, name = str(r["target"]).partition(":")
            if kind in DID_TARGETS and _NUMBER_ONLY.match(r["number"]):
                out.append(Did(r["number"], kind, name, r["trunk"] or None))
        return out

    async def did(self, number: str) -> Did | None:
        return next((d for d in await self.dids() if d.number == number), None)

    # deleting -------------------------------------------------------------
    async def delete(self, kind: str, key: str) -> None:
        """Delete a trunk, queue, ivr menu, seat or did by its name / extension / number."""
        table, key_col = {"trunk": ("trunks", "name"), "queue": ("queues", "name"),
                          "ivr": ("ivr_menus", "name"), "seat": ("seats", "extension"),
                          "did": ("dids", "number")}.get(kind, (None, None))
        if kind == "trunk":
            await self._refuse_if_routed(key)
        if table is None:
            raise ValidationError("kind", "one of trunk, queue, ivr, seat, did", kind)
        try:
            async with self._db.transaction(f"config.delete_{kind}") as conn:
                cur = await conn.execute(f"DELETE FROM {table} WHERE {key_col} = ?", (key,))
                if cur.rowcount == 0:
                    raise NotFound(f"no such {kind}", table=table, key=key)
        except sqlite3.IntegrityError:
            owners = await self.referrers(f"{kind}:{key}")
            raise InUse(f"{kind} {key!r} is still in use"
                        f" ({', '.join(owners) if owners else 'an IVR option or a seat'}"
                        " points to it)", table=table, key=key) from None

    async def referrers(self, ref: str) -> list[str]:
        """Who names ``ref`` (``queue:support``): routes, list entries, rules, IVR trees."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT owner FROM inbound_refs WHERE ref = ? ORDER BY owner LIMIT 5",
            (ref,))
        return [r[0] for r in rows]

    async def _refuse_if_routed(self, trunk: str) -> None:
        row = await self._db.fetchone("SELECT number FROM dids WHERE trunk = ? LIMIT 1", (trunk,))
        if row is not None:
            raise InUse(f"trunk {trunk!r} is still in use (route {row[0]} is bound to it)",
                        table="trunks", key=trunk)

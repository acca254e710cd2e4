"""Call detail records: one row per call, written once when the call has ended.

A CDR is committed only after the call's recording (if any) is final and
indexed, so a record never points at a half-written file. Times are epoch
seconds (UTC, REAL); ``wait_s`` is the time in queue, ``talk_s`` the time
bridged to an agent.
"""
from __future__ import annotations

import builtins
import sqlite3
import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from firmware.errors import StoreError
from firmware.store import fields as f
from firmware.store.db import Database, ValidationError, only_row
from firmware.store.where import Where, text_of

# "blocked": every trunk group of the outbound route was busy or down ("all lines busy")
DISPOSITIONS = ("answered", "abandoned", "failed", "no-agent", "no-choice", "rejected",
                "blocked")
HANGUP_BY = ("caller", "agent", "system")
DIRECTIONS = ("in", "out")
MAX_PAGE = 1000


@dataclass
class CallRecord:
    """One call as the flow fills it in and the store keeps it.

    Mutable on purpose: the call flow owns it for the call's life and sets
    fields as the call goes; ``checked()`` validates a copy when it is written.
    """
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: float = 0.0
    ended_at: float = 0.0
    disposition: str = "failed"
    hangup_by: str = "system"
    answered_at: float | None = None
    ring_started_at: float | None = None
    agent_answered_at: float | None = None
    caller_number: str = ""
    caller_name: str = ""
    did: str = ""
    trunk: str = ""
    queue: str = ""
    agent: str = ""
    wait_s: float = 0.0
    talk_s: float = 0.0
    recording: str = ""
    failure_reason: str = ""
    direction: str = "in"               # "in" | "out" (outbound calls are rated)
    dialed_number: str = ""             # E.164, for outbound calls
    outcome: str = ""                   # what happened beyond the disposition (inbound path)
    category: str = ""                  # the caller's category (MFC-R2 group II), else ""

    def checked(self) -> "CallRecord":
        """The record with every field validated and normalised."""
        started = f.timestamp("cdr.started_at", self.started_at)
        ended = f.timestamp("cdr.ended_at", self.ended_at)
        if ended < started:
            raise ValidationError("cdr.ended_at", "a time at or after started_at", self.ended_at)
        times = {}
        for name in ("answered_at", "ring_started_at", "agent_answered_at"):
            t = f.opt_timestamp(f"cdr.{name}", getattr(self, name))
            if t is not None and not started <= t <= ended:
                raise ValidationError(f"cdr.{name}", "a time between started_at and ended_at", t)
            times[name] = t
        return CallRecord(
            id=f.call_id("cdr.id", self.id),
            started_at=started, ended_at=ended,
            disposition=f.choice("cdr.disposition", self.disposition, DISPOSITIONS),
            hangup_by=f.choice("cdr.hangup_by", self.hangup_by, HANGUP_BY),
            **times,
            caller_number=f.text("cdr.caller_number", self.caller_number, 64),
            caller_name=f.text("cdr.caller_name", self.caller_name, 64),
            did=f.opt_number("cdr.did", self.did),
            trunk=f.text("cdr.trunk", self.trunk, 32),
            queue=f.text("cdr.queue", self.queue, 32),
            agent=f.text("cdr.agent", self.agent, 32),
            wait_s=f.seconds("cdr.wait_s", self.wait_s),
            talk_s=f.seconds("cdr.talk_s", self.talk_s),
            recording=f.rel_path("cdr.recording", self.recording) if self.recording else "",
            failure_reason=f.text("cdr.failure_reason", self.failure_reason, 200),
            direction=f.choice("cdr.direction", self.direction, DIRECTIONS),
            dialed_number=f.opt_number("cdr.dialed_number", self.dialed_number),
            outcome=f.text("cdr.outcome", self.outcome, 64),
            category=f.text("cdr.category", self.category, 32),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "CallRecord":
        return cls(**{k: row[k] for k in _COLUMNS})


_COLUMNS = tuple(x.name for x in fields(CallRecord))


def insert_sql(rec: CallRecord) -> tuple[str, list[Any]]:
    """The INSERT of a checked record (shared with ``calls_live.finish``)."""
    return (f"INSERT INTO cdr ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})",
            [getattr(rec, c) for c in _COLUMNS])


@dataclass(frozen=True)
class CdrFilter:
    """Which records a listing shows; every field optional, combined with AND."""
    since: float | None = None     # started_at >= since
    until: float | None = None     # started_at < until
    queue: str | None = None
    agent: str | None = None
    disposition: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        w = (Where().time_range("started_at", self.since, self.until)
             .eq("queue", self.queue, text_of(32)).eq("agent", self.agent, text_of(32))
             .eq("disposition", self.disposition,
                 lambda n, v: f.choice(n, v, DISPOSITIONS)))
        return w.sql(), w.params


class CdrStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, record: CallRecord) -> CallRecord:
        rec = record.checked()
        sql, values = insert_sql(rec)
        try:
            async with self._db.transaction("cdr.insert") as conn:
                await conn.execute(sql, values)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"call record not stored: {exc}", table="cdr", id=rec.id) from None
        return rec

    async def get(self, call_id: str) -> CallRecord | None:
        try:
            key = f.call_id("id", call_id)
        except ValidationError:
            return None
        row = await self._db.fetchone("SELECT * FROM cdr WHERE id = ?", (key,))
        return None if row is None else CallRecord.from_row(row)

    async def list(self, limit: int = 50, offset: int = 0,
                   filters: CdrFilter = CdrFilter()) -> "builtins.list[CallRecord]":
        items, _ = await self.page(limit, offset, filters, with_total=False)
        return items

    async def count(self, filters: CdrFilter = CdrFilter()) -> int:
        where, params = filters.where()
        return int(await self._db.fetchval(f"SELECT COUNT(*) FROM cdr{where}", params))

    async def page(self, limit: int = 50, offset: int = 0, filters: CdrFilter = CdrFilter(),
                   *, with_total: bool = True) -> tuple[builtins.list[CallRecord], int]:
        """Newest first; the page and its total are read as one consistent snapshot."""
        f.integer("limit", limit, 1, MAX_PAGE)
        f.integer("offset", offset, 0, 2**62)
        where, params = filters.where()
        async with self._db.reading() as conn:
            async with conn.execute(
                    f"SELECT * FROM cdr{where} ORDER BY started_at DESC, id LIMIT ? OFFSET ?",
                    [*params, limit, offset]) as cur:
                rows = await cur.fetchall()
            total = -1
            if with_total:
                async with conn.execute(f"SELECT COUNT(*) FROM cdr{where}", params) as cur:
                    total = int((await only_row(cur, "cdr.count"))[0])
        return [CallRecord.from_row(r) for r in rows], total

"""Calls in progress: the call's record from its first moment (``calls_live``).

The call flow writes a call's row when the call reaches the box and rewrites
it at every stage, with ``synchronous=FULL`` like every write, so a daemon
killed at any instant leaves a row that says how far the call got. ``finish``
swaps the row for the call's CDR in one transaction: a call is either in
progress or recorded, never both, never neither. ``left_over`` is what the
next start reconciles.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, fields

from firmware.errors import StoreError
from firmware.store.cdr import CallRecord, insert_sql
from firmware.store.db import Database

STAGES = ("started", "answered", "queued", "connected", "ended")
_FIELDS = {f.name for f in fields(CallRecord)}


@dataclass(frozen=True)
class LiveCall:
    record: CallRecord
    stage: str
    updated_at: float


class CallsLive:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, rec: CallRecord, stage: str) -> None:
        if stage not in STAGES:
            raise StoreError(f"unknown call stage {stage!r}", table="calls_live", stage=stage)
        async with self._db.transaction("calls_live.put") as conn:
            await conn.execute(
                "INSERT INTO calls_live (id, stage, updated_at, record) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET stage = excluded.stage,"
                " updated_at = excluded.updated_at, record = excluded.record",
                (rec.id, stage, self._db.wall(), json.dumps(asdict(rec))))

    async def finish(self, rec: CallRecord) -> CallRecord:
        """The call's CDR in, its live row out, atomically."""
        checked = rec.checked()
        sql, values = insert_sql(checked)
        try:
            async with self._db.transaction("calls_live.finish") as conn:
                await conn.execute(sql, values)
                await conn.execute("DELETE FROM calls_live WHERE id = ?", (rec.id,))
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"call record not stored: {exc}", table="cdr", id=rec.id) from None
        return checked

    async def left_over(self) -> list[LiveCall]:
        rows = await self._db.fetchall(
            "SELECT stage, updated_at, record FROM calls_live ORDER BY updated_at")
        out = []
        for row in rows:
            data = {k: v for k, v in json.loads(row["record"]).items() if k in _FIELDS}
            out.append(LiveCall(CallRecord(**data), row["stage"], row["updated_at"]))
        return out

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT COUNT(*) FROM calls_live"))

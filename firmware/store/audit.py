"""The audit log: who viewed, played, downloaded, exported, erased or changed what.

Append-only twice over: triggers in the schema refuse UPDATE and DELETE on
``audit_log``, and each row carries the SHA-256 of its predecessor's hash and
its own content, so removing or editing a row through the raw file (which the
triggers cannot stop) breaks the chain that ``verify()`` walks. Phone numbers
never enter it in full: callers pass them masked, plus a SHA-256 of the E.164
form when a row must be findable by number (privacy requests).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

import aiosqlite

from firmware.store import fields as f
from firmware.store.db import Database, only_row

GENESIS = "0" * 64
MAX_PAGE = 1000


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: float
    actor: str
    role: str
    action: str
    target: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _digest(prev: str, ts: float, actor: str, role: str, action: str, target: str,
            detail: str) -> str:
    body = json.dumps([prev, repr(ts), actor, role, action, target, detail],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def number_digest(e164: str) -> str:
    return hashlib.sha256(e164.encode("ascii")).hexdigest()


async def append_in(conn: aiosqlite.Connection, ts: float, actor: str, role: str, action: str,
                    target: str = "", detail: dict[str, Any] | None = None) -> None:
    """Append inside a transaction the caller holds (so the audit row commits with the change)."""
    text = json.dumps(detail or {}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    async with conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1") as cur:
        row = await cur.fetchone()
    prev = GENESIS if row is None else row[0]
    await conn.execute(
        "INSERT INTO audit_log (ts, actor, role, action, target, detail, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (ts, actor, role, action, target, text, prev,
         _digest(prev, ts, actor, role, action, target, text)))


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, actor: str, role: str, action: str, target: str = "",
                     detail: dict[str, Any] | None = None) -> None:
        async with self._db.transaction("audit.append") as conn:
            await append_in(conn, self._db.wall(), actor, role, action, target, detail)

    async def page(self, *, since: float | None = None, until: float | None = None,
                   actor: str | None = None, action: str | None = None, limit: int = 50,
                   offset: int = 0) -> tuple[list[AuditEntry], int]:
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("ts >= ?")
            params.append(f.timestamp("since", since))
        if until is not None:
            clauses.append("ts < ?")
            params.append(f.timestamp("until", until))
        if actor is not None:
            clauses.append("actor = ?")
            params.append(f.text("actor", actor, 64))
        if action is not None:
            clauses.append("action = ?")
            params.append(f.text("action", action, 64))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        f.integer("limit", limit, 1, MAX_PAGE)
        f.integer("offset", offset, 0, 2**62)
        async with self._db.reading() as conn:
            async with conn.execute(f"SELECT * FROM audit_log{where} ORDER BY seq DESC"
                                    " LIMIT ? OFFSET ?", [*params, limit, offset]) as cur:
                rows = await cur.fetchall()
            async with conn.execute(f"SELECT COUNT(*) FROM audit_log{where}", params) as cur:
                total = int((await only_row(cur, "audit.count"))[0])
        return [_entry(r) for r in rows], total

    async def verify(self) -> dict[str, Any]:
        """Walk the chain: ``{"ok": bool, "rows": n, "first_bad": seq | None}``."""
        prev = GENESIS
        n = 0
        async with self._db.reading() as conn:
            async with conn.execute("SELECT * FROM audit_log ORDER BY seq") as cur:
                async for r in cur:
                    n += 1
                    want = _digest(prev, r["ts"], r["actor"], r["role"], r["action"],
                                   r["target"], r["detail"])
                    if r["prev_hash"] != prev or r["hash"] != want:
                        return {"ok": False, "rows": n, "first_bad": r["seq"]}
                    prev = r["hash"]
        return {"ok": True, "rows": n, "first_bad": None}


def _entry(r: sqlite3.Row) -> AuditEntry:
    return AuditEntry(r["seq"], r["ts"], r["actor"], r["role"], r["action"], r["target"],
                      json.loads(r["detail"]))

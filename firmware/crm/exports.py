"""Export jobs: read the rows in pages and hand them to a writer in a worker thread.

Pages are read by keyset (``ORDER BY key LIMIT n`` after the last key), so a
million CDRs stream through in constant memory and each page is one short
read that never holds the database lock for long.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from pathlib import Path
from typing import Any, AsyncIterator

from firmware.crm import exporter
from firmware.crm.permissions import Principal
from firmware.crm.service import Crm
from firmware.errors import ApiError

CHUNK = 5000
FORMATS = {"customers": ("csv", "xlsx"), "tickets": ("csv", "xlsx"),
           "calls": ("csv", "xlsx", "master.csv"), "queue_log": ("csv", "xlsx", "queue_log")}
CUSTOMER_COLUMNS = ["id", "name", "company", "phones", "email", "address", "tags", "owner",
                    "created_at", "updated_at"]
TICKET_COLUMNS = ["id", "type", "state", "priority", "subject", "customer_id", "customer_name",
                  "assignee", "team", "escalation_level", "created_at", "due_at", "resolved_at",
                  "closed_at"]
CALL_COLUMNS = ["id", "started_at", "answered_at", "agent_answered_at", "ended_at", "direction",
                "caller_number", "caller_name", "did", "dialed_number", "trunk", "queue", "agent",
                "wait_s", "talk_s", "disposition", "hangup_by", "recording", "cost", "currency"]
QUEUE_COLUMNS = ["ts", "call_id", "queue", "agent", "event", "position", "orig_position",
                 "wait_s", "talk_s", "ring_s", "info", "caller_number"]
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "master.csv": "text/csv; charset=utf-8",
                 "queue_log": "text/plain; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
EXPORT_TTL_S = 3600


def _iso(t: float | None) -> str:
    from firmware.api import iso
    return iso(t) or ""


async def _customers(crm: Crm, filters: dict[str, Any]) -> AsyncIterator[list[dict[str, Any]]]:
    from firmware.store.customers import CustomerFilter, load
    where, params = CustomerFilter(**filters).where()
    last = 0
    defs = await crm.customers.custom_fields()
    while True:
        async with crm.db.reading() as conn:
            async with conn.execute(f"SELECT c.id FROM customers c{where}"
                                    f"{' AND' if where else ' WHERE'} c.id > ? ORDER BY c.id"
                                    " LIMIT ?", [*params, last, CHUNK]) as cur:
                ids = [r[0] for r in await cur.fetchall()]
            items = await load(conn, ids)
        if not ids:
            return
        last = ids[-1]
        rows = []
        for c in items:
            d = c.to_dict()
            d["phones"] = [p["number"] for p in d["phones"]]
            d["created_at"], d["updated_at"] = _iso(c.created_at), _iso(c.updated_at)
            for fd in defs:
                d[f"custom.{fd.name}"] = c.custom.get(fd.name)
            rows.append(d)
        yield rows


async def _tickets(crm: Crm, filters: dict[str, Any]) -> AsyncIterator[list[dict[str, Any]]]:
    offset = 0
    while True:
        items, _ = await crm.tickets.page(**filters, sort="id", limit=500, offset=offset)
        if not items:
            return
        offset += len(items)
        for t in items:
            for k in ("created_at", "due_at", "resolved_at", "closed_at"):
                t[k] = _iso(t[k])
        yield items


async def _calls(crm: Crm, filters: dict[str, Any], raw_times: bool
                 ) -> AsyncIterator[list[dict[str, Any]]]:
    clauses, params = [], []
    for key, col in (("since", "c.started_at >= ?"), ("until", "c.started_at < ?"),
                     ("queue", "c.queue = ?"), ("agent", "c.agent = ?")):
        if filters.get(key) is not None:
            clauses.append(col)
            params.append(filters[key])
    cond = "".join(f" AND {c}" for c in clauses)
    last = (-1.0, "")
    while True:
        rows = await crm.db.fetchall(
            "SELECT c.*, k.cost_micro, k.currency FROM cdr c LEFT JOIN cdr_cost k"
            f" ON k.cdr_id = c.id WHERE (c.started_at, c.id) > (?, ?){cond}"
            " ORDER BY c.started_at, c.id LIMIT ?", [*last, *params, CHUNK])
        if not rows:
            return
        last = (rows[-1]["started_at"], rows[-1]["id"])
        out = []
        for r in rows:
            d = dict(r)
            from firmware.store.rating import money
            d["cost"] = money(d["cost_micro"]) if d["cost_micro"] is not None else ""
            if not raw_times:
                for k in ("started_at", "answered_at", "agent_answered_at", "ended_at"):
                    d[k] = _iso(d[k])
            out.append(d)
        yield out


async def _queue_events(crm: Crm, filters: dict[str, Any], raw_times: bool
                        ) -> AsyncIterator[list[dict[str, Any]]]:
    clauses, params = [], []
    for key, col in (("since", "q.ts >= ?"), ("until", "q.ts < ?"), ("queue", "q.queue = ?"),
                     ("agent", "q.agent = ?")):
        if filters.get(key) is not None:
            clauses.append(col)
            params.append(filters[key])
    cond = "".join(f" AND {c}" for c in clauses)
    last = 0
    while True:
        rows = await crm.db.fetchall(
            "SELECT q.*, coalesce(c.caller_number, '') AS caller_number FROM queue_log q"
            f" LEFT JOIN cdr c ON c.id = q.call_id WHERE q.id > ?{cond} ORDER BY q.id LIMIT ?",
            [last, *params, CHUNK])
        if not rows:
            return
        last = rows[-1]["id"]
        out = [dict(r) for r in rows]
        if not raw_times:
            for d in out:
                d["ts"] = _iso(d["ts"])
        yield out


async def export(crm: Crm, p: Principal, what: str, fmt: str, filters: dict[str, Any]
                 ) -> dict[str, Any]:
    if what not in FORMATS:
        raise ApiError("what: expected one of " + ", ".join(FORMATS), status=400, field="what")
    if fmt not in FORMATS[what]:
        raise ApiError(f"fmt: expected one of {', '.join(FORMATS[what])} for {what}",
                       status=400, field="fmt")
    out_dir = crm.var_dir / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean(out_dir, crm.wall())
    ext = {"csv": "csv", "xlsx": "xlsx", "master.csv": "csv", "queue_log": "log"}[fmt]
    base = "Master" if fmt == "master.csv" else "queue_log" if fmt == "queue_log" else what
    dest = out_dir / f"{base}-{secrets.token_hex(6)}.{ext}"
    t0 = time.monotonic()
    raw = fmt in ("master.csv", "queue_log")
    if what == "customers":
        defs = await crm.customers.custom_fields()
        columns = CUSTOMER_COLUMNS + [f"custom.{d.name}" for d in defs]
        source = _customers(crm, filters)
    elif what == "tickets":
        columns, source = TICKET_COLUMNS, _tickets(crm, filters)
    elif what == "calls":
        columns, source = CALL_COLUMNS, _calls(crm, filters, raw)
    else:
        columns, source = QUEUE_COLUMNS, _queue_events(crm, filters, raw)
    rows = 0
    if raw:
        line = exporter.master_csv_line if fmt == "master.csv" else exporter.queue_log_line
        fh = await asyncio.to_thread(open, dest, "w", encoding="utf-8", newline="")
        try:
            async for chunk in source:
                text = "".join(exporter.masked_lines(chunk, p, line))
                await asyncio.to_thread(fh.write, text)
                rows += len(chunk)
        finally:
            await asyncio.to_thread(fh.close)
    else:
        writer = await asyncio.to_thread(exporter.TableWriter, dest, fmt, columns, p, what)
        try:
            async for chunk in source:
                await asyncio.to_thread(writer.write, chunk)
        finally:
            await asyncio.to_thread(writer.close)
        rows = writer.rows
    await crm.audited(p, f"export.{what}", dest.name,
                      {"format": fmt, "rows": rows, "filters": json.loads(
                          json.dumps(filters, default=str)), "masked": not p.unmasked})
    return {"path": str(dest), "filename": dest.name, "content_type": CONTENT_TYPES[fmt],
            "rows": rows, "seconds": round(time.monotonic() - t0, 3)}


def _clean(out_dir: Path, now: float) -> None:
    """Exports are downloads, not archives: files older than an hour are removed."""
    for f in out_dir.iterdir():
        try:
            if f.is_file() and f.stat().st_mtime < now - EXPORT_TTL_S:
                f.unlink()
        except OSError:
            pass

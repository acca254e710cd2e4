"""Running an import against the database: one transaction, a history row, rejects file.

``run_import`` is what ``api.start_import`` schedules and ``callbox crm import``
calls. Reading and checking run in a worker thread (``importer.prepare``); the
write phase is a single ``BEGIN IMMEDIATE ... COMMIT`` of bulk statements, so
other work on the daemon's database waits for it (about a second per 100,000
rows, measured in ``tests/benchmarks/test_crm_import.py``) but never sees a
half-imported file.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

from firmware.crm import importer
from firmware.crm.importer import ImportFileError, Progress
from firmware.crm.permissions import Principal
from firmware.crm.service import Crm
from firmware.store.audit import append_in
from firmware.store.customers import Customer, grams, load
from firmware.store.db import only_row

log = logging.getLogger("callbox.crm.import")


def rejects_path(crm: Crm, import_id: int) -> Path:
    return crm.var_dir / "imports" / f"{import_id}-rejected.csv"


async def run_import(crm: Crm, path: Path, *, actor: Principal, filename: str | None = None,
                     on_duplicate: str = "skip", mapping: dict[str, str] | None = None,
                     encoding: str | None = None, progress: Progress | None = None,
                     max_bytes: int = importer.MAX_BYTES) -> dict[str, Any]:
    if on_duplicate not in importer.ON_DUPLICATE:
        raise ImportFileError("on_duplicate: expected skip, update or create", status=400,
                              field="on_duplicate")
    t0 = time.monotonic()
    report = progress or (lambda d: None)
    phone = await crm.phone_settings()
    defs = await crm.customers.custom_fields()
    users = {u.username for u in await crm.store.users.list()}
    name = filename or Path(path).name
    async with crm.db.transaction("imports.start") as conn:
        async with conn.execute("INSERT INTO imports (actor, filename, started_at, state)"
                                " VALUES (?, ?, ?, 'running') RETURNING id",
                                (actor.user, name[:200], crm.wall())) as cur:
            import_id = int((await only_row(cur, "imports.start"))[0])
    try:
        summary = await _run(crm, import_id, Path(path), actor, name, on_duplicate, mapping,
                             encoding, phone, defs, users, report, max_bytes)
    except BaseException as exc:
        message = str(exc) if isinstance(exc, ImportFileError) else \
            f"import failed: {type(exc).__name__}"
        async with crm.db.transaction("imports.failed") as conn:
            await conn.execute("UPDATE imports SET state = 'failed', finished_at = ?, summary = ?"
                               " WHERE id = ?", (crm.wall(), json.dumps({"error": message}),
                                                 import_id))
        log.warning("import %d failed: %s", import_id, message)
        raise
    summary["seconds"] = round(time.monotonic() - t0, 3)
    async with crm.db.transaction("imports.done") as conn:
        await conn.execute("UPDATE imports SET state = 'done', finished_at = ?, summary = ?"
                           " WHERE id = ?", (crm.wall(), json.dumps(summary), import_id))
    report({"stage": "done", **summary})
    log.info("import %d file=%r imported=%d updated=%d skipped=%d rejected=%d seconds=%.1f",
             import_id, name, summary["imported"], summary["updated"], summary["skipped"],
             summary["rejected"], summary["seconds"])
    return summary


async def _run(crm: Crm, import_id: int, path: Path, actor: Principal, name: str,
               on_duplicate: str, mapping: dict[str, str] | None, encoding: str | None,
               phone: Any, defs: Any, users: set[str], report: Progress, max_bytes: int
               ) -> dict[str, Any]:
    t_read = time.monotonic()
    table = await asyncio.to_thread(importer.open_table, path, encoding, max_bytes)
    try:
        used = mapping if mapping is not None else importer.auto_mapping(table.headers, defs)
        outcome = await asyncio.to_thread(importer.prepare, table, used, phone, defs, users,
                                          report)
    finally:
        table.close()
    rejected = list(outcome.rejected)
    t_write = time.monotonic()
    report({"stage": "writing", "rows": outcome.rows})
    imported = updated = skipped = 0
    now = crm.wall()
    async with crm.db.transaction("customers.import") as conn:
        numbers = sorted({n for p in outcome.prepared for n, _ in p.customer.phones})
        existing: dict[str, list[int]] = {}
        for i in range(0, len(numbers), 500):
            chunk = numbers[i:i + 500]
            async with conn.execute(
                    "SELECT e164, customer_id FROM customer_phones WHERE e164 IN"
                    f" ({','.join('?' * len(chunk))}) ORDER BY customer_id", chunk) as cur:
                for e164, cid in await cur.fetchall():
                    existing.setdefault(e164, []).append(cid)
        async with conn.execute("SELECT coalesce(MAX(id), 0) FROM customers") as cur:
            next_id = int((await only_row(cur, "customers.import"))[0]) + 1
        base: dict[int, Customer] = {}
        async with conn.execute("SELECT username, id FROM users") as cur:
            owners = {u: i for u, i in await cur.fetchall()}
        new: dict[int, Customer] = {}            # id -> customer to insert
        changed: dict[int, Customer] = {}        # id -> merged existing customer
        if on_duplicate == "update":             # load every customer the file touches at once
            touched = sorted({cid for p in outcome.prepared for n, _ in p.customer.phones
                              for cid in existing.get(n, [])})
            for i in range(0, len(touched), 500):
                for c in await load(conn, touched[i:i + 500]):
                    base[int(c.id or 0)] = c
        for p in outcome.prepared:
            c = p.customer
            hits = sorted({cid for n, _ in c.phones for cid in existing.get(n, [])})
            if hits and on_duplicate == "skip":
                skipped += 1
                continue
            if hits and on_duplicate == "update":
                if len(hits) > 1:
                    rejected.append((p.row, p.cells, f"row {p.row}: its numbers match "
                                     f"{len(hits)} customers ({', '.join(map(str, hits[:5]))});"
                                     " update needs exactly one"))
                    continue
                cid = hits[0]
                if cid in new:
                    new[cid] = importer.merge(new[cid], c)
                else:
                    changed[cid] = importer.merge(changed.get(cid, base[cid]), c)
                    updated += 1
                continue
            cid = next_id
            next_id += 1
            new[cid] = Customer(c.name, c.phones, c.company, c.email, c.address, c.tags,
                                c.owner, c.custom, cid)
            imported += 1
            for n, _ in c.phones:
                existing.setdefault(n, []).append(cid)
        await conn.executemany(
            "INSERT INTO customers (id, name, company, email, address, owner_id, custom,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(cid, c.name, c.company, c.email, c.address, owners.get(c.owner or ""),
              json.dumps(c.custom, ensure_ascii=False, sort_keys=True), now, now)
             for cid, c in new.items()])
        await conn.executemany(
            "UPDATE customers SET name = ?, company = ?, email = ?, address = ?,"
            " owner_id = ?, custom = ?, updated_at = ? WHERE id = ?",
            [(c.name, c.company, c.email, c.address, owners.get(c.owner or ""),
              json.dumps(c.custom, ensure_ascii=False, sort_keys=True), now, cid)
             for cid, c in changed.items()])
        if changed:
            ids = list(changed)
            for i in range(0, len(ids), 500):
                batch = ids[i:i + 500]
                marks = ",".join("?" * len(batch))
                await conn.execute(f"DELETE FROM customer_phones WHERE customer_id IN ({marks})",
                                   batch)
                await conn.execute(f"DELETE FROM customer_tags WHERE customer_id IN ({marks})",
                                   batch)
                await conn.execute(f"DELETE FROM customer_grams WHERE customer_id IN ({marks})",
                                   batch)
        both = {**new, **changed}
        await conn.executemany(
            "INSERT INTO customer_phones (customer_id, position, e164, label) VALUES (?, ?, ?, ?)",
            [(cid, i, n, lab) for cid, c in both.items() for i, (n, lab) in enumerate(c.phones)])
        await conn.executemany("INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)",
                               [(cid, t) for cid, c in both.items() for t in c.tags])
        await conn.executemany("INSERT INTO customer_grams (gram, customer_id) VALUES (?, ?)",
                               [(g, cid) for cid, c in both.items()
                                for g in grams(c.name)])
        summary = {"id": import_id, "file": name, "rows": outcome.rows, "imported": imported,
                   "updated": updated, "skipped": skipped, "rejected": len(rejected),
                   "on_duplicate": on_duplicate, "format": table.format,
                   "encoding": table.encoding, "mapping": used,
                   "read_s": round(t_write - t_read, 3)}
        await append_in(conn, now, actor.user, actor.role, "customer.import", name,
                        {k: summary[k] for k in ("rows", "imported", "updated", "skipped",
                                                 "rejected", "on_duplicate")})
        if rejected:
            dest = rejects_path(crm, import_id)
            dest.parent.mkdir(parents=True, exist_ok=True)
            rejected.sort(key=lambda r: r[0])
            await asyncio.to_thread(importer.write_rejects, dest, table.headers, rejected)
            summary["rejects_file"] = str(dest)
    summary["write_s"] = round(time.monotonic() - t_write, 3)
    return summary

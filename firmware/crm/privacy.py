"""Privacy requests for one phone number: export everything about it, or erase it.

"Everything" is: customers having the number (with notes, tags, custom
fields, tickets and their events, survey answers), calls from or to it (CDRs
under any spelling the number may have there, their queue events, costs and
recording files), and survey answers given from it.

Export writes one ZIP (JSON for structured records, the CDRs also as CSV,
the WAV files as they are). Erase deletes the customers (their notes, phones,
tags, tickets and ticket events go with them), deletes the recordings (files
first), and anonymises the calls: the CDR rows stay for statistics with the
number, name and recording pointer cleared. Both are audited with the number
masked and its SHA-256, never in full.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import zipfile
from pathlib import Path
from typing import Any

from firmware.crm.exporter import to_bytes_csv
from firmware.crm.permissions import Principal
from firmware.crm.service import Crm


async def _gather(crm: Crm, number: str) -> dict[str, Any]:
    e164, keys = await crm.number_spellings(number)
    cids = await crm.customers.by_phone(e164, 1000)
    customers = [c.to_dict() for c in await crm.customers.many(cids)]
    notes, tickets, answers = [], [], []
    for cid in cids:
        notes += [dict(r) for r in await crm.db.fetchall(
            "SELECT * FROM customer_notes WHERE customer_id = ? ORDER BY id", (cid,))]
        items, _ = await crm.tickets.page(customer=cid, limit=500)
        for t in items:
            full = await crm.tickets.get(t["id"], with_events=True)
            tickets.append(full)
    calls = await crm.records.calls_of_numbers(keys)
    call_ids = [c["id"] for c in calls]
    marks = ",".join("?" * len(keys))
    answers = [dict(r) for r in await crm.db.fetchall(
        f"SELECT * FROM survey_answers WHERE caller_number IN ({marks})"
        f" OR customer_id IN ({','.join('?' * len(cids)) or 'NULL'}) ORDER BY id",
        [*keys, *cids])]
    queue_events: list[dict[str, Any]] = []
    for cid_ in call_ids:
        queue_events += [e.to_dict() for e in await crm.store.queue_log.for_call(cid_)]
    recordings = await crm.records.recordings_of_calls(call_ids)
    costs = [c for c in [await crm.rating.cost(i) for i in call_ids] if c is not None]
    return {"e164": e164, "spellings": keys, "customer_ids": cids, "customers": customers,
            "notes": notes, "tickets": tickets, "calls": calls, "queue_events": queue_events,
            "survey_answers": answers, "recordings": recordings, "costs": costs}


async def export_number(crm: Crm, p: Principal, number: str) -> dict[str, Any]:
    data = await _gather(crm, number)
    out_dir = crm.var_dir / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / f"privacy-{secrets.token_hex(6)}.zip"
    root = crm.records.root

    def write() -> None:
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
            for key in ("customers", "notes", "tickets", "calls", "queue_events",
                        "survey_answers", "recordings", "costs"):
                z.writestr(f"{key}.json", json.dumps(data[key], ensure_ascii=False, indent=1))
            cols = list(data["calls"][0]) if data["calls"] else ["id"]
            z.writestr("calls.csv", to_bytes_csv(cols, ([c.get(k) for k in cols]
                                                        for c in data["calls"])))
            for r in data["recordings"]:
                f = root / r["path"]
                if f.is_file():
                    z.write(f, f"recordings/{r['path']}")
            z.writestr("README.txt", f"Everything this box holds about {data['e164']}.\n")
    await asyncio.to_thread(write)
    counts = {k: len(data[k]) for k in ("customers", "calls", "tickets", "recordings",
                                        "survey_answers")}
    await crm.audited(p, "privacy.export", "number", {**crm.number_ref(data["e164"]), **counts})
    return {"path": str(dest), "filename": dest.name, "content_type": "application/zip",
            **counts}


async def erase_number(crm: Crm, p: Principal, number: str) -> dict[str, Any]:
    data = await _gather(crm, number)
    paths = [r["path"] for r in data["recordings"]]
    freed = await crm.records.delete_recordings(paths) if paths else 0
    call_ids = [c["id"] for c in data["calls"]]
    await crm.records.anonymise_calls(call_ids)
    keys = data["spellings"]
    async with crm.db.transaction("privacy.erase") as conn:
        marks = ",".join("?" * len(keys))
        await conn.execute(f"UPDATE survey_answers SET caller_number = '', customer_id = NULL"
                           f" WHERE caller_number IN ({marks})", keys)
        for cid in data["customer_ids"]:
            await conn.execute("DELETE FROM tickets WHERE customer_id = ?", (cid,))
            await conn.execute("UPDATE survey_answers SET customer_id = NULL"
                               " WHERE customer_id = ?", (cid,))
            await conn.execute("DELETE FROM customers WHERE id = ?", (cid,))
    counts = {"customers": len(data["customer_ids"]), "calls_anonymised": len(call_ids),
              "recordings": len(paths), "bytes": freed, "tickets": len(data["tickets"]),
              "survey_answers": len(data["survey_answers"])}
    await crm.audited(p, "privacy.erase", "number", {**crm.number_ref(data["e164"]), **counts})
    return counts

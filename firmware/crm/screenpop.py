"""Screen pop: who is calling, delivered with the offer; and the customer's timeline.

``ScreenPop.lookup(caller, entered)`` runs on the daemon loop when a call is
queued. Every step is an index probe, so its cost does not grow with the
number of customers or calls (benchmark ``tests/benchmarks/test_crm_screenpop.py``):

1. digits the caller keyed in the IVR first (``{"customer": "123"}`` or
   ``{"ticket": "55"}``: primary keys);
2. else the caller's number, normalised to E.164, in ``customer_phones_e164``;
3. the customer's open tickets (``tickets_customer``) and last interactions:
   calls from the ``cdr_caller`` / ``cdr_dialed`` indexes under each spelling
   the number may have in a CDR (``phone.spellings``), and notes.

All reads of one lookup run inside one ``Database.reading()`` block, so they
see one state and take the database lock once. The payload is unmasked;
the caller masks it per agent (``masking.mask_tree``).
"""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

import aiosqlite

from firmware.crm.phone import PhoneSettings, spellings, try_normalise
from firmware.store.customers import load
from firmware.store.db import Database

LIMIT = 5


async def _rows(conn: aiosqlite.Connection, sql: str, params: Any) -> list[Any]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def customer_interactions(conn: aiosqlite.Connection, cid: int, numbers: list[str],
                                phone: PhoneSettings, limit: int,
                                before: float | None = None) -> list[dict[str, Any]]:
    """Calls, notes, ticket events and survey answers of one customer, newest first."""
    t = 1e12 if before is None else before
    keys = [s for n in numbers for s in spellings(n, phone)]
    items: list[dict[str, Any]] = []
    if keys:
        marks = ",".join("?" * len(keys))
        for r in await _rows(
                conn, f"SELECT id, started_at, disposition, direction, agent, queue, talk_s,"
                f" caller_number, dialed_number, recording FROM cdr WHERE caller_number IN"
                f" ({marks}) AND started_at < ? UNION SELECT id, started_at, disposition,"
                f" direction, agent, queue, talk_s, caller_number, dialed_number, recording"
                f" FROM cdr WHERE dialed_number IN ({marks}) AND started_at < ?"
                f" ORDER BY started_at DESC LIMIT ?", [*keys, t, *keys, t, limit]):
            items.append({"kind": "call", "ts": r["started_at"], "id": r["id"],
                          "direction": r["direction"], "disposition": r["disposition"],
                          "agent": r["agent"], "queue": r["queue"], "talk_s": r["talk_s"],
                          "caller_number": r["caller_number"],
                          "dialed_number": r["dialed_number"],
                          "has_recording": bool(r["recording"])})
    for r in await _rows(conn, "SELECT * FROM customer_notes WHERE customer_id = ? AND"
                         " created_at < ? ORDER BY created_at DESC LIMIT ?", (cid, t, limit)):
        items.append({"kind": "note", "ts": r["created_at"], "id": r["id"], "author": r["author"],
                      "body": r["body"], "call_id": r["call_id"]})
    for r in await _rows(conn, "SELECT e.*, t.subject FROM ticket_events e JOIN tickets t"
                         " ON t.id = e.ticket_id WHERE t.customer_id = ? AND e.ts < ?"
                         " ORDER BY e.ts DESC, e.id DESC LIMIT ?", (cid, t, limit)):
        items.append({"kind": "ticket", "ts": r["ts"], "id": r["ticket_id"],
                      "subject": r["subject"], "event": r["kind"], "actor": r["actor"],
                      "from_state": r["from_state"], "to_state": r["to_state"],
                      "detail": json.loads(r["detail"])})
    for r in await _rows(conn, "SELECT a.*, s.name FROM survey_answers a JOIN surveys s"
                         " ON s.id = a.survey_id WHERE a.customer_id = ? AND a.ts < ?"
                         " ORDER BY a.ts DESC LIMIT ?", (cid, t, limit)):
        items.append({"kind": "survey", "ts": r["ts"], "survey": r["name"],
                      "question": r["position"], "answer": r["answer"], "digit": r["digit"],
                      "call_id": r["call_id"]})
    items.sort(key=lambda x: x["ts"], reverse=True)
    return items[:limit]


class ScreenPop:
    def __init__(self, db: Database, settings: Callable[[], Awaitable[PhoneSettings]]) -> None:
        self._db = db
        self._settings = settings

    async def lookup(self, caller: str, entered: dict[str, str] | None = None) -> dict[str, Any]:
        phone = await self._settings()
        e164 = try_normalise(caller, phone) if caller else None
        out: dict[str, Any] = {"caller": caller, "normalised": e164, "matched_by": None,
                               "entered": dict(entered or {}), "customer": None, "others": [],
                               "open_tickets": [], "last_interactions": []}
        async with self._db.reading() as conn:
            ids: list[int] = []
            for key, kind in (("ticket", "ticket_number"), ("customer", "customer_number")):
                digits = (entered or {}).get(key)
                if ids or not digits or not digits.isdigit() or len(digits) > 15:
                    continue
                sql = ("SELECT customer_id FROM tickets WHERE id = ?" if key == "ticket"
                       else "SELECT id FROM customers WHERE id = ?")
                row = await _rows(conn, sql, (int(digits),))
                if row and row[0][0] is not None:
                    ids, out["matched_by"] = [int(row[0][0])], kind
            if not ids and e164:
                ids = [r[0] for r in await _rows(
                    conn, "SELECT customer_id FROM customer_phones WHERE e164 = ?"
                    " ORDER BY customer_id LIMIT ?", (e164, LIMIT + 1))]
                if ids:
                    out["matched_by"] = "phone"
            if not ids:
                return out
            customers = await load(conn, ids)
            if not customers:
                return out
            main = customers[0]
            out["customer"] = main.to_dict()
            out["others"] = [{"id": c.id, "name": c.name, "company": c.company}
                             for c in customers[1:]]
            for r in await _rows(conn, "SELECT id, subject, state, priority, type, due_at,"
                                 " escalation_level FROM tickets WHERE customer_id = ? AND state"
                                 " NOT IN ('resolved', 'closed') ORDER BY due_at LIMIT ?",
                                 (main.id, LIMIT)):
                out["open_tickets"].append(dict(r))
            numbers = [n for n, _ in main.phones]
            out["last_interactions"] = await customer_interactions(
                conn, int(main.id or 0), numbers, phone, LIMIT)
        return out

"""Screen pop: who is calling, delivered with the offer; and the customer's timeline.

``ScreenPop.lookup(caller, entered)`` runs on the daemon loop when a call is
queued. Every step is an index probe, so its cost does not grow with the
number of customers or calls (benchmark ``tests/benchmarks/test_crm_screenpop.py``):

1. digits the caller keyed in the IVR first (``{"customer": "123"}`` or
   ``{"ticket": "55"}``: primary keys);
2. else the caller's number, normalised to E.164, in ``customer_phones_e164``;
3. the customer's open tickets (``tickets_customer``) and last interactions:
   calls from the ``cdr_caller`` / ``cdr_dialed`` indexes under each spelling
   the number may have in a CDR (``phone.spellings``), notes, ticket events
   and survey answers.

The whole lookup is one block of synchronous queries run in the database
connection's thread (``store.sync.in_thread``): one trip from the loop, one
consistent state. The payload is unmasked; the caller masks it per agent
(``masking.mask_tree``).
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Awaitable, Callable

from firmware.crm.phone import PhoneSettings, spellings, try_normalise
from firmware.store.customers import load_sync
from firmware.store.db import Database
from firmware.store.sync import in_thread

LIMIT = 5


def interactions_sync(conn: sqlite3.Connection, cid: int, numbers: list[str],
                      phone: PhoneSettings, limit: int, before: float | None = None
                      ) -> list[dict[str, Any]]:
    """Calls, notes, ticket events and survey answers of one customer, newest first."""
    t = 1e12 if before is None else before
    keys = [s for n in numbers for s in spellings(n, phone)]
    items: list[dict[str, Any]] = []
    conn_rows = conn.execute
    if keys:
        marks = ",".join("?" * len(keys))
        cols = ("id, started_at, disposition, direction, agent, queue, talk_s, caller_number,"
                " dialed_number, recording")
        for r in conn_rows(
                f"SELECT {cols} FROM cdr WHERE caller_number IN ({marks}) AND started_at < ?"
                f" UNION ALL SELECT {cols} FROM cdr WHERE dialed_number IN ({marks}) AND"
                f" dialed_number <> '' AND started_at < ? ORDER BY started_at DESC LIMIT ?",
                [*keys, t, *keys, t, limit]):
            items.append({"kind": "call", "ts": r[1], "id": r[0], "direction": r[3],
                          "disposition": r[2], "agent": r[4], "queue": r[5], "talk_s": r[6],
                          "caller_number": r[7], "dialed_number": r[8],
                          "has_recording": bool(r[9])})
    for r in conn_rows("SELECT id, created_at, author, body, call_id FROM customer_notes"
                       " WHERE customer_id = ? AND created_at < ? ORDER BY created_at DESC"
                       " LIMIT ?", (cid, t, limit)):
        items.append({"kind": "note", "ts": r[1], "id": r[0], "author": r[2], "body": r[3],
                      "call_id": r[4]})
    for r in conn_rows("SELECT e.ticket_id, e.ts, t.subject, e.kind, e.actor, e.from_state,"
                       " e.to_state, e.detail FROM ticket_events e JOIN tickets t"
                       " ON t.id = e.ticket_id WHERE t.customer_id = ? AND e.ts < ?"
                       " ORDER BY e.ts DESC, e.id DESC LIMIT ?", (cid, t, limit)):
        items.append({"kind": "ticket", "ts": r[1], "id": r[0], "subject": r[2],
                      "event": r[3], "actor": r[4], "from_state": r[5], "to_state": r[6],
                      "detail": json.loads(r[7])})
    for r in conn_rows("SELECT a.ts, s.name, a.position, a.answer, a.digit, a.call_id"
                       " FROM survey_answers a JOIN surveys s ON s.id = a.survey_id"
                       " WHERE a.customer_id = ? AND a.ts < ? ORDER BY a.ts DESC LIMIT ?",
                       (cid, t, limit)):
        items.append({"kind": "survey", "ts": r[0], "survey": r[1], "question": r[2],
                      "answer": r[3], "digit": r[4], "call_id": r[5]})
    items.sort(key=lambda x: x["ts"], reverse=True)
    return items[:limit]


def lookup_sync(conn: sqlite3.Connection, caller: str, entered: dict[str, str],
                phone: PhoneSettings) -> dict[str, Any]:
    e164 = try_normalise(caller, phone) if caller else None
    out: dict[str, Any] = {"caller": caller, "normalised": e164, "matched_by": None,
                           "entered": dict(entered), "customer": None, "others": [],
                           "open_tickets": [], "last_interactions": []}
    ids: list[int] = []
    for key, kind, sql in (("ticket", "ticket_number", "SELECT customer_id FROM tickets"
                            " WHERE id = ?"),
                           ("customer", "customer_number", "SELECT id FROM customers"
                            " WHERE id = ?")):
        digits = entered.get(key)
        if ids or not digits or not digits.isdigit() or len(digits) > 15:
            continue
        row = conn.execute(sql, (int(digits),)).fetchone()
        if row and row[0] is not None:
            ids, out["matched_by"] = [int(row[0])], kind
    if not ids and e164:
        ids = [r[0] for r in conn.execute(
            "SELECT customer_id FROM customer_phones WHERE e164 = ? ORDER BY customer_id"
            " LIMIT ?", (e164, LIMIT + 1))]
        if ids:
            out["matched_by"] = "phone"
    customers = load_sync(conn, ids) if ids else []
    if not customers:
        return out
    main = customers[0]
    out["customer"] = main.to_dict()
    out["others"] = [{"id": c.id, "name": c.name, "company": c.company} for c in customers[1:]]
    out["open_tickets"] = [
        {"id": r[0], "subject": r[1], "state": r[2], "priority": r[3], "type": r[4],
         "due_at": r[5], "escalation_level": r[6]}
        for r in conn.execute("SELECT id, subject, state, priority, type, due_at,"
                              " escalation_level FROM tickets WHERE customer_id = ? AND state"
                              " NOT IN ('resolved', 'closed') ORDER BY due_at LIMIT ?",
                              (main.id, LIMIT))]
    out["last_interactions"] = interactions_sync(conn, int(main.id or 0),
                                                 [n for n, _ in main.phones], phone, LIMIT)
    return out


class ScreenPop:
    def __init__(self, db: Database, settings: Callable[[], Awaitable[PhoneSettings]]) -> None:
        self._db = db
        self._settings = settings

    async def lookup(self, caller: str, entered: dict[str, str] | None = None) -> dict[str, Any]:
        phone = await self._settings()
        async with self._db.reading() as conn:
            return await in_thread(conn, lookup_sync, caller, dict(entered or {}), phone)

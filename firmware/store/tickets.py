"""Tickets, their event history, types and the SLA table.

Every change to a ticket writes a ``ticket_events`` row in the same
transaction (created, each state event, escalations, comments), so the
history shown on the ticket and on the customer's timeline is complete by
construction. State changes go through ``firmware.crm.tickets.transition``.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from firmware.crm import tickets as rules
from firmware.store import fields as f
from firmware.store.customers import multiline
from firmware.store.db import Database, NotFound, ValidationError, only_row

MAX_PAGE = 500
SORTS = {"-updated_at": "t.updated_at DESC, t.id DESC", "updated_at": "t.updated_at, t.id",
         "due_at": "t.due_at, t.id", "-due_at": "t.due_at DESC, t.id DESC",
         "id": "t.id", "-id": "t.id DESC", "priority": "t.priority, t.id"}
_SELECT = ("SELECT t.*, u.username AS assignee, tm.name AS team, c.name AS customer_name"
           " FROM tickets t LEFT JOIN users u ON u.id = t.assignee_id"
           " LEFT JOIN teams tm ON tm.id = t.team_id"
           " LEFT JOIN customers c ON c.id = t.customer_id")


def _dump(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _ticket(r: sqlite3.Row) -> dict[str, Any]:
    return {"id": r["id"], "customer_id": r["customer_id"], "customer_name": r["customer_name"],
            "type": r["type"], "state": r["state"], "priority": r["priority"],
            "subject": r["subject"], "description": r["description"], "assignee": r["assignee"],
            "team": r["team"], "call_id": r["call_id"], "created_by": r["created_by"],
            "created_at": r["created_at"], "updated_at": r["updated_at"], "due_at": r["due_at"],
            "escalation_level": r["escalation_level"],
            "escalated_to": rules.ESCALATION_LEVELS[r["escalation_level"]],
            "next_escalation_at": r["next_escalation_at"], "paused_at": r["paused_at"],
            "resolved_at": r["resolved_at"], "closed_at": r["closed_at"]}


def _event(r: sqlite3.Row) -> dict[str, Any]:
    return {"id": r["id"], "ticket_id": r["ticket_id"], "ts": r["ts"], "actor": r["actor"],
            "kind": r["kind"], "from_state": r["from_state"], "to_state": r["to_state"],
            "detail": json.loads(r["detail"])}


async def _one(conn: aiosqlite.Connection, sql: str, params: Any) -> sqlite3.Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


class Tickets:
    def __init__(self, db: Database) -> None:
        self._db = db

    # types and SLA ------------------------------------------------------------
    async def types(self) -> list[dict[str, Any]]:
        return [{"name": r["name"], "label": r["label"], "builtin": bool(r["builtin"])}
                for r in await self._db.fetchall("SELECT * FROM ticket_types ORDER BY name")]

    async def put_type(self, name: str, label: str) -> None:
        name = f.name("ticket_type.name", name)
        label = f.text("ticket_type.label", label, 64, required=True)
        async with self._db.transaction("ticket_types.put") as conn:
            await conn.execute("INSERT INTO ticket_types (name, label) VALUES (?, ?) ON CONFLICT"
                               "(name) DO UPDATE SET label = excluded.label", (name, label))
            # a new type gets the SLA of 'inquiry' until the admin sets its own
            await conn.execute("INSERT OR IGNORE INTO sla (type, priority, due_s, escalate_s)"
                               " SELECT ?, priority, due_s, escalate_s FROM sla"
                               " WHERE type = 'inquiry'", (name,))

    async def sla(self) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._db.fetchall(
            "SELECT type, priority, due_s, escalate_s FROM sla ORDER BY type, priority")]

    async def put_sla(self, type_: str, priority: str, due_s: int, escalate_s: int) -> None:
        priority = f.choice("sla.priority", priority, rules.PRIORITIES)
        due_s = f.integer("sla.due_s", due_s, 60, 90 * 86400)
        escalate_s = f.integer("sla.escalate_s", escalate_s, 60, 90 * 86400)
        try:
            async with self._db.transaction("sla.put") as conn:
                await conn.execute(
                    "INSERT INTO sla (type, priority, due_s, escalate_s) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(type, priority) DO UPDATE SET due_s = excluded.due_s,"
                    " escalate_s = excluded.escalate_s", (type_, priority, due_s, escalate_s))
        except sqlite3.IntegrityError:
            raise ValidationError("sla.type", "an existing ticket type", type_) from None

    # tickets -------------------------------------------------------------------
    async def _user_id(self, conn: aiosqlite.Connection, name: str | None, field: str) -> int | None:
        if name is None:
            return None
        row = await _one(conn, "SELECT id FROM users WHERE username = ?", (name,))
        if row is None:
            raise ValidationError(field, "the name of an existing user", name)
        return int(row[0])

    async def _team_id(self, conn: aiosqlite.Connection, name: str | None, field: str) -> int | None:
        if name is None:
            return None
        row = await _one(conn, "SELECT id FROM teams WHERE name = ?", (name,))
        if row is None:
            raise ValidationError(field, "the name of an existing team", name)
        return int(row[0])

    async def create(self, *, type_: str, subject: str, actor: str, customer_id: int | None = None,
                     priority: str = "normal", description: str = "", call_id: str | None = None,
                     assignee: str | None = None, team: str | None = None) -> dict[str, Any]:
        subject = f.text("ticket.subject", subject.strip(), 200, required=True)
        description = multiline("ticket.description", description, 10000) \
            if description.strip() else ""
        priority = f.choice("ticket.priority", priority, rules.PRIORITIES)
        now = self._db.wall()
        async with self._db.transaction("tickets.create") as conn:
            sla = await _one(conn, "SELECT due_s FROM sla WHERE type = ? AND priority = ?",
                             (type_, priority))
            if sla is None:
                names = [r[0] for r in await conn.execute_fetchall(
                    "SELECT name FROM ticket_types ORDER BY name")]
                raise ValidationError("ticket.type", "one of " + ", ".join(names), type_)
            if customer_id is not None and await _one(
                    conn, "SELECT 1 FROM customers WHERE id = ?", (customer_id,)) is None:
                raise ValidationError("ticket.customer", "the id of an existing customer",
                                      customer_id)
            assignee_id = await self._user_id(conn, assignee, "ticket.assignee")
            team_id = await self._team_id(conn, team, "ticket.team")
            if team_id is None and assignee_id is not None:
                row = await _one(conn, "SELECT team_id FROM users WHERE id = ?", (assignee_id,))
                team_id = row[0] if row else None
            state = "assigned" if assignee_id is not None or team_id is not None else "new"
            due = now + sla[0]
            async with conn.execute(
                    "INSERT INTO tickets (customer_id, type, state, priority, subject, description,"
                    " assignee_id, team_id, call_id, created_by, created_at, updated_at, due_at,"
                    " next_escalation_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " RETURNING id", (customer_id, type_, state, priority, subject, description,
                                      assignee_id, team_id, call_id, actor, now, now, due,
                                      due)) as cur:
                tid = int((await only_row(cur, "tickets.create"))[0])
            await self._log(conn, tid, now, actor, "created", None, state,
                            {"type": type_, "priority": priority, "assignee": assignee,
                             "team": team})
        got = await self.get(tid)
        assert got is not None
        return got

    async def _log(self, conn: aiosqlite.Connection, tid: int, ts: float, actor: str, kind: str,
                   from_state: str | None, to_state: str | None, detail: dict[str, Any]) -> None:
        await conn.execute("INSERT INTO ticket_events (ticket_id, ts, actor, kind, from_state,"
                           " to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (tid, ts, actor, kind, from_state, to_state, _dump(detail)))

    async def get(self, tid: int, *, with_events: bool = False) -> dict[str, Any] | None:
        async with self._db.reading() as conn:
            row = await _one(conn, f"{_SELECT} WHERE t.id = ?", (tid,))
            if row is None:
                return None
            t = _ticket(row)
            if with_events:
                async with conn.execute("SELECT * FROM ticket_events WHERE ticket_id = ?"
                                        " ORDER BY id", (tid,)) as cur:
                    t["events"] = [_event(r) for r in await cur.fetchall()]
        return t

    async def page(self, *, state: str | None = None, type_: str | None = None,
                   priority: str | None = None, assignee: str | None = None,
                   team: str | None = None, customer: int | None = None,
                   escalated: bool | None = None, overdue_at: float | None = None,
                   open_only: bool = False, sort: str = "-updated_at", limit: int = 50,
                   offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        order = SORTS.get(sort)
        if order is None:
            raise ValidationError("sort", "one of " + ", ".join(SORTS), sort)
        f.integer("limit", limit, 1, MAX_PAGE)
        f.integer("offset", offset, 0, 2**62)
        clauses: list[str] = []
        params: list[Any] = []
        if state is not None:
            clauses.append("t.state = ?")
            params.append(f.choice("state", state, rules.STATES))
        if open_only:
            clauses.append("t.state NOT IN ('resolved', 'closed')")
        for col, val in (("t.type", type_), ("t.priority", priority)):
            if val is not None:
                clauses.append(f"{col} = ?")
                params.append(val)
        if assignee is not None:
            clauses.append("t.assignee_id = (SELECT id FROM users WHERE username = ?)")
            params.append(assignee)
        if team is not None:
            clauses.append("t.team_id = (SELECT id FROM teams WHERE name = ?)")
            params.append(team)
        if customer is not None:
            clauses.append("t.customer_id = ?")
            params.append(f.integer("customer", customer, 1, 2**62))
        if escalated is not None:
            clauses.append("t.escalation_level > 0" if escalated else "t.escalation_level = 0")
        if overdue_at is not None:
            clauses.append("t.due_at < ? AND t.state NOT IN ('resolved', 'closed')")
            params.append(overdue_at)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        async with self._db.reading() as conn:
            async with conn.execute(f"{_SELECT}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                                    [*params, limit, offset]) as cur:
                items = [_ticket(r) for r in await cur.fetchall()]
            async with conn.execute(f"SELECT COUNT(*) FROM tickets t{where}", params) as cur:
                total = int((await only_row(cur, "tickets.count"))[0])
        return items, total

    async def apply(self, tid: int, event: str, actor: str, *, assignee: str | None = None,
                    team: str | None = None, note: str = "") -> dict[str, Any]:
        """Run one life-cycle event (``rules.TRANSITIONS``) on ticket ``tid``."""
        f.choice("event", event, rules.EVENTS)
        now = self._db.wall()
        async with self._db.transaction("tickets.apply") as conn:
            row = await _one(conn, "SELECT * FROM tickets WHERE id = ?", (tid,))
            if row is None:
                raise NotFound("no such ticket", table="tickets", key=tid)
            new = rules.transition(tid, row["state"], event)
            sets: dict[str, Any] = {"state": new, "updated_at": now}
            detail: dict[str, Any] = {}
            if note:
                detail["note"] = multiline("note", note, 5000)
            if event == "assign":
                if assignee is None and team is None:
                    raise ValidationError("assignee", "an agent or a team to assign to")
                sets["assignee_id"] = await self._user_id(conn, assignee, "assignee")
                sets["team_id"] = await self._team_id(conn, team, "team")
                if sets["team_id"] is None and sets["assignee_id"] is not None:
                    urow = await _one(conn, "SELECT team_id FROM users WHERE id = ?",
                                      (sets["assignee_id"],))
                    sets["team_id"] = urow[0] if urow else None
                detail.update(assignee=assignee, team=team)
            if row["paused_at"] is not None and new != "waiting_customer":
                waited = now - row["paused_at"]      # the SLA clock stood still meanwhile
                sets.update(paused_at=None, due_at=row["due_at"] + waited)
                if row["next_escalation_at"] is not None:
                    sets["next_escalation_at"] = row["next_escalation_at"] + waited
                detail["waited_s"] = round(waited, 3)
            if new == "waiting_customer":
                sets["paused_at"] = now
            if new in ("resolved", "closed"):
                sets["next_escalation_at"] = None
                sets["resolved_at" if new == "resolved" else "closed_at"] = now
            if event == "reopen":
                sla = await _one(conn, "SELECT due_s FROM sla WHERE type = ? AND priority = ?",
                                 (row["type"], row["priority"]))
                due = now + (sla[0] if sla else 86400)
                sets.update(due_at=due, next_escalation_at=due, escalation_level=0,
                            resolved_at=None, closed_at=None)
            cols = ", ".join(f"{k} = ?" for k in sets)
            await conn.execute(f"UPDATE tickets SET {cols} WHERE id = ?", [*sets.values(), tid])
            await self._log(conn, tid, now, actor, event, row["state"], new, detail)
        got = await self.get(tid)
        assert got is not None
        return got

    async def comment(self, tid: int, actor: str, body: str) -> None:
        body = multiline("comment", body, 5000)
        now = self._db.wall()
        async with self._db.transaction("tickets.comment") as conn:
            cur = await conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (now, tid))
            if cur.rowcount == 0:
                raise NotFound("no such ticket", table="tickets", key=tid)
            await self._log(conn, tid, now, actor, "comment", None, None, {"body": body})

    # escalation ----------------------------------------------------------------
    async def next_escalation_at(self) -> float | None:
        return await self._db.fetchval(
            "SELECT MIN(next_escalation_at) FROM tickets WHERE next_escalation_at IS NOT NULL"
            " AND paused_at IS NULL")

    async def escalate_due(self, now: float) -> list[dict[str, Any]]:
        """Move every ticket whose escalation time has come up one level; log each."""
        out: list[dict[str, Any]] = []
        async with self._db.transaction("tickets.escalate") as conn:
            async with conn.execute(
                    "SELECT t.id, t.type, t.priority, t.escalation_level, t.team_id,"
                    " t.next_escalation_at, t.state FROM tickets t WHERE t.next_escalation_at"
                    " IS NOT NULL AND t.next_escalation_at <= ? AND t.paused_at IS NULL"
                    " ORDER BY t.next_escalation_at, t.id", (now,)) as cur:
                due = await cur.fetchall()
            for r in due:
                level = r["escalation_level"] + 1
                if level > rules.MAX_LEVEL or r["state"] not in rules.ESCALATING_STATES:
                    await conn.execute("UPDATE tickets SET next_escalation_at = NULL"
                                       " WHERE id = ?", (r["id"],))
                    continue
                sla = await _one(conn, "SELECT escalate_s FROM sla WHERE type = ? AND"
                                 " priority = ?", (r["type"], r["priority"]))
                nxt = r["next_escalation_at"] + (sla[0] if sla else 3600) \
                    if level < rules.MAX_LEVEL else None
                notify = await self._escalation_target(conn, r["team_id"], level)
                detail = {"from_level": level - 1, "to_level": level,
                          "to_role": rules.ESCALATION_LEVELS[level], "notify": notify}
                await conn.execute("UPDATE tickets SET escalation_level = ?,"
                                   " next_escalation_at = ?, updated_at = ? WHERE id = ?",
                                   (level, nxt, now, r["id"]))
                await self._log(conn, r["id"], now, "system:escalation", "escalated", r["state"],
                                r["state"], detail)
                out.append({"ticket": r["id"], **detail})
        return out

    async def _escalation_target(self, conn: aiosqlite.Connection, team_id: int | None,
                                 level: int) -> str | None:
        """Level 1: the team's leader; level 2: the leader of the team above (or a supervisor)."""
        node, depth = team_id, 1
        while node is not None:
            row = await _one(conn, "SELECT t.parent_id, u.username FROM teams t LEFT JOIN users u"
                             " ON u.id = t.leader_id WHERE t.id = ?", (node,))
            if row is None:
                break
            if depth == level and row[1] is not None:
                return str(row[1])
            node, depth = row[0], depth + 1
        role = "team_leader" if level == 1 else "supervisor"
        row = await _one(conn, "SELECT username FROM users WHERE role = ? AND disabled = 0"
                         " ORDER BY id LIMIT 1", (role,))
        return None if row is None else str(row[0])

    # customer views --------------------------------------------------------------
    async def open_for_customer(self, cid: int, limit: int = 5) -> list[dict[str, Any]]:
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE t.customer_id = ? AND t.state NOT IN ('resolved', 'closed')"
            " ORDER BY t.due_at LIMIT ?", (cid, limit))
        return [_ticket(r) for r in rows]

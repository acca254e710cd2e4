"""Queue events in Asterisk's ``queue_log`` vocabulary, the source of queue KPIs.

The names and the meaning of the data fields follow Asterisk app_queue so that
people who know its reports read ours without a glossary
(docs/reference/acd-kpi.md#queue-log-vocabulary):

- ENTERQUEUE: caller joined (``position``)
- RINGNOANSWER: an offer rang the agent for ``ring_s`` without an answer
- CONNECT: agent answered after the caller waited ``wait_s`` (``ring_s`` of ringing)
- COMPLETECALLER / COMPLETEAGENT: the caller / agent hung up after ``wait_s``, ``talk_s``
- ABANDON: the caller hung up while waiting (``position``, ``orig_position``, ``wait_s``)
- EXITWITHTIMEOUT: max wait reached (``position``, ``orig_position``, ``wait_s``)
- EXITEMPTY: left because no agent could ever answer; EXITWITHKEY: caller pressed a key
- FULL / JOINEMPTY: the caller could not join (``max_len`` reached; nobody to answer)
- CALLBACK (ours): the caller left the line asking to be called back; the place is kept
  and the callback's own attempt logs CONNECT / COMPLETE* under its new call id
- TRANSFER, AGENTLOGIN, AGENTLOGOFF, PAUSE, UNPAUSE, AGENTDUMP, SYSCOMPAT
- INTERRUPTED (ours, not Asterisk's): the call did not end on its own — its media
  node failed, or the box restarted while it was queued or connected (``info``
  says which); it closes the call's queue events like COMPLETE*/ABANDON do
"""
from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, fields
from typing import Any

from firmware.store import fields as f
from firmware.store.db import Database
from firmware.store.where import Where, text_of

EVENTS = ("ENTERQUEUE", "RINGNOANSWER", "RINGCANCELED", "CONNECT", "COMPLETECALLER",
          "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY",
          "TRANSFER", "AGENTLOGIN", "AGENTLOGOFF", "PAUSE", "UNPAUSE", "AGENTDUMP",
          "SYSCOMPAT", "INTERRUPTED", "FULL", "JOINEMPTY", "CALLBACK")
CLOSING = frozenset({"COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT",
                     "EXITEMPTY", "EXITWITHKEY", "TRANSFER", "INTERRUPTED", "FULL",
                     "JOINEMPTY", "CALLBACK"})


@dataclass(frozen=True)
class QueueEvent:
    ts: float
    call_id: str
    queue: str
    event: str
    agent: str = ""
    position: int | None = None
    orig_position: int | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    ring_s: float | None = None
    info: str = ""
    id: int | None = None          # assigned by the store

    def checked(self) -> "QueueEvent":
        def opt_int(name: str, v: Any) -> int | None:
            return None if v is None else f.integer(f"queue_log.{name}", v, 0, 100000)
        return QueueEvent(
            ts=f.timestamp("queue_log.ts", self.ts),
            call_id=f.text("queue_log.call_id", self.call_id, 64, required=True),
            queue=f.text("queue_log.queue", self.queue, 32, required=True),
            event=f.choice("queue_log.event", self.event, EVENTS),
            agent=f.text("queue_log.agent", self.agent, 32),
            position=opt_int("position", self.position),
            orig_position=opt_int("orig_position", self.orig_position),
            wait_s=f.opt_seconds("queue_log.wait_s", self.wait_s),
            talk_s=f.opt_seconds("queue_log.talk_s", self.talk_s),
            ring_s=f.opt_seconds("queue_log.ring_s", self.ring_s),
            info=f.text("queue_log.info", self.info, 200),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = tuple(x.name for x in fields(QueueEvent) if x.name != "id")


def _from_row(row: sqlite3.Row) -> QueueEvent:
    return QueueEvent(**{k: row[k] for k in (*_COLUMNS, "id")})


class QueueLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, *events: QueueEvent) -> None:
        """Append in one transaction: either all events are stored or none."""
        rows = [e.checked() for e in events]
        cols = ", ".join(_COLUMNS)
        marks = ", ".join("?" for _ in _COLUMNS)
        await self._db.executemany(f"INSERT INTO queue_log ({cols}) VALUES ({marks})",
                                   ([getattr(e, c) for c in _COLUMNS] for e in rows),
                                   "queue_log.append")

    async def for_call(self, call_id: str) -> list[QueueEvent]:
        rows = await self._db.fetchall(
            "SELECT * FROM queue_log WHERE call_id = ? ORDER BY id", (call_id,))
        return [_from_row(r) for r in rows]

    async def query(self, *, queue: str | None = None, agent: str | None = None,
                    event: str | None = None, since: float | None = None,
                    until: float | None = None, limit: int = 1000) -> list[QueueEvent]:
        """Events in the order they were written (``since`` <= ts < ``until``)."""
        w = (Where().eq("queue", queue, text_of(32)).eq("agent", agent, text_of(32))
             .eq("event", event, lambda n, v: f.choice(n, v, EVENTS))
             .time_range("ts", since, until))
        where, params = w.sql(), w.params
        params.append(f.integer("limit", limit, 1, 100000))
        rows = await self._db.fetchall(
            f"SELECT * FROM queue_log{where} ORDER BY id LIMIT ?", params)
        return [_from_row(r) for r in rows]

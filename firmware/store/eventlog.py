"""The append-only event log, fed from the event bus.

Every state change in the daemon is an ``Event`` on ``firmware.events.EventBus``;
``EventLogWriter`` subscribes to all of them and writes them in batches (one
transaction per batch, at most ``delay`` seconds after the first event of a
batch), so a burst of ACD trace lines ("acd.trace") costs one fsync, not one
per line. Rows get their own ``seq`` (the bus numbers restart with the daemon);
``ts`` is the bus's wall-clock time. Nothing is ever updated or deleted here.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from acd_core.clock import TimerHandle
from firmware.events import Event, EventBus
from firmware.store import fields as f
from firmware.store.db import Database
from firmware.store.where import Where

log = logging.getLogger("callbox.store.eventlog")


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    ts: float
    kind: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "kind": self.kind, "data": self.data}


def _kind(field: str, v: Any) -> str:
    return f.text(field, v, 64, required=True)


class EventLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.clock = db.clock       # the writer batches on it

    async def append(self, kind: str, data: dict[str, Any], ts: float | None = None) -> None:
        await self.append_many([(self._db.wall() if ts is None else ts, kind, data)])

    async def append_many(self, rows: Iterable[tuple[float, str, dict[str, Any]]]) -> None:
        encoded = [(f.timestamp("event.ts", ts), _kind("event.kind", kind),
                    json.dumps(data, default=str, separators=(",", ":"), ensure_ascii=False))
                   for ts, kind, data in rows]
        if encoded:
            await self._db.executemany("INSERT INTO event_log (ts, kind, data) VALUES (?, ?, ?)",
                                       encoded, "event_log.append")

    async def query(self, *, kind: str | None = None, prefix: str | None = None,
                    since: float | None = None, until: float | None = None,
                    after_seq: int = 0, limit: int = 1000) -> list[LoggedEvent]:
        """Events in log order; ``prefix="acd."`` matches every kind under ``acd``."""
        w = Where().add("seq > ?", f.integer("after_seq", after_seq, 0, 2**62))
        w.eq("kind", kind, _kind)
        if prefix is not None:
            w.add("kind >= ? AND kind < ?", _kind("prefix", prefix), prefix + "\U0010ffff")
        w.time_range("ts", since, until)
        params = [*w.params, f.integer("limit", limit, 1, 100000)]
        rows = await self._db.fetchall(
            f"SELECT seq, ts, kind, data FROM event_log{w.sql()} ORDER BY seq LIMIT ?", params)
        return [LoggedEvent(r["seq"], r["ts"], r["kind"], json.loads(r["data"])) for r in rows]


    async def page(self, *, prefix: str, kind: str | None = None, since: float | None = None,
                   until: float | None = None, ip: str | None = None, limit: int = 50,
                   offset: int = 0) -> tuple[list[LoggedEvent], int]:
        """Events under ``prefix`` (e.g. ``"security."``), newest first, and how many match.

        ``ip`` keeps the events whose data names that source address (``"ip"``).
        """
        w = Where().add("kind >= ? AND kind < ?", _kind("prefix", prefix), prefix + "\U0010ffff")
        w.eq("kind", kind, _kind)
        w.time_range("ts", since, until)
        if ip is not None:
            w.add("json_extract(data, '$.ip') = ?", f.text("ip", ip, 64))
        total = await self._db.fetchval(f"SELECT COUNT(*) FROM event_log{w.sql()}", w.params)
        rows = await self._db.fetchall(
            f"SELECT seq, ts, kind, data FROM event_log{w.sql()} ORDER BY seq DESC"
            " LIMIT ? OFFSET ?", [*w.params, f.integer("limit", limit, 1, 1000),
                                  f.integer("offset", offset, 0, 2**62)])
        return ([LoggedEvent(r["seq"], r["ts"], r["kind"], json.loads(r["data"])) for r in rows],
                int(total))


class EventLogWriter:
    """Bus subscriber that persists every event, batched.

    ``start()`` and ``close()`` run on the daemon loop (where the bus publishes).
    A failed write keeps the batch for the next attempt; if the database stays
    unwritable the oldest events beyond ``max_pending`` are dropped and counted
    (``dropped``), so a broken disk cannot exhaust memory.
    """

    def __init__(self, log_: EventLog, bus: EventBus, *, delay: float = 0.25,
                 max_batch: int = 500, max_pending: int = 20000) -> None:
        self._log = log_
        self._bus = bus
        self._delay = delay
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._pending: list[tuple[float, str, dict[str, Any]]] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._write_lock = asyncio.Lock()
        self.dropped = 0
        self.written = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._unsubscribe = self._bus.subscribe("", self._on_event)

    def _on_event(self, event: Event) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if not on_loop:                      # published from a driver thread: hop over
            loop.call_soon_threadsafe(self._on_event, event)
            return
        self._pending.append((event.ts, event.kind, event.data))
        if len(self._pending) > self._max_pending:
            excess = len(self._pending) - self._max_pending
            del self._pending[:excess]
            self.dropped += excess
            log.error("event log backlog full, dropped=%d", self.dropped)
        if len(self._pending) >= self._max_batch:
            self._kick()
        elif self._timer is None:
            self._timer = self._log.clock.call_later(self._delay, self._kick)

    def _kick(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._loop is not None and (self._task is None or self._task.done()):
            self._task = self._loop.create_task(self._write_pending_logged())

    async def _write_pending_logged(self) -> None:
        try:
            await self._write_pending()
        except Exception:
            log.exception("event log write failed; pending=%d, will retry", len(self._pending))

    async def _write_pending(self) -> None:
        async with self._write_lock:
            while self._pending:
                batch = self._pending[:self._max_batch]
                del self._pending[:len(batch)]
                try:
                    await self._log.append_many(batch)
                except BaseException:
                    self._pending[:0] = batch
                    raise
                self.written += len(batch)

    async def idle(self) -> None:
        """Wait for a batch write already under way (started by a full batch or the timer)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def flush(self) -> None:
        """Write everything published so far; raises if the database refuses."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self._write_pending()

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            await self._task
        await self.flush()
        self._loop = None

"""In-process event bus: every state change in the daemon is an ``Event``.

Publishers call ``bus.publish(kind, **data)`` on the asyncio loop. Subscribers
are callbacks (run inline, in order, on the loop) or per-client queues for SSE
streams read from web threads. The store subscribes once and persists the
event log, which is the source of every report and of the ACD's replay.
"""
from __future__ import annotations

import itertools
import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from acd_core.clock import Clock, SystemClock

log = logging.getLogger("callbox.events")

Subscriber = Callable[["Event"], None]


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str          # dotted name: "call.queued", "agent.state", "sip.auth_failed" ...
    ts: float          # wall-clock seconds (for records); ordering uses ``seq``
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "ts": self.ts, **self.data}


class EventBus:
    def __init__(self, clock: Clock | None = None) -> None:
        self._wall = (clock or SystemClock()).wall
        self._seq = itertools.count(1)
        self._subs: list[tuple[str, Subscriber]] = []
        self._queues: list[tuple[str, queue.Queue[Event]]] = []
        self._lock = threading.Lock()

    def subscribe(self, prefix: str, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback`` for every event whose kind starts with ``prefix``."""
        entry = (prefix, callback)
        self._subs.append(entry)
        return lambda: self._subs.remove(entry)

    def open_queue(self, prefix: str = "", maxsize: int = 1000) -> queue.Queue[Event]:
        """A thread-safe queue fed with matching events (for SSE clients)."""
        q: queue.Queue[Event] = queue.Queue(maxsize)
        with self._lock:
            self._queues.append((prefix, q))
        return q

    def close_queue(self, q: queue.Queue[Event]) -> None:
        with self._lock:
            self._queues = [(p, x) for p, x in self._queues if x is not q]

    def publish(self, kind: str, **data: Any) -> Event:
        event = Event(next(self._seq), kind, self._wall(), data)
        log.info("event %s %s", kind, " ".join(f"{k}={v}" for k, v in data.items()))
        for prefix, callback in list(self._subs):
            if kind.startswith(prefix):
                try:
                    callback(event)
                except Exception:  # one broken subscriber must not stop the others
                    log.exception("event subscriber failed kind=%s", kind)
        with self._lock:
            targets = [q for p, q in self._queues if kind.startswith(p)]
        for q in targets:
            try:
                q.put_nowait(event)
            except queue.Full:
                log.warning("event queue full, dropping kind=%s", kind)
        return event

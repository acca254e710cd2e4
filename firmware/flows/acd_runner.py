"""Drives the pure ACD engine from the daemon loop and carries out its decisions.

The engine never reads a clock: this runner stamps every input with the loop's
monotonic time, asks the engine when it next needs a ``Tick`` and schedules
exactly that, so nothing polls. Every input and decision goes to the event log
as an ``acd.trace`` line, which is what ``python -m acd_core.acd replay`` reads.
An ``Offer`` is handed to the flow task that owns the call (that task dials the
seat, so a call's whole life stays in one coroutine).
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, Callable, Iterable

from acd_core import acd

from firmware.events import EventBus

log = logging.getLogger("callbox.acd")


@dataclasses.dataclass
class WaitingCall:
    call: str
    queue: str
    offers: "asyncio.Queue[Any]" = dataclasses.field(default_factory=asyncio.Queue)


class AcdRunner:
    def __init__(self, bus: EventBus, now: Callable[[], float] | None = None) -> None:
        self._bus = bus
        self._loop = asyncio.get_running_loop()
        self._now = now or self._loop.time
        self.engine = acd.Engine()
        self._waiting: dict[str, WaitingCall] = {}
        self._tick: asyncio.TimerHandle | None = None
        self._queues: set[str] = set()
        self._agents: set[str] = set()

    # -- configuration ------------------------------------------------------
    def configure(self, queues: Iterable[dict[str, Any]], seats: Iterable[dict[str, Any]]) -> None:
        for q in queues:
            if q["name"] in self._queues:
                continue
            self.engine.add_queue(acd.QueueSpec(
                name=q["name"], strategy=q.get("strategy", "longest-idle"),
                wrapup=float(q.get("wrapup", 0.0))))
            self._queues.add(q["name"])
        for s in seats:
            agent = s["extension"]
            if agent in self._agents:
                continue
            self.engine.add_agent(acd.AgentSpec(agent=agent, queues=dict(s.get("queues", {}))))
            self._agents.add(agent)
            # Demo seats are logged in from the start; they still need to be
            # registered (reachable) before they get an offer.
            self._feed(acd.AgentLoggedIn(t=self._now(), agent=agent))

    # -- inputs ---------------------------------------------------------------
    def set_reachable(self, agent: str, reachable: bool) -> None:
        if agent in self._agents:
            self._feed(acd.AgentReachable(t=self._now(), agent=agent, reachable=reachable))

    def enqueue(self, call: str, queue: str, priority: int = 0) -> WaitingCall:
        waiting = WaitingCall(call, queue)
        self._waiting[call] = waiting
        self._feed(acd.CallQueued(t=self._now(), call=call, queue=queue, priority=priority))
        return waiting

    def abandon(self, call: str) -> None:
        if self._waiting.pop(call, None) is not None:
            self._feed(acd.CallAbandoned(t=self._now(), call=call))

    def offer_accepted(self, call: str, agent: str) -> None:
        self._waiting.pop(call, None)
        self._feed(acd.OfferAccepted(t=self._now(), call=call, agent=agent))

    def offer_failed(self, call: str, agent: str, timed_out: bool) -> None:
        event = acd.OfferTimedOut if timed_out else acd.OfferFailed
        self._feed(event(t=self._now(), call=call, agent=agent))

    def call_ended(self, call: str, agent: str) -> None:
        self._feed(acd.CallEnded(t=self._now(), call=call, agent=agent))

    # -- engine plumbing ------------------------------------------------------
    def _feed(self, event: Any) -> None:
        self._trace("in", event)
        decisions = self.engine.handle(event)
        for decision in decisions:
            self._trace("out", decision)
            self._carry_out(decision)
        self._schedule_tick()

    def _carry_out(self, decision: Any) -> None:
        call = getattr(decision, "call", None)
        waiting = self._waiting.get(call) if call is not None else None
        if waiting is None:
            log.warning("acd decision for a call no flow waits on: %r", decision)
            return
        waiting.offers.put_nowait(decision)

    def _schedule_tick(self) -> None:
        deadline = self.engine.next_deadline()
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        if deadline is None:
            return
        delay = max(0.0, deadline - self._now())
        self._tick = self._loop.call_later(delay, self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        self._feed(acd.Tick(t=self._now()))

    def _trace(self, direction: str, item: Any) -> None:
        record = {"dir": direction, "type": type(item).__name__}
        if dataclasses.is_dataclass(item):
            record.update(dataclasses.asdict(item))
        self._bus.publish("acd.trace", **record)

    def close(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

"""Drives the pure ACD engine from the daemon loop and carries out its decisions.

The engine never reads a clock: this runner stamps every input with the
injected clock's monotonic time, asks the engine when it next needs a ``Tick``
and sets exactly that timer on the same clock, so nothing polls and a test
drives wrap-up and retry delays with ``ManualClock.advance``. The configuration, every input and every
decision go to the event log as ``acd.trace`` lines in the format of
``acd_core.acd.trace`` (docs/acd-trace.md), so ``python -m acd_core.acd replay``
can rebuild any day from the database. Decisions about a call are handed to the
flow task that owns it (that task dials the seat, so a call's whole life stays
in one coroutine); decisions about agents become events. A call that leaves the
engine (an overflow to something that is not a queue) is forgotten here too. The wait
estimator (``acd_core.ewt``) sees every input and decision, so ``estimate(call)`` is
the announced wait from the live state.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, Iterable

from acd_core import acd
from acd_core.acd import trace
from acd_core.clock import Clock, TimerHandle
from acd_core.ewt import WaitEstimator

from firmware.events import EventBus
from firmware.store import Queue, Seat
from firmware.store.inbound import QueueRules

log = logging.getLogger("callbox.acd")


@dataclasses.dataclass
class WaitingCall:
    call: str
    queue: str
    offers: "asyncio.Queue[Any]" = dataclasses.field(default_factory=asyncio.Queue)
    joined: float = 0.0                 # the runner's clock when the call took its place


def queue_spec(q: Queue, rules: QueueRules | None = None) -> acd.QueueSpec:
    """The engine's view of a queue: schema 1's columns plus its rules (migration 7).

    The daemon owns the ring timeout (it is the one dialling), so the engine's is off. An
    overflow to another queue stays in the engine (the call keeps its join time there);
    any other overflow target is passed as its text, which no queue is named like, so
    the call leaves the engine and the flow carries the target out.
    """
    r = rules or QueueRules(q.name)
    overflow = r.overflow[len("queue:"):] if r.overflow.startswith("queue:") else \
        (r.overflow or None)
    return acd.QueueSpec(
        name=q.name, strategy=q.strategy, wrapup=float(q.wrapup_s),
        service_level=float(q.sl_threshold_s), ring_timeout=None,
        max_wait=float(q.max_wait_s) if q.max_wait_s else None, overflow=overflow,
        max_len=r.max_len, join_empty=r.join_empty, leave_empty=r.leave_empty,
        announce_every=float(r.announce_every_s) if r.announce_every_s else None,
        callback_offer_after=(float(r.callback_offer_after_s)
                              if r.callback_offer_after_s is not None else None))


class AcdRunner:
    def __init__(self, bus: EventBus, clock: Clock, seed: int = 0) -> None:
        self._bus = bus
        self._clock = clock
        self._now = clock.now
        self.engine = acd.Engine(seed)
        self.ewt = WaitEstimator()
        self._bus.publish("acd.trace", dir="config", type="Engine", seed=seed)
        self._waiting: dict[str, WaitingCall] = {}
        self._tick: TimerHandle | None = None
        self._queues: set[str] = set()
        self._specs: dict[str, acd.QueueSpec] = {}
        self._rules: dict[str, QueueRules] = {}
        self._agents: set[str] = set()

    # -- configuration ------------------------------------------------------
    def configure(self, queues: Iterable[Queue], seats: Iterable[Seat],
                  rules: dict[str, QueueRules] | None = None) -> None:
        """Add queues and seats the engine does not know yet (``apply_queues`` changes
        the rules of known queues)."""
        qspecs = []
        for q in queues:
            if q.name in self._queues:
                continue
            r = (rules or {}).get(q.name) or QueueRules(q.name)
            qspec = queue_spec(q, r)
            self._trace("config", qspec)
            self.engine.add_queue(qspec)
            self._queues.add(q.name)
            self._specs[q.name], self._rules[q.name] = qspec, r
            qspecs.append(qspec)
        self.ewt.configure(qspecs, [])
        for s in seats:
            if s.extension in self._agents:
                continue
            self._add_seat(s)

    def apply_queues(self, queues: Iterable[Queue], rules: dict[str, QueueRules]) -> list[str]:
        """The queue table and queue rules as they are now (an admin edited them): new
        queues are added, changed ones updated in the running engine
        (``Engine.update_queue``: waiting calls keep their place, their deadlines follow
        the new rules) and the rules the flows read (``rules``) replaced, so callers
        already waiting hear the new announcements and may use the new exit key. Returns
        the names of the queues whose rules changed. A queue removed from the table
        stays in the engine until the next start (calls may still wait in it)."""
        queues = list(queues)
        self.configure([q for q in queues if q.name not in self._queues], [], rules)
        changed = []
        ticked = False
        for q in queues:
            r = rules.get(q.name) or QueueRules(q.name)
            qspec = queue_spec(q, r)
            if qspec == self._specs.get(q.name) and r == self._rules.get(q.name):
                continue
            self._rules[q.name] = r
            changed.append(q.name)
            if qspec == self._specs.get(q.name):
                continue                               # only what the flows read changed
            if not ticked:       # the engine's time is its last input's: bring it to now
                self._feed(acd.Tick(t=self._now()))
                ticked = True
            self._trace("config", qspec)
            decisions = self.engine.update_queue(qspec)
            self._specs[q.name] = qspec
            self.ewt.configure([qspec], [])
            self.ewt.observe(acd.Tick(t=self._now()), decisions)
            for decision in decisions:
                self._trace("out", decision)
                self._carry_out(decision)
            self._schedule_tick()
        return changed

    def rules(self, queue: str) -> QueueRules | None:
        """The rules of a queue as the engine runs them now (None: not a queue of it)."""
        return self._rules.get(queue)

    def apply_seats(self, seats: Iterable[Seat]) -> None:
        """The seat table as it is now (an admin edited it): new seats are added, the
        memberships of known ones replaced (the engine keeps their state: a seat in a
        call stays in it), removed seats logged out."""
        current = {s.extension: s for s in seats}
        for ext, s in current.items():
            if ext in self._agents:
                aspec = self._agent_spec(s)
                self._trace("config", aspec)
                self.ewt.configure([], [aspec])
                decisions = self.engine.add_agent(aspec)
                self.ewt.observe(acd.Tick(t=self._now()), decisions)
                for decision in decisions:
                    self._trace("out", decision)
                    self._carry_out(decision)
                self._schedule_tick()
            else:
                self._add_seat(s)
        for ext in sorted(self._agents - set(current)):
            self._feed(acd.AgentLoggedOut(t=self._now(), agent=ext))
            self._agents.discard(ext)

    def _agent_spec(self, s: Seat) -> Any:
        return acd.AgentSpec(agent=s.extension,
                             queues={q: p for q, p in s.queues.items() if q in self._queues})

    def _add_seat(self, s: Seat) -> None:
        aspec = self._agent_spec(s)
        self._trace("config", aspec)
        self.engine.add_agent(aspec)
        self.ewt.configure([], [aspec])
        self._agents.add(s.extension)
        # Seats are logged in from the start (agent log-in comes with the
        # agent desk); they still must be registered to get an offer.
        self._feed(acd.AgentLoggedIn(t=self._now(), agent=s.extension))

    # -- inputs ---------------------------------------------------------------
    def set_reachable(self, agent: str, reachable: bool) -> None:
        if agent in self._agents:
            self._feed(acd.AgentReachable(t=self._now(), agent=agent, reachable=reachable))

    def enqueue(self, call: str, queue: str, priority: int = 0, *,
                joined: float | None = None, callback: bool = False) -> WaitingCall:
        """``joined`` (the runner's clock) keeps an earlier place; ``callback`` enters a
        caller who is not on the line (a callback waiting for its agent)."""
        now = self._now()
        waiting = WaitingCall(call, queue, joined=now if joined is None else min(joined, now))
        self._waiting[call] = waiting
        self._feed(acd.CallQueued(t=now, call=call, queue=queue, priority=priority,
                                  joined=joined, callback=callback))
        return waiting

    def request_callback(self, call: str) -> None:
        """The waiting caller leaves the line and keeps its place (a ``CallbackDue``
        comes to the same ``WaitingCall`` when an agent is reserved for it)."""
        if call in self._waiting:
            self._feed(acd.CallbackRequested(t=self._now(), call=call))

    def would_refuse(self, queue: str) -> list[acd.Overflow]:
        """What the engine's join rule (``full``, join- and leave-when-empty, the same
        function a joining call meets) would do now to a caller on the line joining
        ``queue``: [] if it would wait, else the overflows it would meet, in order. A
        question, not an input: nothing is traced or changed. A queue the engine does
        not know yet gives [] (the queue flow reports it when the call gets there)."""
        try:
            return list(self.engine.would_refuse(queue))
        except KeyError:
            return []

    def estimate(self, call: str) -> float | None:
        """The expected remaining wait of a waiting call (``acd_core.ewt``), or None."""
        return self.ewt.estimate(call, self._now())

    def position(self, call: str) -> int:
        return int(self.engine.position(call))

    def waiting(self, call: str) -> WaitingCall | None:
        return self._waiting.get(call)

    def abandon(self, call: str) -> None:
        if self._waiting.pop(call, None) is not None:
            self._feed(acd.CallAbandoned(t=self._now(), call=call))

    def offer_accepted(self, call: str, agent: str) -> None:
        self._waiting.pop(call, None)
        self._feed(acd.OfferAccepted(t=self._now(), call=call, agent=agent))

    def offer_failed(self, call: str, agent: str, timed_out: bool) -> None:
        event = acd.OfferTimedOut if timed_out else acd.OfferFailed
        self._feed(event(t=self._now(), call=call, agent=agent))

    def call_ended(self, call: str, agent: str, hold: float = 0.0,
                   transfer: str | None = None) -> None:
        self._feed(acd.CallEnded(t=self._now(), call=call, agent=agent, hold=hold,
                                 transfer=transfer))

    # -- the agent desk (firmware/cti) ----------------------------------------------------
    def knows(self, agent: str) -> bool:
        return agent in self._agents

    def agent_state(self, agent: str) -> tuple[str, str]:
        """``(state, reason)`` as the engine sees the agent now."""
        return self.engine.agent_state(agent)

    def agents_now(self) -> dict[str, dict[str, Any]]:
        """Every seat the engine knows: ``state``, ``reason``, ``reachable`` and ``call``
        as it sees them now. A reader that only folds ``acd.trace`` from the moment it
        subscribed (the live board) starts from this, or it would never learn the state
        of an agent who changed nothing since."""
        agents = self.engine.snapshot()["agents"]
        return {a: {k: agents[a][k] for k in ("state", "reason", "reachable", "call")}
                for a in sorted(self._agents) if a in agents}

    def login(self, agent: str, paused: str | None = None) -> None:
        self._feed(acd.AgentLoggedIn(t=self._now(), agent=agent, paused=paused))

    def logout(self, agent: str) -> None:
        self._feed(acd.AgentLoggedOut(t=self._now(), agent=agent))

    def pause(self, agent: str, reason: str) -> None:
        self._feed(acd.AgentPaused(t=self._now(), agent=agent, reason=reason))

    def unpause(self, agent: str) -> None:
        self._feed(acd.AgentUnpaused(t=self._now(), agent=agent))

    def busy(self, agent: str, call: str) -> None:
        """The agent took a call the engine did not offer (outbound, transfer, pickup)."""
        self._feed(acd.AgentBusy(t=self._now(), agent=agent, call=call))

    def free(self, agent: str, call: str, wrapup: float | None = None) -> None:
        self._feed(acd.AgentFree(t=self._now(), agent=agent, call=call, wrapup=wrapup))

    def ready(self, agent: str) -> None:
        """The agent ends its wrap-up early."""
        self._feed(acd.WrapupEnded(t=self._now(), agent=agent))

    # -- engine plumbing ------------------------------------------------------
    def _feed(self, event: Any) -> None:
        self._trace("in", event)
        decisions = self.engine.handle(event)
        self.ewt.observe(event, decisions)
        for decision in decisions:
            self._trace("out", decision)
            self._carry_out(decision)
        self._schedule_tick()

    def _carry_out(self, decision: Any) -> None:
        call = getattr(decision, "call", None)
        waiting = self._waiting.get(call) if call is not None else None
        if waiting is not None:
            if isinstance(decision, acd.Overflow):
                if decision.target in self._queues:
                    waiting.queue = decision.target
                else:                     # out of the engine: the flow routes it
                    del self._waiting[waiting.call]
            waiting.offers.put_nowait(decision)
            return
        agent = getattr(decision, "agent", None)
        self._bus.publish(f"acd.{type(decision).__name__.lower()}", call=call, agent=agent)

    def _schedule_tick(self) -> None:
        deadline = self.engine.next_deadline()
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        if deadline is not None:
            self._tick = self._clock.call_later(max(0.0, deadline - self._now()), self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        self._feed(acd.Tick(t=self._now()))

    def _trace(self, direction: str, item: Any) -> None:
        self._bus.publish("acd.trace", **trace.record(item, direction))

    def close(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

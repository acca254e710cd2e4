"""Expected wait of a caller, from the live state of the agents who will answer it.

Asterisk announces a queue's hold time smoothed over answered calls,
``holdtime = (3 * holdtime + wait) / 4`` (what ``Announce.ewt`` carries), minus the
time the caller has already waited. That figure follows the last few callers, not the
line in front of this one: it is the same for the first and the tenth caller, it lags
every change of staffing, and it knows nothing of the agents' calls in progress.

``WaitEstimator`` predicts instead from what is happening now. It watches the same
inputs and decisions as the engine (``observe``) and keeps, per queue, the talk times
of the last calls (a window, not all history), the time an offer takes to be answered
and the recent waits with whether they ended in an answer or a hang-up. For a waiting
caller (``estimate``) it draws a few hundred possible futures of the line in front of
the caller and announces their median (the figure with the least expected absolute
error). In each future:

1. the agents who can take the call are the queue's members who are logged in,
   reachable and not paused; each frees at a time read from its state: now if
   available; at the end of its wrap-up or no-answer rest; after its offer is answered
   and one drawn talk time if ringing; if on a call, after a talk time still to come
   drawn from the recent talks *longer than the call has lasted* (``T - age``), so an
   old call of a long-tailed kind is expected to go on, not to end on the mean;
2. the callers ahead are the waiting calls, in every queue sharing those agents, that
   come first in the engine's global order (priority, then join time), callbacks
   included; each either hangs up before its turn (drawn from the queue's abandon
   rate per second of waiting) or takes the earliest agent to free, who is then busy
   for the time to answer, a drawn talk time and the wrap-up;
3. this caller gets the next agent to free, plus the time to answer the offer.

The draws are seeded by the call and the time, so an estimate is reproducible. Without
a finished call in the window there is no estimate (``None``), as in Asterisk before
the first answer; without a working agent there is none either.

Pure Python, no clock: times come from the events (``t``) and the ``now`` passed in.
``tests/benchmarks/test_ewt_accuracy.py`` replays simulated traffic and compares the
error of both estimates against the waits that really followed.
"""
from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

from acd_core.acd import model as m

WORKING = frozenset({"available", "ringing", "on-call", "wrap-up", "resting"})
WINDOW = 50                 # recent talk times per queue
ABANDON_WINDOW = 200        # recent waits (answered or abandoned) per queue
SAMPLES = 201               # futures drawn per estimate


@dataclass
class _Agent:
    queues: set[str] = field(default_factory=set)
    state: str = "logged-out"
    since: float = 0.0
    call: str | None = None
    queue: str | None = None               # the queue of the call it is ringing for / on
    wrapup: float | None = None            # the agent's own wrap-up (None: the queue's)
    retry: float = 5.0


@dataclass
class _Call:
    queue: str
    priority: int
    join: float
    seq: int
    ringing: bool = False


@dataclass
class _Stats:
    talks: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    rings: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    waits: deque[tuple[float, bool]] = field(default_factory=lambda: deque(maxlen=ABANDON_WINDOW))


class WaitEstimator:
    def __init__(self) -> None:
        self._agents: dict[str, _Agent] = {}
        self._wrapup: dict[str, float] = {}
        self._calls: dict[str, _Call] = {}
        self._offered: dict[str, float] = {}        # call -> time of its first open offer
        self._connected: dict[str, tuple[float, str]] = {}   # call -> (t, queue)
        self._stats: dict[str, _Stats] = {}
        self._seq = 0

    # -- configuration --------------------------------------------------------------
    def configure(self, queues: Iterable[m.QueueSpec], agents: Iterable[m.AgentSpec]) -> None:
        for q in queues:
            self._wrapup[q.name] = float(q.wrapup)
            self._stats.setdefault(q.name, _Stats())
        for a in agents:
            agent = self._agents.setdefault(a.agent, _Agent())
            agent.queues = set(a.queues)
            agent.wrapup = a.wrapup
            agent.retry = float(a.retry_delay)

    # -- inputs -------------------------------------------------------------------------
    def observe(self, event: Any, decisions: Iterable[Any]) -> None:
        """One engine input and the decisions it produced, in the order they happened."""
        t = event.t
        if isinstance(event, m.CallQueued):
            self._seq += 1
            join = t if event.joined is None or event.joined > t else event.joined
            self._calls[event.call] = _Call(event.queue, int(event.priority), join, self._seq)
        elif isinstance(event, m.CallAbandoned):
            self._leave(event.call, t, answered=False)
        elif isinstance(event, m.OfferAccepted):
            call = self._calls.get(event.call)
            if call is not None:
                offered = self._offered.pop(event.call, t)
                self._stat(call.queue).rings.append(max(0.0, t - offered))
                self._connected[event.call] = (t, call.queue)
                self._leave(event.call, t, answered=True)
        elif isinstance(event, m.CallEnded):
            started = self._connected.pop(event.call, None)
            if started is not None:
                self._stat(started[1]).talks.append(max(0.0, t - started[0]))
        for d in decisions:
            self._decision(d)

    def _decision(self, d: Any) -> None:
        if isinstance(d, m.AgentState):
            a = self._agents.setdefault(d.agent, _Agent())
            a.state, a.since = d.state, d.t
        elif isinstance(d, (m.Offer, m.CallbackDue)):
            call = self._calls.get(d.call)
            if call is not None:
                call.ringing = True
                self._offered.setdefault(d.call, d.t)
            a = self._agents.setdefault(d.agent, _Agent())
            a.call, a.queue = d.call, d.queue
        elif isinstance(d, m.Requeued):
            call = self._calls.get(d.call)
            if call is not None:
                call.ringing = False
                self._offered.pop(d.call, None)
        elif isinstance(d, m.Overflow):
            call = self._calls.get(d.call)
            if call is None:
                return
            if d.target is not None and d.target in self._wrapup:
                call.queue = d.target
            else:
                self._leave(d.call, d.t, answered=None)

    def _leave(self, call_id: str, t: float, answered: bool | None) -> None:
        call = self._calls.pop(call_id, None)
        if call is None:
            return
        self._offered.pop(call_id, None)
        if answered is not None:
            self._stat(call.queue).waits.append((max(0.0, t - call.join), answered))

    def _stat(self, queue: str) -> _Stats:
        return self._stats.setdefault(queue, _Stats())

    # -- the estimate ---------------------------------------------------------------------
    def estimate(self, call_id: str, now: float) -> float | None:
        """Expected seconds until ``call_id`` is answered (the median of the predicted
        waits, the figure with the least expected absolute error), or None without data."""
        call = self._calls.get(call_id)
        if call is None:
            return None
        stats = self._stat(call.queue)
        talks = list(stats.talks)
        if not talks:
            return None
        agents = [a for a in self._agents.values()
                  if call.queue in a.queues and a.state in WORKING]
        if not agents:
            return None
        wrap = self._wrapup.get(call.queue, 0.0)
        ring = sum(stats.rings) / len(stats.rings) if stats.rings else 0.0
        served = {q for a in agents for q in a.queues}
        key = (-call.priority, call.join, call.seq)
        ahead = sum(1 for cid, c in self._calls.items()
                    if cid != call_id and not c.ringing and c.queue in served
                    and (-c.priority, c.join, c.seq) < key)
        rate = self._abandon_rate(stats)
        rng = random.Random(f"{call_id}/{now:.3f}")
        mean_talk = sum(talks) / len(talks)
        starts = [self._start(a, now, talks, wrap, ring) for a in agents]
        waits = []
        for _ in range(SAMPLES):
            free = [at + (rng.choice(pool) if pool else
                          rng.expovariate(2.0 / mean_talk) if pool is not None else 0.0)
                    for at, pool in starts]
            heapq.heapify(free)
            for _ in range(ahead):
                turn = free[0]
                if rate > 0 and rng.expovariate(rate) < turn - now:
                    continue                 # that caller hangs up before its turn
                heapq.heapreplace(free, turn + ring + rng.choice(talks) + wrap)
            waits.append(max(0.0, free[0] - now) + ring)
        waits.sort()
        return waits[len(waits) // 2]

    def _start(self, a: _Agent, now: float, talks: list[float], wrap: float,
               ring: float) -> tuple[float, list[float] | None]:
        """When the agent frees: a fixed time plus one draw from the returned pool (the
        talk still to come), [] for a draw from a tail beyond every recent talk, None for
        nothing to draw."""
        own_wrap = wrap if a.wrapup is None else a.wrapup
        if a.state == "available":
            return now, None
        if a.state == "ringing":
            return max(now, a.since + ring) + own_wrap, talks
        if a.state == "on-call":
            age = max(0.0, now - a.since)
            return now + own_wrap, [x - age for x in talks if x > age]
        if a.state == "wrap-up":
            return max(now, a.since + own_wrap), None
        return max(now, a.since + a.retry), None             # resting after a no-answer

    @staticmethod
    def _abandon_rate(stats: _Stats) -> float:
        waited = sum(w for w, _ in stats.waits)
        abandons = sum(1 for _, answered in stats.waits if not answered)
        return abandons / waited if waited > 0 else 0.0

    def forget(self, call_id: str) -> None:
        """A call the engine no longer holds (the daemon removed it)."""
        self._calls.pop(call_id, None)
        self._offered.pop(call_id, None)
        self._connected.pop(call_id, None)

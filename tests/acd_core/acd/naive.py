"""A naive ACD: on every event, rescan every member and every waiting call.

This is the shape of other ACDs' polling loops
(docs/reference/acd-kpi.md#why-the-engine-is-event-driven: Asterisk wakes each caller and
walks the members; FreeSWITCH re-runs one query over all members and callers),
written for clarity, not speed. It serves twice: as the baseline the benchmarks
measure the engine against, and as an independent oracle for the engine's
global order (it shares no code with ``acd_core.acd._engine``).

Scope: the steady state the benchmarks drive (log in, reachable, queue, offer,
accept, end with no wrap-up); strategies longest-idle, round-robin,
fewest-calls, least-talk-time, linear, ring-all and ring-progressively (offers
answered at once, so no ring step falls due); callbacks entered as such or asked
for while waiting; penalties and skill levels, no escalation table.

Its rules, written from docs/acd-trace.md: a call picks among free eligible
members of its queue by strategy; ring-all rings the whole best tier; a callback
reserves one agent whatever the strategy (under ring-all / ring-progressively
the first of the best tier by position). A freed agent takes the first call in
the global order that it may take, alone. Offers come back as ``(call, agent)``;
``is_callback(call)`` tells a ``CallbackDue`` from an ``Offer``.
"""
from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

from acd_core import acd


@dataclass
class _Agent:
    id: str
    queues: dict[str, int]            # queue -> penalty
    positions: dict[str, int]         # queue -> member position
    skills: dict[str, float]
    logged_in: bool = False
    reachable: bool = False
    busy: str | None = None           # call ringing or connected
    login_t: float = float("-inf")
    last_end: float = float("-inf")
    calls: int = 0
    talk: float = 0.0
    answered: float = 0.0


@dataclass
class _Call:
    id: str
    queue: str
    prio: int
    join: float
    seq: int
    req: dict[str, float] = field(default_factory=dict)
    callback: bool = False
    ringing: list[str] = field(default_factory=list)     # agents, in the order rung

    def key(self, weight: float):
        return (-self.prio, self.join, -weight, self.seq)


class NaiveAcd:
    def __init__(self) -> None:
        self.queues: dict[str, acd.QueueSpec] = {}
        self.agents: dict[str, _Agent] = {}
        self.order: list[tuple] = []          # (key, call) of waiting calls, global order
        self.calls: dict[str, _Call] = {}
        self.rr_last: dict[str, int] = {}
        self.seq = 0
        self.now = 0.0

    def add_queue(self, spec: acd.QueueSpec) -> None:
        self.queues[spec.name] = spec
        self.rr_last[spec.name] = -1

    def add_agent(self, spec: acd.AgentSpec) -> None:
        pos = {}
        for q in spec.queues:
            pos[q] = sum(1 for a in self.agents.values() if q in a.queues)
        self.agents[spec.agent] = _Agent(spec.agent, {q: m.penalty for q, m in spec.queues.items()},
                                         pos, {k: float(v) for k, v in spec.skills.items()})

    def is_callback(self, call: str) -> bool:
        return self.calls[call].callback

    def handle(self, ev) -> list[tuple[str, str]]:
        """Returns the offers and callback reservations made, as (call, agent)."""
        self.now = ev.t
        freed: list[_Agent] = []
        if isinstance(ev, acd.AgentLoggedIn):
            a = self.agents[ev.agent]
            a.logged_in, a.login_t, a.calls, a.talk = True, ev.t, 0, 0.0
        elif isinstance(ev, acd.AgentReachable):
            self.agents[ev.agent].reachable = ev.reachable
        elif isinstance(ev, acd.CallQueued):
            spec = self.queues[ev.queue]
            req = {k: float(v) for k, v in spec.skills.items()}
            for k, v in ev.skills.items():
                req[k] = max(req.get(k, float("-inf")), float(v))
            self.seq += 1
            join = ev.t if ev.joined is None else min(ev.joined, ev.t)
            call = _Call(ev.call, ev.queue, ev.priority, join, self.seq, req, ev.callback)
            self.calls[ev.call] = call
            bisect.insort(self.order, (call.key(spec.weight), ev.call))
        elif isinstance(ev, acd.CallbackRequested):
            self.calls[ev.call].callback = True           # a waiting caller keeps its place
        elif isinstance(ev, acd.OfferAccepted):
            a = self.agents[ev.agent]
            a.calls += 1
            a.answered = ev.t
            call = self.calls[ev.call]
            for other in call.ringing:                    # ring-all: answered elsewhere
                if other != ev.agent:
                    self.agents[other].busy = None
                    freed.append(self.agents[other])
            call.ringing = [ev.agent]
        elif isinstance(ev, acd.CallEnded):
            a = self.agents[ev.agent]
            a.busy = None
            a.talk += ev.t - a.answered
            a.last_end = ev.t
            del self.calls[ev.call]
        elif isinstance(ev, acd.CallAbandoned):
            call = self.calls.pop(ev.call)
            self.order.remove((call.key(self.queues[call.queue].weight), ev.call))
        if freed:
            # Several agents freed at once take their calls one by one, in the
            # order they were freed (with one free agent, the rescan below is
            # the same thing).
            offers = []
            for a in freed:
                offers += self.take(a)
            return offers
        return self.rescan()

    def eligible(self, a: _Agent, call: _Call) -> bool:
        return call.queue in a.queues and all(a.skills.get(s, 0.0) >= lvl
                                              for s, lvl in call.req.items())

    def free(self, a: _Agent) -> bool:
        return a.logged_in and a.reachable and a.busy is None

    def metric(self, a: _Agent, queue: str) -> float:
        strategy = self.queues[queue].strategy
        if strategy == "longest-idle":
            return max(a.last_end, a.login_t)
        if strategy == "fewest-calls":
            return a.calls
        if strategy == "least-talk-time":
            return a.talk
        pos = a.positions[queue]
        if strategy == "round-robin":
            return pos if pos > self.rr_last[queue] else pos + 1e15
        if strategy in ("linear", "ring-progressively", "ring-all"):
            return pos
        raise NotImplementedError(strategy)

    def reserve(self, call: _Call, agents: list[_Agent]) -> list[tuple[str, str]]:
        for a in agents:
            a.busy = call.id
        call.ringing = [a.id for a in agents]
        if self.queues[call.queue].strategy == "round-robin":
            self.rr_last[call.queue] = agents[-1].positions[call.queue]
        return [(call.id, a.id) for a in agents]

    def take(self, a: _Agent) -> list[tuple[str, str]]:
        """A freed agent walks every waiting call in the global order."""
        if not self.free(a):
            return []
        for i, (_, cid) in enumerate(self.order):
            call = self.calls[cid]
            if self.eligible(a, call):
                del self.order[i]
                return self.reserve(call, [a])
        return []

    def rescan(self) -> list[tuple[str, str]]:
        """Every member, then every waiting call in the global order."""
        offers: list[tuple[str, str]] = []
        free: dict[str, list[_Agent]] = {}
        for a in self.agents.values():                       # every member, every event
            if a.logged_in and a.reachable and a.busy is None:
                for q in a.queues:
                    free.setdefault(q, []).append(a)
        if not free:
            return offers
        taken = []
        for i, (_, cid) in enumerate(self.order):           # every waiting call, every event
            call = self.calls[cid]
            best = None
            for a in free.get(call.queue, ()):
                if a.busy is None and self.eligible(a, call):
                    k = (a.queues[call.queue], self.metric(a, call.queue), a.positions[call.queue])
                    if best is None or k < best[0]:
                        best = (k, a)
            if best is None:
                continue
            if self.queues[call.queue].strategy == "ring-all" and not call.callback:
                tier = [a for a in free[call.queue] if a.busy is None
                        and a.queues[call.queue] == best[0][0] and self.eligible(a, call)]
                agents = sorted(tier, key=lambda a: a.positions[call.queue])
            else:
                agents = [best[1]]
            offers += self.reserve(call, agents)
            taken.append(i)
        for i in reversed(taken):
            del self.order[i]
        return offers


# -- the benchmark population, shared with the oracle test ----------------------

SKILLS = ("en", "fr", "de", "es")
NAIVE_STRATEGIES = ("longest-idle", "round-robin", "fewest-calls", "least-talk-time", "linear")
MULTI_RING = ("ring-all", "ring-progressively")


def population(n_agents: int, n_queues: int, seed: int = 7, halves: bool = False,
               strategies=NAIVE_STRATEGIES):
    """Queues and agents with mixed skills: every agent in 3 queues with a penalty
    0-1 and 1-3 skills at level 1-3; one queue in four requires a skill.
    ``halves``: agents of the first half serve only the first half of the queues."""
    rnd = random.Random(seed)
    queues = []
    for i in range(n_queues):
        skills = {SKILLS[i % len(SKILLS)]: 1} if i % 4 == 3 else {}
        queues.append(acd.QueueSpec(name=f"q{i}", strategy=strategies[i % len(strategies)],
                                    skills=skills, ring_timeout=None))
    agents = []
    for j in range(n_agents):
        if halves:
            lo, hi = (0, n_queues // 2) if j < n_agents // 2 else (n_queues // 2, n_queues)
        else:
            lo, hi = 0, n_queues
        qs = rnd.sample(range(lo, hi), 3)
        skills = {s: rnd.randint(1, 3) for s in rnd.sample(SKILLS, rnd.randint(1, 3))}
        agents.append(acd.AgentSpec(agent=f"a{j}", queues={f"q{q}": rnd.randint(0, 1) for q in qs},
                                    skills=skills, retry_delay=0.0, max_no_answer=0))
    return queues, agents


def call_stream(n_queues: int, seed: int = 11, queues: range | None = None):
    """Endless (queue, priority, skills) for arriving calls: 1 in 10 VIP, 1 in 5
    wanting a language at level 1-2."""
    rnd = random.Random(seed)
    pick = queues if queues is not None else range(n_queues)
    while True:
        skills = {rnd.choice(SKILLS): rnd.randint(1, 2)} if rnd.random() < 0.2 else {}
        yield f"q{rnd.choice(pick)}", (1 if rnd.random() < 0.1 else 0), skills

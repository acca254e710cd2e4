"""ACD engine speed at the issue's size: 1,000 agents in 50 queues with mixed
skills and 10,000 waiting calls.

Two figures, each measured on the compiled build, the pure build and the naive
rescan baseline (tests/acd_core/acd/naive.py) in the same process:

* agent-freed: an agent's call ends (no wrap-up) and it takes the most
  deserving call of its three queues; every measured event yields one Offer.
* call-arrived: a call arrives in a queue with free members and is offered by
  the queue's strategy. The 10,000 waiting calls sit in the other half of the
  queues, whose members are all busy (so free agents exist at all).

Only ``Engine.handle`` of the measured event is timed; the answer and the new
call that keep the population steady are not. ``decisions_per_s`` in
``extra_info`` is the compiled build's figure; the others sit beside it.
"""
from __future__ import annotations

import itertools
import time
import tracemalloc
from collections import deque

from acd_core import acd
from tests.acd_core.acd.naive import NaiveAcd, _Call, call_stream, population
from tests.support.builds import load

AGENTS, QUEUES, WAITING = 1000, 50, 10_000


class Steady:
    """One implementation at the benchmark size, kept in a steady state."""

    def __init__(self, impl: str, halves: bool, like: "Steady | None" = None) -> None:
        self.impl = impl
        self.eng = NaiveAcd() if impl == "naive" else load("acd_core.acd._engine", impl).Engine()
        queues, agents = population(AGENTS, QUEUES, halves=halves)
        for q in queues:
            self.eng.add_queue(q)
        for a in agents:
            self.eng.add_agent(a)
        self.t = 0.0
        self.ids = itertools.count()
        self.busy: deque[tuple[str, str]] = deque()
        self.waiting = 0
        self.stream = call_stream(QUEUES, queues=range(QUEUES // 2) if halves else None)
        self.fresh = call_stream(QUEUES, seed=5, queues=range(QUEUES // 2, QUEUES))
        if like is not None:
            self._copy(like, agents)
            return
        for a in agents:
            self.feed(acd.AgentLoggedIn(t=0.0, agent=a.agent))
            self.feed(acd.AgentReachable(t=0.0, agent=a.agent, reachable=True))
        while self.waiting < WAITING:
            self.arrive(self.stream)

    def _copy(self, ref: "Steady", agents) -> None:
        """The naive engine rescans on every event, so it is filled directly with
        the state an engine reached (every agent busy, 10,000 waiting)."""
        snap = ref.eng.snapshot()
        eng = self.eng
        for a in agents:
            na = eng.agents[a.agent]
            na.logged_in = na.reachable = True
            na.login_t = 0.0
        for cid, c in sorted(snap["calls"].items(), key=lambda kv: kv[1]["join"]):
            eng.seq += 1
            req = {k: float(v) for k, v in eng.queues[c["queue"]].skills.items()}
            call = _Call(cid, c["queue"], c["priority"], c["join"], eng.seq, req)
            eng.calls[cid] = call
            if c["state"] == "waiting":
                eng.order.append((call.key(0.0), cid))
            else:
                eng.agents[c["agents"][0]].busy = cid
        eng.order.sort()
        self.busy = deque(ref.busy)
        self.waiting = len(eng.order)
        self.t = ref.t
        self.ids = itertools.count(next(ref.ids) + 10**6)

    def feed(self, ev):
        out = self.eng.handle(ev)
        if self.impl == "naive":
            offers = out
        else:
            offers = [(d.call, d.agent) for d in out if type(d) is acd.Offer]
        for call, agent in offers:
            self.eng.handle(acd.OfferAccepted(t=self.t, call=call, agent=agent))
            self.busy.append((agent, call))
            self.waiting -= 1
        return offers

    def arrive(self, stream):
        self.t += 0.001
        queue, prio, skills = next(stream)
        self.waiting += 1
        return self.feed(acd.CallQueued(t=self.t, call=f"c{next(self.ids)}", queue=queue,
                                        priority=prio, skills=skills))

    def agent_freed(self, n: int) -> tuple[int, float]:
        """n calls end; returns (offers made by those events, seconds in handle)."""
        made, spent = 0, 0.0
        for _ in range(n):
            agent, call = self.busy.popleft()
            self.t += 0.001
            ev = acd.CallEnded(t=self.t, call=call, agent=agent)
            t0 = time.perf_counter()
            out = self.eng.handle(ev)
            spent += time.perf_counter() - t0
            offers = out if self.impl == "naive" else [(d.call, d.agent) for d in out
                                                        if type(d) is acd.Offer]
            made += len(offers)
            for c, a in offers:
                self.eng.handle(acd.OfferAccepted(t=self.t, call=c, agent=a))
                self.busy.append((a, c))
                self.waiting -= 1
            self.arrive(self.stream)       # keep 10,000 waiting
        return made, spent

    def call_arrived(self, n: int) -> tuple[int, float]:
        made, spent = 0, 0.0
        for _ in range(n):
            self.t += 0.001
            queue, prio, skills = next(self.fresh)
            ev = acd.CallQueued(t=self.t, call=f"c{next(self.ids)}", queue=queue, priority=prio,
                                skills=skills)
            t0 = time.perf_counter()
            out = self.eng.handle(ev)
            spent += time.perf_counter() - t0
            offers = out if self.impl == "naive" else [(d.call, d.agent) for d in out
                                                        if type(d) is acd.Offer]
            made += len(offers)
            for c, a in offers:                 # answer and hang up at once: free again
                self.eng.handle(acd.OfferAccepted(t=self.t, call=c, agent=a))
                self.eng.handle(acd.CallEnded(t=self.t, call=c, agent=a))
        return made, spent


def _rate(steady: Steady, scenario: str, n: int) -> float:
    made, spent = getattr(steady, scenario)(n)
    assert made >= 0.9 * n, (scenario, steady.impl, made, n)   # nearly every event decides
    return made / spent


def _run(benchmark, scenario: str, halves: bool) -> None:
    compiled = Steady("compiled", halves)
    pure = Steady("pure", halves)
    naive = Steady("naive", halves, like=pure)
    pure_rate = _rate(pure, scenario, 2000)
    naive_rate = _rate(naive, scenario, 40)
    rates = []

    def batch():
        rates.append(_rate(compiled, scenario, 2000))

    benchmark.pedantic(batch, rounds=5, iterations=1, warmup_rounds=1)
    rate = max(rates)
    benchmark.extra_info.update({
        "decisions_per_s": round(rate), "pure_decisions_per_s": round(pure_rate),
        "naive_decisions_per_s": round(naive_rate),
        "compiled_over_pure": round(rate / pure_rate, 2),
        "compiled_over_naive": round(rate / naive_rate, 1),
        "pure_over_naive": round(pure_rate / naive_rate, 1),
        "agents": AGENTS, "queues": QUEUES, "waiting_calls": compiled.waiting,
    })


def test_acd_agent_freed_decisions(benchmark):
    _run(benchmark, "agent_freed", halves=False)


def test_acd_call_arrived_decisions(benchmark):
    _run(benchmark, "call_arrived", halves=True)


def test_acd_memory_per_waiting_call(benchmark):
    """Bytes the engine holds per waiting call (call object, bucket slot, its
    deadlines: max wait, announcements, one escalation row), measured with
    tracemalloc on both builds; the caller's ids and events are not counted."""
    figures = {}
    for build in ("compiled", "pure"):
        eng = load("acd_core.acd._engine", build).Engine()
        queues, agents = population(AGENTS, QUEUES)
        for q in queues:
            eng.add_queue(acd.QueueSpec(name=q.name, strategy=q.strategy, skills=q.skills,
                                        max_wait=3600.0, announce_every=60.0,
                                        escalation=(acd.Escalation(after=0.0, max_penalty=0),
                                                    acd.Escalation(after=60.0))))
        for a in agents:
            eng.add_agent(a)                  # logged out: every call waits
        stream = call_stream(QUEUES)
        events = [acd.CallQueued(t=i * 0.001, call=f"c{i}", queue=q, priority=p, skills=s)
                  for i, (q, p, s) in zip(range(WAITING), stream)]
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for ev in events:
            eng.handle(ev)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        figures[build] = (after - before) / WAITING
        assert sum(len(eng.waiting(q.name)) for q in queues) == WAITING
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update({"bytes_per_waiting_call_compiled": round(figures["compiled"]),
                                 "bytes_per_waiting_call_pure": round(figures["pure"])})

"""Simulated call-center traffic through the real ACD engine, to grade wait estimates.

A discrete-event simulation on the engine's own time: callers arrive (Poisson, at a
rate that may change over the day), wait, hang up when their patience runs out,
agents answer an offer after a ring delay, talk for a drawn time, wrap up, and log in
and out at shift changes. Every input goes through ``acd_core.acd.Engine.handle``
exactly as the daemon feeds it, and the same inputs and decisions go to
``acd_core.ewt.WaitEstimator``. At each ``Announce`` the engine makes (every
``announce_every`` seconds of a caller's wait, as the daemon would announce), both
estimates are taken for that caller:

* ours: ``WaitEstimator.estimate(call, t)``;
* Asterisk's: the queue's hold time smoothed per answered call,
  ``(3 * old + new) / 4`` (``Announce.ewt``, computed by the engine on the same calls),
  minus the time already waited, as app_queue announces it (not rounded to minutes
  here, which would only add to its error).

When the caller is answered the true remaining wait is known; announcements made to
callers who hung up are not graded (there is no true wait to compare with).
"""
from __future__ import annotations

import heapq
import math
import random
import statistics
from dataclasses import dataclass, field
from typing import Callable

from acd_core import acd
from acd_core.ewt import WaitEstimator


@dataclass
class Scenario:
    name: str
    agents: int
    rate: Callable[[float], float]             # arrivals per second at time t
    talk: Callable[[random.Random], float]
    patience_mean: float                       # exponential; inf: nobody hangs up
    hours: float
    wrapup: float = 10.0
    ring: float = 4.0
    announce_every: float = 30.0
    staffing: list[tuple[float, int]] = field(default_factory=list)   # (t, agents logged in)
    queues: tuple[str, ...] = ("q",)
    vip_share: float = 0.0                     # share of callers with priority 5
    seed: int = 1


@dataclass
class Sample:
    call: str
    t: float
    ours: float | None
    asterisk: float | None


@dataclass
class Result:
    scenario: str
    calls: int
    answered: int
    abandoned: int
    samples: int
    ours_mae: float
    asterisk_mae: float
    ours_rmse: float
    asterisk_rmse: float
    ours_p90: float
    asterisk_p90: float
    ours_within_60: float
    asterisk_within_60: float
    mean_wait: float

    @property
    def ratio(self) -> float:
        return self.ours_mae / self.asterisk_mae if self.asterisk_mae else float("nan")


def exp_talk(mean: float) -> Callable[[random.Random], float]:
    return lambda rng: rng.expovariate(1.0 / mean)


def lognormal_talk(mean: float, sigma: float) -> Callable[[random.Random], float]:
    mu = math.log(mean) - sigma * sigma / 2
    return lambda rng: rng.lognormvariate(mu, sigma)


def run(sc: Scenario) -> Result:
    rng = random.Random(sc.seed)
    eng = acd.Engine(sc.seed)
    est = WaitEstimator()
    qspecs = [acd.QueueSpec(name=q, wrapup=sc.wrapup, announce_every=sc.announce_every,
                            ring_timeout=None) for q in sc.queues]
    aspecs = [acd.AgentSpec(agent=f"a{i}", queues={q: 0 for q in sc.queues})
              for i in range(sc.agents)]
    for q in qspecs:
        eng.add_queue(q)
    for a in aspecs:
        eng.add_agent(a)
    est.configure(qspecs, aspecs)
    end = sc.hours * 3600
    timeline: list[tuple[float, int, str, tuple]] = []
    seq = 0

    def at(t: float, kind: str, *args: object) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(timeline, (t, seq, kind, args))

    logged: set[str] = set()
    ringing: dict[str, str] = {}            # call -> agent
    connected: set[str] = set()
    answered_at: dict[str, float] = {}
    gone: set[str] = set()
    samples: list[Sample] = []
    joined: dict[str, float] = {}
    arrivals = 0

    def feed(ev: object) -> None:
        decisions = eng.handle(ev)
        est.observe(ev, decisions)
        for d in decisions:
            if isinstance(d, acd.Offer):
                ringing[d.call] = d.agent
                at(d.t + sc.ring, "accept", d.call, d.agent)
            elif isinstance(d, acd.Announce):
                ast = None if d.ewt is None else max(0.0, d.ewt - d.waited)
                samples.append(Sample(d.call, d.t, est.estimate(d.call, d.t), ast))
        nd = eng.next_deadline()
        if nd is not None:
            at(nd, "tick")

    def staff(t: float, n: int) -> None:
        want = {f"a{i}" for i in range(n)}
        for a in sorted(want - logged):
            feed(acd.AgentLoggedIn(t=t, agent=a))
            feed(acd.AgentReachable(t=t, agent=a, reachable=True))
        for a in sorted(logged - want):
            feed(acd.AgentLoggedOut(t=t, agent=a))
        logged.clear()
        logged.update(want)

    staff(0.0, sc.staffing[0][1] if sc.staffing and sc.staffing[0][0] == 0 else sc.agents)
    for t, n in sc.staffing:
        if t > 0:
            at(t, "staff", n)
    # Poisson arrivals at a changing rate, by thinning against the peak rate
    peak = max(sc.rate(x * 60.0) for x in range(int(end / 60) + 1))
    t = 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= end:
            break
        if rng.random() <= sc.rate(t) / peak:
            at(t, "arrive")
    last_tick = -1.0
    while timeline:
        t, _, kind, args = heapq.heappop(timeline)
        if kind == "tick":
            if t <= last_tick or eng.next_deadline() is None or eng.next_deadline() > t:
                continue
            last_tick = t
            feed(acd.Tick(t=t))
        elif kind == "arrive":
            arrivals += 1
            call = f"c{arrivals}"
            queue = sc.queues[arrivals % len(sc.queues)]
            prio = 5 if rng.random() < sc.vip_share else 0
            feed(acd.CallQueued(t=t, call=call, queue=queue, priority=prio))
            if math.isfinite(sc.patience_mean):
                at(t + rng.expovariate(1.0 / sc.patience_mean), "abandon", call, t)
            joined[call] = t
        elif kind == "accept":
            call, agent = args
            if ringing.get(call) == agent and call not in gone:
                del ringing[call]
                connected.add(call)
                answered_at[call] = t
                feed(acd.OfferAccepted(t=t, call=call, agent=agent))
                at(t + sc.talk(rng), "end", call, agent)
        elif kind == "end":
            call, agent = args
            feed(acd.CallEnded(t=t, call=call, agent=agent))
        elif kind == "abandon":
            call, _ = args
            if call not in connected:
                gone.add(call)
                ringing.pop(call, None)
                feed(acd.CallAbandoned(t=t, call=call))
        elif kind == "staff":
            staff(t, args[0])
    # graded: announcements to callers later answered, where both estimates exist
    both = [s for s in samples if s.call in answered_at
            and s.ours is not None and s.asterisk is not None]
    e_ours = [abs(s.ours - (answered_at[s.call] - s.t)) for s in both]           # type: ignore[operator]
    e_ast = [abs(s.asterisk - (answered_at[s.call] - s.t)) for s in both]       # type: ignore[operator]
    return Result(
        sc.name, arrivals, len(answered_at), len(gone), len(both),
        _mean(e_ours), _mean(e_ast), _rmse(e_ours), _rmse(e_ast), _p90(e_ours), _p90(e_ast),
        _share(e_ours, 60), _share(e_ast, 60),
        _mean([answered_at[c] - joined[c] for c in answered_at]))


def _mean(x: list[float]) -> float:
    return round(statistics.fmean(x), 1) if x else float("nan")


def _rmse(x: list[float]) -> float:
    return round(math.sqrt(statistics.fmean(v * v for v in x)), 1) if x else float("nan")


def _p90(x: list[float]) -> float:
    return round(sorted(x)[int(0.9 * (len(x) - 1))], 1) if x else float("nan")


def _share(x: list[float], limit: float) -> float:
    return round(sum(1 for v in x if v <= limit) / len(x), 3) if x else float("nan")


def scenarios(hours: float) -> list[Scenario]:
    """Traffic a small office sees: steady, small team with long-tailed calls, a morning
    peak, a shift change that halves the staff, two queues sharing agents with VIPs."""
    def peak(base: float, top: float) -> Callable[[float], float]:
        # a bell around the middle of the day
        mid = hours * 3600 / 2
        return lambda t: base + (top - base) * math.exp(-((t - mid) / 2400.0) ** 2)
    return [
        Scenario("steady-10-agents", 10, lambda t: 10 * 0.9 / 190.0, exp_talk(180.0), 300.0,
                 hours),
        Scenario("small-team-lognormal", 3, lambda t: 3 * 0.85 / 250.0,
                 lognormal_talk(240.0, 0.9), 600.0, hours, seed=2),
        Scenario("morning-peak", 8, peak(8 * 0.6 / 190.0, 8 * 1.15 / 190.0), exp_talk(180.0),
                 240.0, hours, seed=3),
        Scenario("shift-change", 12, lambda t: 12 * 0.7 / 190.0, exp_talk(180.0), 400.0,
                 hours, staffing=[(0.0, 12), (hours * 3600 * 0.4, 7),
                                  (hours * 3600 * 0.7, 12)], seed=4),
        Scenario("two-queues-vip", 6, lambda t: 6 * 0.9 / 190.0, lognormal_talk(180.0, 0.6),
                 500.0, hours, queues=("sales", "support"), vip_share=0.2, seed=5),
    ]

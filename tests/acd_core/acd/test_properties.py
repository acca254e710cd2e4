"""Hypothesis state machines over random configurations and event sequences.

An independent model, fed only with the events and the engine's decisions,
checks after every decision and every event:

* one global order: an agent offered a call had no waiting call it could take
  that comes first (priority, then join time, then queue weight, then arrival),
  across every queue it serves - eligibility is recomputed here from the specs;
* no agent is offered a call unless its last reported state was available, so
  never two at once; a call rings several agents only under ring-all /
  ring-progressively, and at most one agent is ever connected to it; a due
  callback reserves exactly one agent, whatever the strategy;
* an offer that times out, is declined or fails puts the call back in its place
  (the waiting lists and positions equal the model's, in the model's order);
* work conservation: with no deadline due, no available agent is eligible for a
  waiting call (so wrap-up, pause, reachability and auto-pause are respected the
  other way round too: those agents are never "available" here);
* the compiled and the pure build make identical decisions for the same inputs;
* replaying the inputs into a fresh engine restores the same state (restart).
"""
from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, \
    run_state_machine_as_test

from acd_core import acd
from acd_core.acd import (AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentReachable, AgentSpec,
                          AgentUnpaused, CallAbandoned, CallbackRequested, CallEnded, CallQueued,
                          Escalation, Membership, OfferAccepted, OfferDeclined, OfferFailed,
                          OfferTimedOut, QueueSpec, Tick)
from tests.support.builds import load

AGENTS = ("a1", "a2", "a3", "a4")
QUEUES = ("q1", "q2", "q3")
SKILLS = ("en", "fr")
MULTI = ("ring-all", "ring-progressively")


def queue_specs(draw):
    specs = []
    for i, name in enumerate(QUEUES):
        esc = ()
        if draw(st.booleans()):
            esc = (Escalation(after=0.0, max_penalty=0, min_level=draw(st.sampled_from([None, 2]))),
                   Escalation(after=draw(st.sampled_from([5.0, 20.0])), max_penalty=1, min_level=1),
                   Escalation(after=40.0, min_level=0))
        specs.append(QueueSpec(
            name=name, strategy=draw(st.sampled_from(acd.STRATEGIES)),
            skills=draw(st.sampled_from([{}, {}, {"en": 1}])),
            wrapup=draw(st.sampled_from([0.0, 5.0])),
            max_wait=draw(st.sampled_from([None, None, 60.0])),
            overflow=draw(st.sampled_from([None, QUEUES[(i + 1) % 3], "voicemail"])),
            max_len=draw(st.sampled_from([None, None, 3])),
            join_empty=draw(st.sampled_from([(), (), ("unavailable",)])),
            leave_empty=draw(st.sampled_from([(), (), ("unavailable", "paused")])),
            announce_every=draw(st.sampled_from([None, 15.0])),
            callback_offer_after=draw(st.sampled_from([None, 30.0])),
            weight=draw(st.integers(0, 2)),
            ring_timeout=draw(st.sampled_from([None, 10.0, 15.0])),
            ring_step=draw(st.sampled_from([3.0, 10.0])),
            escalation=esc))
    return specs


def agent_specs(draw):
    specs = []
    for name in AGENTS:
        qs = draw(st.lists(st.sampled_from(QUEUES), min_size=1, max_size=3, unique=True))
        specs.append(AgentSpec(
            agent=name,
            queues={q: Membership(penalty=draw(st.integers(0, 2)),
                                  weight=draw(st.sampled_from([0.0, 1.0, 2.0])),
                                  position=draw(st.sampled_from([None, 0, 1])))
                    for q in qs},
            skills={s: draw(st.integers(0, 3)) for s in SKILLS},
            max_no_answer=draw(st.sampled_from([0, 2])),
            retry_delay=draw(st.sampled_from([0.0, 3.0])),
            wrapup=draw(st.sampled_from([None, None, 0.0]))))
    return specs


class Model:
    """What the decisions say, checked against the specs."""

    def __init__(self, queues, agents):
        self.q = {s.name: s for s in queues}
        self.a = {s.agent: s for s in agents}
        self.state = {a: "logged-out" for a in self.a}
        self.waiting: dict[str, dict] = {}     # call -> facts
        self.calls: dict[str, dict] = {}       # every live call
        self.ringing: dict[str, set] = {}
        self.connected: dict[str, str] = {}
        self.seq = 0

    def eligible(self, agent, c, now):
        ms = self.a[agent].queues.get(c["queue"])
        if ms is None:
            return False
        q = self.q[c["queue"]]
        rows = q.escalation or (Escalation(after=0.0),)
        row = [r for r in rows if c["join"] + r.after <= now][-1]
        if row.max_penalty is not None and ms.penalty > row.max_penalty:
            return False
        req = dict(q.skills)
        for k, v in c["skills"].items():
            req[k] = max(req.get(k, -math.inf), v)
        cap = math.inf if row.min_level is None else row.min_level
        return all(self.a[agent].skills.get(k, 0) >= min(v, cap) for k, v in req.items())

    def key(self, c):
        return (-c["prio"], c["join"], -self.q[c["queue"]].weight, c["seq"])

    def on_event(self, ev):
        if isinstance(ev, CallQueued):
            self.seq += 1
            c = {"call": ev.call, "queue": ev.queue, "prio": ev.priority, "skills": ev.skills,
                 "join": ev.t if ev.joined is None else min(ev.joined, ev.t), "seq": self.seq,
                 "callback": ev.callback}
            self.calls[ev.call] = c
            self.waiting[ev.call] = c
        elif isinstance(ev, OfferAccepted):
            if ev.agent in self.ringing.get(ev.call, ()):
                self.connected[ev.call] = ev.agent
                self.ringing[ev.call] = {a for a in self.ringing[ev.call] if a != ev.agent}
        elif isinstance(ev, (OfferDeclined, OfferTimedOut, OfferFailed)):
            self.ringing.get(ev.call, set()).discard(ev.agent)
        elif isinstance(ev, CallEnded):
            if self.connected.get(ev.call) == ev.agent:
                del self.connected[ev.call]
                self.calls.pop(ev.call)
        elif isinstance(ev, CallAbandoned):
            if ev.call in self.calls and ev.call not in self.connected:
                self.waiting.pop(ev.call, None)
                self.ringing.pop(ev.call, None)
                self.calls.pop(ev.call)
        elif isinstance(ev, CallbackRequested):
            if ev.call in self.calls and ev.call not in self.connected:
                self.calls[ev.call]["callback"] = True

    def on_decision(self, d):
        if isinstance(d, (acd.Offer, acd.CallbackDue)):
            assert self.state[d.agent] == "available", (d, self.state[d.agent])
            assert all(d.agent not in r for r in self.ringing.values()), d
            c = self.calls[d.call]
            assert isinstance(d, acd.CallbackDue) == c["callback"], d
            # a due callback reserves exactly one agent, whatever the strategy
            assert not (c["callback"] and self.ringing.get(d.call)), \
                f"callback {d.call} reserves {d.agent} on top of {self.ringing[d.call]}: {self}"
            if d.call in self.waiting:
                assert not self.ringing.get(d.call), d
                del self.waiting[d.call]
            else:
                assert self.ringing.get(d.call) and self.q[c["queue"]].strategy in MULTI, d
            assert self.eligible(d.agent, c, d.t), d
            better = [o["call"] for o in self.waiting.values()
                      if self.key(o) < self.key(c) and self.eligible(d.agent, o, d.t)]
            assert not better, f"{d.agent} got {d.call} before {better} at {d.t}: {d.reason} {self}"
            self.ringing.setdefault(d.call, set()).add(d.agent)
        elif isinstance(d, acd.OfferCancelled):
            if d.why != "lost-race":
                self.ringing.get(d.call, set()).discard(d.agent)
            else:
                assert self.connected.get(d.call) not in (None, d.agent), d
        elif isinstance(d, acd.Requeued):
            assert not self.ringing.get(d.call), d
            self.waiting[d.call] = self.calls[d.call]
        elif isinstance(d, acd.Overflow):
            self.waiting.pop(d.call, None)
            self.ringing.pop(d.call, None)
            c = self.calls[d.call]
            c["hops"] = c.get("hops", 0) + 1
            if d.target in self.q and d.target != c["queue"] and c["hops"] <= len(self.q):
                c["queue"] = d.target           # re-entered: the next decisions say if it waits
                self.waiting[d.call] = c
            else:
                self.calls.pop(d.call)
        elif isinstance(d, acd.AgentState):
            self.state[d.agent] = d.state

    def __repr__(self):
        return f"Model(queues={list(self.q.values())}, agents={list(self.a.values())})"


class AcdMachine(RuleBasedStateMachine):
    build = "compiled"

    def __init__(self):
        super().__init__()
        self.now = 0.0
        self.n = 0
        self.inputs: list = []

    @initialize(data=st.data())
    def setup(self, data):
        draw = data.draw
        self.queues = queue_specs(draw)
        self.agents = agent_specs(draw)
        self.seed = draw(st.integers(0, 3))
        other = "pure" if self.build == "compiled" else "compiled"
        self.engines = [load("acd_core.acd._engine", b).Engine(seed=self.seed)
                        for b in (self.build, other)]
        for eng in self.engines:
            for q in self.queues:
                eng.add_queue(q)
            for a in self.agents:
                eng.add_agent(a)
        self.model = Model(self.queues, self.agents)
        for name in AGENTS:
            self.feed(AgentLoggedIn(t=0.0, agent=name))
            self.feed(AgentReachable(t=0.0, agent=name, reachable=True))
        self.ready = True

    # -- plumbing ---------------------------------------------------------------
    def feed(self, ev):
        self.inputs.append(ev)
        out, shadow = (eng.handle(ev) for eng in self.engines)
        assert out == shadow, f"compiled and pure builds disagree: {self.model} {self.inputs}"
        for d in out:
            event(type(d).__name__ + ("" if not isinstance(d, acd.Offer) else
                                      ":" + d.reason["trigger"]))
        try:
            i = 0
            while i < len(out) and out[i].t < ev.t:     # deadlines that fell due before the event
                self.model.on_decision(out[i])
                i += 1
            self.model.on_event(ev)
            for d in out[i:]:
                self.model.on_decision(d)
        except AssertionError:
            if os.environ.get("ACD_DUMP"):
                with open(os.environ["ACD_DUMP"], "w") as f:
                    f.write(f"{self.model} {self.inputs}\n")
            raise
        self.check_after_event(ev.t)
        return out

    def step(self, dt):
        self.now += dt
        return self.now

    def pick(self, seq, i):
        seq = sorted(seq)
        return seq[i % len(seq)] if seq else None

    # -- rules --------------------------------------------------------------------
    @rule(dt=st.sampled_from([0.0, 0.5, 2.0]), q=st.sampled_from(QUEUES),
          prio=st.sampled_from([0, 0, 1]), skills=st.sampled_from([{}, {}, {"fr": 1}, {"fr": 3}]),
          callback=st.sampled_from([False, False, True]), back=st.sampled_from([0.0, 30.0]))
    def call_arrives(self, dt, q, prio, skills, callback, back):
        t = self.step(dt)
        self.n += 1
        self.feed(CallQueued(t=t, call=f"c{self.n}", queue=q, priority=prio, skills=skills,
                             callback=callback, joined=t - back if callback else None))

    @rule(dt=st.sampled_from([0.0, 1.0]), i=st.integers(0, 10), a=st.sampled_from(AGENTS),
          kind=st.sampled_from([OfferAccepted, OfferAccepted, OfferAccepted, OfferDeclined,
                                OfferTimedOut, OfferFailed, "stray"]))
    def answer(self, dt, i, a, kind):
        if kind == "stray":       # a late or wrong accept (a ring-all loser pressing too late)
            call = self.pick(list(self.model.calls), i)
            if call is not None and a not in self.model.ringing.get(call, ()):
                self.feed(OfferAccepted(t=self.now, call=call, agent=a))
            return
        pairs = [(c, x) for c, agents in self.model.ringing.items() for x in agents]
        pair = self.pick(pairs, i)
        if pair is not None:
            self.feed(kind(t=self.step(dt), call=pair[0], agent=pair[1]))

    @rule(dt=st.sampled_from([1.0, 20.0]), i=st.integers(0, 10))
    def hang_up(self, dt, i):
        pair = self.pick(self.model.connected.items(), i)
        if pair is not None:
            self.feed(CallEnded(t=self.step(dt), call=pair[0], agent=pair[1],
                                hold=0.0, transfer=None))

    @rule(dt=st.sampled_from([0.0, 1.0]), i=st.integers(0, 10), callback=st.booleans())
    def caller_leaves(self, dt, i, callback):
        if callback:
            call = self.pick(list(self.model.waiting), i)
            if call is not None:
                self.feed(CallbackRequested(t=self.now, call=call))
            return
        call = self.pick([c for c in self.model.calls if c not in self.model.connected], i)
        if call is not None:
            self.feed(CallAbandoned(t=self.step(dt), call=call))

    @rule(a=st.sampled_from(AGENTS), what=st.sampled_from(
        ["login", "logout", "reach", "unreach", "pause", "pause2", "unpause", "unpause"]))
    def agent_changes(self, a, what):
        t = self.now
        ev = {"login": lambda: AgentLoggedIn(t=t, agent=a),
              "logout": lambda: AgentLoggedOut(t=t, agent=a),
              "reach": lambda: AgentReachable(t=t, agent=a, reachable=True),
              "unreach": lambda: AgentReachable(t=t, agent=a, reachable=False),
              "pause": lambda: AgentPaused(t=t, agent=a, reason="lunch"),
              "pause2": lambda: AgentPaused(t=t, agent=a, reason="coaching"),
              "unpause": lambda: AgentUnpaused(t=t, agent=a)}[what]()
        self.feed(ev)

    @rule(dt=st.sampled_from([1.0, 3.0, 5.0, 10.0, 30.0]))
    def time_passes(self, dt):
        self.feed(Tick(t=self.step(dt)))

    @precondition(lambda self: self.engines[0].next_deadline() is not None)
    @rule()
    def next_deadline(self):
        d = self.engines[0].next_deadline()
        self.now = max(self.now, d)
        self.feed(Tick(t=self.now))

    # -- checks -------------------------------------------------------------------
    def check_after_event(self, now):
        eng, m = self.engines[0], self.model
        for a in AGENTS:
            assert eng.agent_state(a)[0] == m.state[a]
        ringing_agents = [a for agents in m.ringing.values() for a in agents]
        assert sorted(ringing_agents) == sorted(set(ringing_agents))
        assert sorted(ringing_agents) == sorted(a for a in AGENTS if m.state[a] == "ringing")
        for call, agents in m.ringing.items():
            if len(agents) > 1:
                assert m.q[m.calls[call]["queue"]].strategy in MULTI
                assert not m.calls[call]["callback"], (call, agents)
        snap = eng.snapshot()["calls"]
        assert set(snap) == set(m.calls)
        for call, agent in m.connected.items():
            assert snap[call]["state"] == "connected" and snap[call]["agents"] == [agent]
        for q in QUEUES:
            mine = sorted((c for c in m.waiting.values() if c["queue"] == q), key=m.key)
            assert eng.waiting(q) == [c["call"] for c in mine]
            for pos, c in enumerate(mine, 1):
                assert eng.position(c["call"]) == pos
        nd = eng.next_deadline()
        if nd is None or nd > now:
            for a in AGENTS:
                if m.state[a] == "available":
                    able = [c["call"] for c in m.waiting.values() if m.eligible(a, c, now)]
                    assert not able, f"{a} idles while {able} wait (t={now})"

    def teardown(self):
        if not getattr(self, "ready", False):
            return
        fresh = load("acd_core.acd._engine", self.build).Engine(seed=self.seed)
        for q in self.queues:
            fresh.add_queue(q)
        for a in self.agents:
            fresh.add_agent(a)
        for ev in self.inputs:
            fresh.handle(ev)
        assert fresh.snapshot() == self.engines[0].snapshot()


def test_engine_invariants_and_builds_agree(build):
    machine = type(f"AcdMachine_{build}", (AcdMachine,), {"build": build})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=int(os.environ.get("ACD_EXAMPLES", "60")), stateful_step_count=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


# -- a due callback reserves exactly one agent -------------------------------------

@settings(max_examples=int(os.environ.get("ACD_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])   # build is a constant
@given(strategy=st.sampled_from(acd.STRATEGIES), data=st.data())
def test_a_due_callback_reserves_exactly_one_agent_whatever_the_strategy(build, strategy, data):
    """However the caller became a callback (entered as one, or asked while
    waiting or while its offer rang) and whenever agents free up, every
    ``CallbackDue`` names an agent no other decision reserved for that call,
    and once one is due no other member rings for it until it comes back."""
    draw = data.draw
    n = draw(st.integers(1, 5))
    eng = load("acd_core.acd._engine", build).Engine(seed=draw(st.integers(0, 3)))
    eng.add_queue(QueueSpec(name="q", strategy=strategy, ring_step=draw(st.sampled_from([1.0, 5.0])),
                            ring_timeout=draw(st.sampled_from([None, 8.0]))))
    agents = [f"a{i}" for i in range(n)]
    for i, a in enumerate(agents):
        eng.add_agent(AgentSpec(agent=a, queues={"q": Membership(penalty=draw(st.integers(0, 1)),
                                                                 weight=1.0)},
                                retry_delay=0.0, max_no_answer=0))
    reserved: dict[str, set] = {}
    t = 0.0

    def feed(ev):
        for d in eng.handle(ev):
            if isinstance(d, (acd.Offer, acd.CallbackDue)):
                if isinstance(d, acd.CallbackDue):
                    assert not reserved.get(d.call), (d, reserved)
                reserved.setdefault(d.call, set()).add(d.agent)
            elif isinstance(d, acd.OfferCancelled):
                reserved.get(d.call, set()).discard(d.agent)
            elif isinstance(d, acd.Requeued):
                assert not reserved.get(d.call), d

    for a in agents[:draw(st.integers(0, n))]:           # some free before the call
        feed(AgentLoggedIn(t=t, agent=a))
        feed(AgentReachable(t=t, agent=a, reachable=True))
    how = draw(st.sampled_from(["entered", "asked-waiting", "asked-ringing"]))
    feed(CallQueued(t=1.0, call="c", queue="q", callback=how == "entered",
                    joined=0.0 if how == "entered" else None))
    for step in range(draw(st.integers(1, 8))):
        t = 1.0 + step + draw(st.sampled_from([0.0, 0.5, 3.0]))
        what = draw(st.sampled_from(["free", "free", "pause", "tick", "fail", "ask"]))
        a = draw(st.sampled_from(agents))
        if what == "free":
            feed(AgentLoggedIn(t=t, agent=a))
            feed(AgentReachable(t=t, agent=a, reachable=True))
            feed(AgentUnpaused(t=t, agent=a))
        elif what == "pause":
            feed(AgentPaused(t=t, agent=a, reason="lunch"))
        elif what == "tick":
            feed(Tick(t=t))
        elif what == "fail":
            # A failure is reported for an offer that is still ringing: the engine's own
            # ring timer (due before t) runs first, as it would have on time. Without this
            # Tick the failure could land on the fresh offer the timeout made to the same
            # agent (events carry no offer id; the daemon, which owns the ring timeout in
            # the product, never reports on an offer the engine has withdrawn).
            feed(Tick(t=t))
            if reserved.get("c"):
                failed = sorted(reserved["c"])[0]
                reserved["c"].discard(failed)
                feed(OfferFailed(t=t, call="c", agent=failed))
        elif what == "ask" and how != "entered":
            feed(CallbackRequested(t=t, call="c"))
        snap = eng.snapshot()["calls"].get("c")
        if snap is not None and snap["callback"]:
            assert len(snap["agents"]) <= 1, snap
    feed(Tick(t=t + 60.0))
    snap = eng.snapshot()["calls"].get("c")
    if snap is not None and snap["callback"]:
        assert len(snap["agents"]) <= 1, snap

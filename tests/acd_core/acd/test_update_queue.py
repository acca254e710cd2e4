"""Changing the rules of a running queue (``Engine.update_queue``): waiting calls keep
their place, their deadlines follow the new rules, what the engine cannot change in
place is refused by name, and a trace holding the change replays to the same decisions."""
from __future__ import annotations

import pytest

from acd_core.acd import (AgentPaused, AgentSpec, Announce, CallQueued,
                          CallbackRequested, Escalation, Offer, OfferCallback, Overflow,
                          QueueSpec, Tick, trace)
from acd_core.errors import ConfigError


def overflows(out):
    return [(d.call, d.target, d.why, d.waited) for d in out if isinstance(d, Overflow)]


def paused_queue(harness, **rules):
    h = harness(QueueSpec(name="q", **rules), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a", reason="lunch"))
    return h


def test_a_shorter_max_wait_overflows_a_waiting_call_counted_from_when_it_entered(harness):
    h = paused_queue(harness, max_wait=100.0, overflow="voicemail")
    h(CallQueued(t=10.0, call="old", queue="q"))
    h(CallQueued(t=50.0, call="new", queue="q"))
    assert h.eng.update_queue(QueueSpec(name="q", max_wait=30.0, overflow="voicemail")) == []
    assert h.eng.next_deadline() == 40.0                     # old: entered at 10
    out = h(Tick(t=60.0))                                    # due before the change (50):
    assert overflows(out) == [("old", "voicemail", "max-wait", 40.0)]   # goes at 50
    assert [d.t for d in out if isinstance(d, Overflow)] == [50.0]
    assert h.eng.waiting("q") == ["new"]
    assert overflows(h(Tick(t=80.0))) == [("new", "voicemail", "max-wait", 30.0)]


def test_a_longer_max_wait_retires_the_old_deadline(harness):
    h = paused_queue(harness, max_wait=30.0)
    h(CallQueued(t=0.0, call="c", queue="q"))
    h.eng.update_queue(QueueSpec(name="q", max_wait=300.0))
    assert overflows(h(Tick(t=30.0))) == []
    assert h.eng.waiting("q") == ["c"]
    assert h.eng.next_deadline() == 300.0


def test_announcements_follow_the_new_period_from_the_change(harness):
    h = paused_queue(harness, announce_every=60.0)
    h(CallQueued(t=0.0, call="c", queue="q"))
    h(Tick(t=10.0))                                          # the engine's time is now 10
    h.eng.update_queue(QueueSpec(name="q", announce_every=20.0))
    assert [d.t for d in h(Tick(t=60.0)) if isinstance(d, Announce)] == [30.0, 50.0]
    h.eng.update_queue(QueueSpec(name="q"))                  # announcements off
    assert [d for d in h(Tick(t=500.0)) if isinstance(d, Announce)] == []
    assert h.eng.next_deadline() is None


def test_leave_when_empty_added_sends_callers_out_at_once_and_keeps_callbacks(harness):
    h = paused_queue(harness, overflow="voicemail")
    h(CallQueued(t=0.0, call="caller", queue="q"))
    h(CallQueued(t=1.0, call="cb", queue="q"))
    h(CallbackRequested(t=2.0, call="cb"))
    out = h.eng.update_queue(QueueSpec(name="q", overflow="voicemail", leave_empty=("paused",)))
    assert overflows(out) == [("caller", "voicemail", "leave-empty", 2.0)]
    assert h.eng.waiting("q") == ["cb"]


def test_a_callback_offer_added_reaches_callers_already_waiting(harness):
    h = paused_queue(harness)
    h(CallQueued(t=0.0, call="long", queue="q"))
    h(CallQueued(t=50.0, call="short", queue="q"))
    h(Tick(t=60.0))
    h.eng.update_queue(QueueSpec(name="q", callback_offer_after=45.0))
    offered = [(d.call, d.t) for d in h(Tick(t=100.0)) if isinstance(d, OfferCallback)]
    assert offered == [("long", 60.0), ("short", 95.0)]


def test_a_new_strategy_decides_the_next_offer_and_a_ringing_one_keeps_ringing(harness):
    agents = (AgentSpec(agent="a", queues={"q": 0}), AgentSpec(agent="b", queues={"q": 0}),
              AgentSpec(agent="c", queues={"q": 0}))
    h = harness(QueueSpec(name="q", strategy="linear"), agents=agents)
    assert h.offers(h(CallQueued(t=1.0, call="first", queue="q"))) == [("first", "a")]
    h.eng.update_queue(QueueSpec(name="q", strategy="ring-all"))
    assert h.eng.agent_state("a")[0] == "ringing"            # its offer stands
    out = h(CallQueued(t=2.0, call="second", queue="q"))
    assert sorted(h.offers(out)) == [("second", "b"), ("second", "c")]


def test_what_cannot_change_in_place_is_refused_by_name(engine_mod):
    eng = engine_mod.Engine()
    eng.add_queue(QueueSpec(name="q", skills={"fr": 1},
                            escalation=(Escalation(after=0.0, max_penalty=0),
                                        Escalation(after=30.0))))
    with pytest.raises(ConfigError, match="queue.q.skills"):
        eng.update_queue(QueueSpec(name="q", skills={"fr": 2},
                                   escalation=(Escalation(after=0.0, max_penalty=0),
                                               Escalation(after=30.0))))
    with pytest.raises(ConfigError, match="queue.q.escalation"):
        eng.update_queue(QueueSpec(name="q", skills={"fr": 1}))
    with pytest.raises(ConfigError, match="queue.nope"):
        eng.update_queue(QueueSpec(name="nope"))


def test_a_trace_with_a_changed_queue_replays_to_the_same_decisions(engine_mod):
    eng = engine_mod.Engine(seed=0)
    q1 = QueueSpec(name="q", max_wait=100.0, overflow="voicemail")
    q2 = QueueSpec(name="q", max_wait=20.0, overflow="voicemail", announce_every=5.0)
    agent = AgentSpec(agent="a", queues={"q": 0})
    lines = [trace.dumps(r) for r in trace.config_records(0, [q1], [agent])]
    eng.add_queue(q1)
    eng.add_agent(agent)

    def feed(ev):
        lines.append(trace.dumps(trace.record(ev, "in")))
        lines.extend(trace.dumps(trace.record(d, "out")) for d in eng.handle(ev))
    feed(CallQueued(t=0.0, call="c", queue="q"))
    feed(Tick(t=5.0))
    lines.append(trace.dumps(trace.record(q2, "config")))
    lines.extend(trace.dumps(trace.record(d, "out")) for d in eng.update_queue(q2))
    feed(Tick(t=30.0))
    assert any('"Overflow"' in line for line in lines)
    assert trace.check(lines, engine_mod.Engine) == []

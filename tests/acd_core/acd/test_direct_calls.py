"""Calls the engine did not offer (outbound, direct, transfers taken, intercepts) and the
agent ending its wrap-up early, on both builds: ``AgentBusy``, ``AgentFree``, ``WrapupEnded``."""
from __future__ import annotations

from acd_core.acd import (AgentBusy, AgentFree, AgentSpec, AgentState, CallEnded, CallQueued,
                          OfferAccepted, OfferCancelled, QueueSpec, Requeued, Stale, Tick,
                          WrapupEnded)


def _states(out):
    return [(d.state, d.reason) for d in out if isinstance(d, AgentState)]


def test_a_busy_agent_gets_no_offer_until_free_then_wraps_up(harness):
    h = harness(QueueSpec(name="q", wrapup=10.0),
                agents=(AgentSpec(agent="a", queues={"q": 0}, wrapup=4.0),))
    assert _states(h(AgentBusy(t=1.0, agent="a", call="out-1"))) == [("on-call", "busy")]
    assert h.offers(h(CallQueued(t=2.0, call="c1", queue="q"))) == []
    out = h(AgentFree(t=30.0, agent="a", call="out-1"))
    assert _states(out) == [("wrap-up", "call-ended")]
    assert h.eng.next_deadline() == 34.0                  # the agent's own wrap-up
    out = h(Tick(t=34.0))
    assert h.offers(out) == [("c1", "a")]


def test_free_with_an_explicit_wrap_up_and_none_when_zero(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentBusy(t=1.0, agent="a", call="x"))
    out = h(AgentFree(t=5.0, agent="a", call="x", wrapup=0.0))
    assert _states(out) == [("available", "call-ended")]
    h(AgentBusy(t=6.0, agent="a", call="y"))
    h(AgentFree(t=7.0, agent="a", call="y", wrapup=20.0))
    assert h.eng.next_deadline() == 27.0


def test_taking_another_call_while_ringing_cancels_the_offer_and_requeues(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),
                                             AgentSpec(agent="b", queues={"q": 1})))
    h(AgentBusy(t=0.5, agent="b", call="side"))
    assert h.offers(h(CallQueued(t=1.0, call="c1", queue="q"))) == [("c1", "a")]
    out = h(AgentBusy(t=2.0, agent="a", call="pickup"))
    assert [(d.call, d.agent, d.why) for d in out if isinstance(d, OfferCancelled)] == [
        ("c1", "a", "busy")]
    assert [d.why for d in out if isinstance(d, Requeued)] == ["busy"]
    out = h(AgentFree(t=3.0, agent="b", call="side", wrapup=0.0))
    assert h.offers(out) == [("c1", "b")]


def test_a_consultation_during_a_queue_call_keeps_the_agent_busy_after_it(harness):
    h = harness(QueueSpec(name="q", wrapup=5.0), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(AgentBusy(t=3.0, agent="a", call="consult"))
    out = h(CallEnded(t=4.0, call="c1", agent="a", transfer="202"))
    assert _states(out) == []                            # still on the consultation
    assert h.offers(h(CallQueued(t=5.0, call="c2", queue="q"))) == []
    out = h(AgentFree(t=9.0, agent="a", call="consult"))
    assert _states(out)[0] == ("available", "call-ended")   # no wrap-up of its own
    assert h.offers(out) == [("c2", "a")]


def test_ready_ends_the_wrap_up_early_and_is_stale_otherwise(harness):
    h = harness(QueueSpec(name="q", wrapup=60.0), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(CallEnded(t=10.0, call="c1", agent="a"))
    h(CallQueued(t=11.0, call="c2", queue="q"))
    out = h(WrapupEnded(t=12.0, agent="a"))
    assert _states(out)[0] == ("available", "ready")
    assert h.offers(out) == [("c2", "a")]
    assert h.eng.next_deadline() == 27.0       # the ring timeout; the wrap-up timer (70) is void
    out = h(WrapupEnded(t=13.0, agent="a"))
    assert [d.why for d in out if isinstance(d, Stale)] == ["not in wrap-up"]


def test_free_without_busy_is_stale_and_changes_nothing(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    out = h(AgentFree(t=1.0, agent="a", call="ghost"))
    assert [d.why for d in out if isinstance(d, Stale)] == ["not busy"]
    assert h.eng.agent_state("a")[0] == "available"

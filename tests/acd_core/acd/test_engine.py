"""The ACD engine's simple path, on both builds: one queue, offers, answers,
wrap-up, abandon, timeouts, and the states that keep an agent from an offer."""
from __future__ import annotations

import pytest

from acd_core import acd
from acd_core.acd import (AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentReachable, AgentSpec,
                          AgentState, AgentUnpaused, CallAbandoned, CallEnded, CallQueued, Offer,
                          OfferAccepted, OfferCancelled, OfferDeclined, OfferFailed,
                          OfferTimedOut, QueueSpec, Requeued, Stale, Tick)
from tests.support.builds import is_compiled, load


def test_compiled_engine_is_the_extension_module(build):
    mod = load("acd_core.acd._engine", build)
    assert is_compiled(mod) == (build == "compiled")
    if build == "compiled":
        assert acd.Engine is mod.Engine   # the package exports the compiled engine


def test_brief_example(harness):
    h = harness(QueueSpec(name="support", strategy="longest-idle", wrapup=5.0),
                agents=(AgentSpec(agent="201", queues={"support": 1}),), ready=False)
    out = h(AgentLoggedIn(t=0.0, agent="201"))
    assert [(d.state, d.reason) for d in out] == [("unreachable", "logged-in")]
    out = h(AgentReachable(t=0.0, agent="201", reachable=True))
    assert [d.state for d in out] == ["available"]
    out = h(CallQueued(t=1.0, call="c1", queue="support", priority=0))
    offer = out[0]
    assert isinstance(offer, Offer)
    assert (offer.call, offer.agent, offer.queue, offer.t) == ("c1", "201", "support", 1.0)
    assert offer.reason["eligible"] == [["201", 1, 0.0]]
    assert offer.reason["chosen"] == ["201", 1, 0.0]
    assert offer.reason["strategy"] == "longest-idle"
    assert [d.state for d in h(OfferAccepted(t=3.0, call="c1", agent="201"))] == ["on-call"]
    out = h(CallEnded(t=60.0, call="c1", agent="201"))
    assert [(d.state, d.t) for d in out] == [("wrap-up", 60.0)]
    assert h.eng.next_deadline() == 65.0
    assert [d.state for d in h(Tick(t=65.0))] == ["available"]
    assert h.eng.next_deadline() is None


def test_decisions_are_frozen(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    offer = h(CallQueued(t=1.0, call="c", queue="q"))[0]
    with pytest.raises(AttributeError):
        offer.agent = "b"   # type: ignore[misc]


@pytest.mark.parametrize("blocker, state", [
    (lambda: AgentLoggedOut(t=0.5, agent="a"), "logged-out"),
    (lambda: AgentReachable(t=0.5, agent="a", reachable=False), "unreachable"),
    (lambda: AgentPaused(t=0.5, agent="a", reason="lunch"), "paused"),
])
def test_only_logged_in_reachable_unpaused_agents_get_offers(harness, blocker, state):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(blocker())
    out = h(CallQueued(t=1.0, call="c", queue="q"))
    assert h.offers(out) == []
    assert h.eng.agent_state("a")[0] == state
    assert h.eng.position("c") == 1


def test_pause_reason_is_reported_and_unpause_serves_the_waiting_call(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    out = h(AgentPaused(t=1.0, agent="a", reason="lunch"))
    assert [(d.state, d.reason) for d in out] == [("paused", "lunch")]
    out = h(AgentPaused(t=2.0, agent="a", reason="meeting"))
    assert [(d.state, d.reason) for d in out] == [("paused", "meeting")]
    h(CallQueued(t=3.0, call="c", queue="q"))
    out = h(AgentUnpaused(t=4.0, agent="a"))
    assert h.offers(out) == [("c", "a")]
    assert out[1].reason["trigger"] == "unpaused"


def test_wrapup_keeps_the_agent_from_the_next_call_until_it_ends(harness):
    h = harness(QueueSpec(name="q", wrapup=10.0), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(CallEnded(t=30.0, call="c1", agent="a"))
    assert h.offers(h(CallQueued(t=31.0, call="c2", queue="q"))) == []
    assert h.offers(h(Tick(t=39.9))) == []
    out = h(Tick(t=40.0))
    assert h.offers(out) == [("c2", "a")]
    assert out[1].reason["calls"] == [["c2", "q", 0, 31.0]]


def test_agent_wrapup_overrides_the_queue(harness):
    h = harness(QueueSpec(name="q", wrapup=10.0),
                agents=(AgentSpec(agent="a", queues={"q": 0}, wrapup=0.0),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(CallQueued(t=3.0, call="c2", queue="q"))
    assert h.offers(h(CallEnded(t=30.0, call="c1", agent="a"))) == [("c2", "a")]


def test_wrapup_of_one_queue_holds_in_every_queue(harness):
    # asterisk/asterisk#1006: wrap-up ignored when the agent serves several queues.
    h = harness(QueueSpec(name="q1", wrapup=30.0), QueueSpec(name="q2", wrapup=0.0),
                agents=(AgentSpec(agent="a", queues={"q1": 0, "q2": 0}),))
    h(CallQueued(t=1.0, call="c1", queue="q1"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(CallEnded(t=10.0, call="c1", agent="a"))
    assert h.offers(h(CallQueued(t=11.0, call="c2", queue="q2"))) == []
    assert h.offers(h(Tick(t=40.0))) == [("c2", "a")]


def test_abandon_while_waiting_and_while_ringing(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(CallQueued(t=2.0, call="c2", queue="q"))
    assert h.eng.waiting("q") == ["c2"]
    h(CallAbandoned(t=3.0, call="c2"))
    assert h.eng.waiting("q") == []
    out = h(CallAbandoned(t=4.0, call="c1"))   # while ringing a
    assert [type(d).__name__ for d in out] == ["OfferCancelled", "AgentState"]
    assert out[0].why == "abandoned"
    assert h.eng.agent_state("a") == ("available", "abandoned")
    assert isinstance(h(CallAbandoned(t=5.0, call="c1"))[0], Stale)


@pytest.mark.parametrize("event, why", [(OfferDeclined, "declined"), (OfferTimedOut, "timeout"),
                                         (OfferFailed, "failed")])
def test_no_answer_returns_the_call_to_its_place_and_rests_the_agent(harness, event, why):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),
                                              AgentSpec(agent="b", queues={"q": 0})))
    h(AgentPaused(t=0.5, agent="b", reason="x"))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(CallQueued(t=2.0, call="c2", queue="q"))
    out = h(event(t=3.0, call="c1", agent="a"))
    assert [type(d).__name__ for d in out] == ["AgentState", "Requeued"]
    assert (out[0].state, out[0].reason) == ("resting", why)
    assert (out[1].call, out[1].position, out[1].why) == ("c1", 1, why)
    assert h.eng.waiting("q") == ["c1", "c2"]       # c1 kept its place ahead of c2
    out = h(AgentUnpaused(t=4.0, agent="b"))
    assert h.offers(out) == [("c1", "b")]
    assert h.eng.next_deadline() == 8.0            # a rests retry_delay = 5 s
    out = h(Tick(t=8.0))
    assert h.offers(out) == [("c2", "a")]


def test_engine_ring_timeout_cancels_and_requeues(harness):
    h = harness(QueueSpec(name="q", ring_timeout=20.0),
                agents=(AgentSpec(agent="a", queues={"q": 0}, retry_delay=0.0),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    assert h.eng.next_deadline() == 21.0
    out = h(Tick(t=21.0))
    assert [type(d).__name__ for d in out] == ["OfferCancelled", "AgentState", "Requeued",
                                               "Offer", "AgentState"]
    assert out[0].why == "timeout"
    assert h.offers(out) == [("c1", "a")]   # nobody else: offered again


def test_answer_at_exactly_the_ring_timeout_wins(harness):
    h = harness(QueueSpec(name="q", ring_timeout=20.0), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    out = h(OfferAccepted(t=21.0, call="c1", agent="a"))
    assert [d.state for d in out] == ["on-call"]


def test_missed_ticks_fire_in_deadline_order_before_the_event(harness):
    h = harness(QueueSpec(name="q", wrapup=5.0), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(CallEnded(t=3.0, call="c1", agent="a"))
    out = h(CallQueued(t=100.0, call="c2", queue="q"))   # no Tick(8.0) was sent
    assert [(type(d).__name__, d.t) for d in out] == [("AgentState", 8.0), ("Offer", 100.0),
                                                      ("AgentState", 100.0)]


def test_late_and_unknown_inputs_are_stale_not_errors(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    assert isinstance(h(OfferAccepted(t=1.0, call="nope", agent="a"))[0], Stale)
    assert isinstance(h(CallQueued(t=1.0, call="x", queue="nope"))[0], Stale)
    assert isinstance(h(AgentPaused(t=1.0, agent="ghost"))[0], Stale)
    h(CallQueued(t=2.0, call="c", queue="q"))
    assert isinstance(h(CallQueued(t=2.0, call="c", queue="q"))[0], Stale)
    assert isinstance(h(CallEnded(t=3.0, call="c", agent="a"))[0], Stale)   # still ringing


def test_time_never_goes_backwards(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(Tick(t=10.0))
    out = h(CallQueued(t=5.0, call="c", queue="q"))
    assert out[0].t == 10.0


def test_logout_while_ringing_gives_the_call_back(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),
                                              AgentSpec(agent="b", queues={"q": 0})))
    h(AgentPaused(t=0.5, agent="b"))
    h(CallQueued(t=1.0, call="c", queue="q"))
    out = h(AgentLoggedOut(t=2.0, agent="a"))
    assert isinstance(out[0], OfferCancelled) and out[0].why == "logged-out"
    assert isinstance(out[2], Requeued)
    assert h.offers(h(AgentUnpaused(t=3.0, agent="b"))) == [("c", "b")]


def test_logout_during_a_call_takes_effect_when_it_ends_without_wrapup(harness):
    h = harness(QueueSpec(name="q", wrapup=30.0), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=1.0, call="c", queue="q"))
    h(OfferAccepted(t=2.0, call="c", agent="a"))
    assert h(AgentLoggedOut(t=3.0, agent="a")) == []
    out = h(CallEnded(t=4.0, call="c", agent="a"))
    assert [(d.state) for d in out if isinstance(d, AgentState)] == ["logged-out"]
    assert h.eng.next_deadline() is None

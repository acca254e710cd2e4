"""Who gets which call across queues: the global order, skills and the
escalation table, auto-pause, and callbacks keeping their place."""
from __future__ import annotations

import pytest

from acd_core import acd
from acd_core.acd import (AgentAutoPaused, AgentPaused, AgentSpec, AgentUnpaused, CallbackDue,
                          CallbackRequested, CallEnded, CallQueued, Escalation, OfferAccepted,
                          OfferCallback, OfferTimedOut, QueueSpec, Tick)
from acd_core.errors import ConfigError


def end(h, call, agent, t):
    h(OfferAccepted(t=t, call=call, agent=agent))
    return h(CallEnded(t=t + 1.0, call=call, agent=agent))


# -- one global order ------------------------------------------------------------

def test_a_free_agent_takes_the_oldest_call_of_every_queue_it_serves(harness):
    h = harness(QueueSpec(name="q1"), QueueSpec(name="q2"), QueueSpec(name="q3"),
                agents=(AgentSpec(agent="a", queues={"q1": 0, "q2": 0, "q3": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=1.0, call="late", queue="q1"))
    h(CallQueued(t=0.5, call="early", queue="q2"))   # clamped to 1.0: arrives after "late"
    h(CallQueued(t=2.0, call="vip", queue="q3", priority=1))
    order = []
    out = h(AgentUnpaused(t=3.0, agent="a"))
    for t in (4.0, 6.0, 8.0):
        (call, agent), = h.offers(out)
        order.append(call)
        out = end(h, call, "a", t)
    assert order == ["vip", "late", "early"]


def test_offer_reason_lists_the_calls_considered_and_skipped(harness):
    h = harness(QueueSpec(name="q1"), QueueSpec(name="fr", skills={"fr": 2}),
                agents=(AgentSpec(agent="a", queues={"q1": 0, "fr": 0}, skills={"fr": 1}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=1.0, call="c_fr", queue="fr"))
    h(CallQueued(t=2.0, call="c1", queue="q1"))
    out = h(AgentUnpaused(t=3.0, agent="a"))
    reason = out[1].reason
    assert reason["rule"] == "global-order"
    assert reason["calls"] == [["c1", "q1", 0, 2.0]]
    assert reason["skipped_calls"] == [["c_fr", "fr", "skills", None]]


def test_queue_weight_breaks_ties_between_equal_waits(harness):
    h = harness(QueueSpec(name="low", weight=0), QueueSpec(name="high", weight=5),
                agents=(AgentSpec(agent="a", queues={"low": 0, "high": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=1.0, call="l", queue="low"))
    h(CallQueued(t=1.0, call="h", queue="high"))
    assert h.offers(h(AgentUnpaused(t=2.0, agent="a"))) == [("h", "a")]


# -- skills and escalation ------------------------------------------------------

def test_skills_required_by_queue_and_by_call_both_count(harness):
    h = harness(QueueSpec(name="q", skills={"en": 1}),
                agents=(AgentSpec(agent="en1", queues={"q": 0}, skills={"en": 1}),
                        AgentSpec(agent="fr3", queues={"q": 0}, skills={"en": 1, "fr": 3})))
    h(AgentPaused(t=0.0, agent="fr3"))
    out = h(CallQueued(t=1.0, call="c", queue="q", skills={"fr": 2}))
    assert h.offers(out) == []
    assert h.offers(h(AgentUnpaused(t=2.0, agent="fr3"))) == [("c", "fr3")]
    out = h(CallQueued(t=3.0, call="d", queue="q", skills={"fr": 2}))
    assert h.offers(out) == []                 # en1 lacks fr, fr3 is ringing


def test_escalation_widens_skill_level_after_the_wait(harness):
    h = harness(QueueSpec(name="q", skills={"fr": 3},
                          escalation=(Escalation(after=0.0), Escalation(after=30.0, min_level=2),
                                      Escalation(after=60.0, min_level=0))),
                agents=(AgentSpec(agent="lvl2", queues={"q": 0}, skills={"fr": 2}),))
    out = h(CallQueued(t=10.0, call="c", queue="q"))
    assert h.offers(out) == []
    assert out == [] and h.eng.next_deadline() == 40.0
    out = h(Tick(t=40.0))
    assert h.offers(out) == [("c", "lvl2")]
    assert out[0].reason["trigger"] == "escalation" and out[0].reason["step"] == 1


def test_escalation_widens_penalty_like_tiers(harness):
    h = harness(QueueSpec(name="q", escalation=(Escalation(after=0.0, max_penalty=0),
                                                Escalation(after=20.0, max_penalty=1))),
                agents=(AgentSpec(agent="p0", queues={"q": 0}),
                        AgentSpec(agent="p1", queues={"q": 1}),
                        AgentSpec(agent="p2", queues={"q": 2})))
    h(AgentPaused(t=0.0, agent="p0"))
    out = h(CallQueued(t=1.0, call="c", queue="q"))
    assert h.offers(out) == []
    out = h(Tick(t=21.0))
    assert h.offers(out) == [("c", "p1")]
    skipped = dict(map(tuple, out[0].reason["skipped"]))
    assert skipped == {"p0": "paused", "p2": "skills"}


def test_a_freed_agent_sees_escalated_calls_and_not_yet_escalated_ones(harness):
    h = harness(QueueSpec(name="q", escalation=(Escalation(after=0.0, max_penalty=0),
                                                Escalation(after=20.0))),
                agents=(AgentSpec(agent="p1", queues={"q": 1}),))
    h(AgentPaused(t=0.0, agent="p1"))
    h(CallQueued(t=1.0, call="old", queue="q"))
    h(CallQueued(t=15.0, call="new", queue="q", priority=1))
    out = h(AgentUnpaused(t=22.0, agent="p1"))
    assert h.offers(out) == [("old", "p1")]       # "new" outranks but is not escalated yet
    assert out[1].reason["skipped_calls"] == [["new", "q", "escalation", 35.0]]


def test_escalation_at_the_same_instant_serves_the_better_call_first(harness):
    # Two calls widen to agent b at t=30; the worse one's deadline was set first.
    h = harness(QueueSpec(name="q1", escalation=(Escalation(after=0.0, max_penalty=0),
                                                 Escalation(after=30.0))),
                QueueSpec(name="q2", escalation=(Escalation(after=0.0, max_penalty=0),
                                                 Escalation(after=25.0))),
                agents=(AgentSpec(agent="b", queues={"q1": 1, "q2": 1}),))
    h(CallQueued(t=0.0, call="worse", queue="q1"))
    h(CallQueued(t=5.0, call="better", queue="q2", priority=1))
    out = h(Tick(t=30.0))
    assert h.offers(out) == [("better", "b")]


def test_escalation_rows_must_widen():
    with pytest.raises(ConfigError, match="only widen"):
        QueueSpec(name="q", escalation=(Escalation(after=0.0, max_penalty=2),
                                        Escalation(after=10.0, max_penalty=1)))
    with pytest.raises(ConfigError, match="from 0 s"):
        QueueSpec(name="q", escalation=(Escalation(after=5.0),))


# -- auto-pause -----------------------------------------------------------------

def test_auto_pause_after_n_consecutive_no_answers(harness):
    h = harness(QueueSpec(name="q", ring_timeout=10.0),
                agents=(AgentSpec(agent="a", queues={"q": 0}, max_no_answer=2, retry_delay=0.0),))
    h(CallQueued(t=0.0, call="c1", queue="q"))
    h(OfferTimedOut(t=5.0, call="c1", agent="a"))       # 1; offered again at once
    h(OfferAccepted(t=6.0, call="c1", agent="a"))       # resets the count
    h(CallEnded(t=7.0, call="c1", agent="a"))
    h(CallQueued(t=8.0, call="c2", queue="q"))
    h(OfferTimedOut(t=9.0, call="c2", agent="a"))       # 1
    out = h(Tick(t=19.0))                               # engine ring timeout: 2
    auto = [d for d in out if isinstance(d, AgentAutoPaused)]
    assert [(d.agent, d.no_answers, d.reason) for d in auto] == [("a", 2, "auto:no-answer")]
    assert h.eng.agent_state("a") == ("paused", "auto:no-answer")
    assert h.eng.position("c2") == 1
    assert h.offers(h(AgentUnpaused(t=30.0, agent="a"))) == [("c2", "a")]


def test_auto_pause_zero_means_never(harness):
    h = harness(QueueSpec(name="q"),
                agents=(AgentSpec(agent="a", queues={"q": 0}, max_no_answer=0, retry_delay=0.0),))
    h(CallQueued(t=0.0, call="c", queue="q"))
    for i in range(10):
        h(OfferTimedOut(t=1.0 + i, call="c", agent="a"))
    assert h.eng.agent_state("a")[0] == "ringing"


# -- callbacks --------------------------------------------------------------------

def test_callback_keeps_the_place_and_is_due_only_with_an_agent_reserved(harness):
    h = harness(QueueSpec(name="q", max_wait=100.0, announce_every=30.0),
                agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(CallQueued(t=2.0, call="c2", queue="q"))
    assert h(CallbackRequested(t=5.0, call="c1")) == []
    assert h.eng.position("c1") == 1 and h.eng.position("c2") == 2
    out = h(Tick(t=200.0))           # c2 overflows at max wait; the callback does not
    assert [(d.call, d.why) for d in out if isinstance(d, acd.Overflow)] == [("c2", "max-wait")]
    assert [d.call for d in out if isinstance(d, acd.Announce)] == ["c2", "c2", "c2"]
    out = h(AgentUnpaused(t=201.0, agent="a"))
    due = [d for d in out if isinstance(d, CallbackDue)]
    assert [(d.call, d.agent) for d in due] == [("c1", "a")]
    assert h.eng.agent_state("a")[0] == "ringing"
    assert h(OfferAccepted(t=230.0, call="c1", agent="a"))[0].state == "on-call"


def test_a_callback_entered_later_keeps_its_original_join_time(harness):
    h = harness(QueueSpec(name="q"), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=10.0, call="c2", queue="q"))
    h(CallQueued(t=20.0, call="cb", queue="q", joined=5.0, callback=True))
    assert h.eng.waiting("q") == ["cb", "c2"]
    out = h(AgentUnpaused(t=21.0, agent="a"))
    assert [type(d).__name__ for d in out] == ["AgentState", "CallbackDue", "AgentState"]


def test_callback_is_offered_once_after_the_threshold(harness):
    h = harness(QueueSpec(name="q", callback_offer_after=60.0),
                agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=0.0, call="c", queue="q"))
    out = h(Tick(t=60.0))
    assert [(d.call, d.position, d.waited) for d in out if isinstance(d, OfferCallback)] == [
        ("c", 1, 60.0)]
    assert h.eng.next_deadline() is None


def test_a_ringing_call_turned_callback_reserves_one_agent_under_ring_all(harness):
    """Issue 20's trace: the callback of a ring-all call used to reserve every
    free member of the tier at once (CallbackDue for a1 and for a2)."""
    h = harness(QueueSpec(name="ra", strategy="ring-all"),
                agents=tuple(AgentSpec(agent=f"a{i}", queues={"ra": 0}) for i in range(3)),
                ready=False)

    def available(t, agent):
        h(acd.AgentLoggedIn(t=t, agent=agent))
        h(acd.AgentReachable(t=t, agent=agent, reachable=True))

    available(0.0, "a0")
    assert h.offers(h(CallQueued(t=1.0, call="c1", queue="ra"))) == [("c1", "a0")]
    available(2.0, "a1")
    available(2.0, "a2")                    # free, but ring-all adds nobody to a ringing call
    h(AgentPaused(t=3.0, agent="a0"))       # takes effect when a0 stops ringing
    out = h(CallbackRequested(t=4.0, call="c1"))
    assert [(d.call, d.agent, d.why) for d in h.of(out, acd.OfferCancelled)] == [
        ("c1", "a0", "callback-requested")]
    due = h.of(out, CallbackDue)
    assert [(d.call, d.agent) for d in due] == [("c1", "a1")]     # one agent: the first by position
    assert due[0].reason["strategy"] == "ring-all" and due[0].reason["rule"] == "position"
    assert [h.eng.agent_state(a)[0] for a in ("a0", "a1", "a2")] == ["paused", "ringing",
                                                                   "available"]


@pytest.mark.parametrize("strategy", ["ring-all", "ring-progressively"])
def test_a_callback_entering_a_multi_ring_queue_reserves_one_agent(harness, strategy):
    h = harness(QueueSpec(name="q", strategy=strategy, ring_step=2.0),
                agents=tuple(AgentSpec(agent=f"a{i}", queues={"q": 0}) for i in range(3)))
    out = h(CallQueued(t=1.0, call="cb", queue="q", joined=0.0, callback=True))
    assert [(d.call, d.agent) for d in h.of(out, CallbackDue)] == [("cb", "a0")]
    assert h.eng.next_deadline() is None           # no ring step, no ring timeout: reserved
    out = h(Tick(t=60.0))
    assert h.of(out, CallbackDue) == [] and h.eng.agent_state("a1")[0] == "available"


def test_a_callback_that_fails_goes_back_and_reserves_the_next_agent_alone(harness):
    h = harness(QueueSpec(name="q", strategy="ring-all"),
                agents=tuple(AgentSpec(agent=f"a{i}", queues={"q": 0}, retry_delay=10.0)
                             for i in range(3)))
    h(CallQueued(t=1.0, call="cb", queue="q", joined=0.0, callback=True))
    out = h(acd.OfferFailed(t=2.0, call="cb", agent="a0"))      # the agent's phone failed
    assert [(d.call, d.agent) for d in h.of(out, CallbackDue)] == [("cb", "a1")]


# -- callbacks and empty queues (docs/acd-trace.md, "The rules") -------------

def test_a_new_callback_joins_a_queue_that_is_empty(harness):
    """Nobody is on the line: a callback requested at night waits for the morning."""
    h = harness(QueueSpec(name="q", join_empty=("unavailable",), leave_empty=("unavailable",)),
                agents=(AgentSpec(agent="a", queues={"q": 0}),), ready=False)
    out = h(CallQueued(t=1.0, call="live", queue="q"))
    assert [(d.call, d.why) for d in h.of(out, acd.Overflow)] == [("live", "join-empty")]
    out = h(CallQueued(t=2.0, call="cb", queue="q", joined=0.0, callback=True))
    assert h.of(out, acd.Overflow) == [] and h.eng.waiting("q") == ["cb"]
    h(acd.AgentLoggedIn(t=3.0, agent="a"))
    out = h(acd.AgentReachable(t=3.0, agent="a", reachable=True))
    assert [(d.call, d.agent) for d in h.of(out, CallbackDue)] == [("cb", "a")]


def test_waiting_callbacks_stay_when_the_queue_empties_and_callers_leave(harness):
    h = harness(QueueSpec(name="q", leave_empty=("unavailable",), overflow="vm"),
                agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(CallQueued(t=2.0, call="c2", queue="q"))
    h(CallbackRequested(t=3.0, call="c1"))
    out = h(acd.AgentLoggedOut(t=4.0, agent="a"))
    assert [(d.call, d.why) for d in h.of(out, acd.Overflow)] == [("c2", "leave-empty")]
    assert h.eng.waiting("q") == ["c1"]


def test_an_unreachable_logged_in_member_counts_as_absent_for_empty_rules(harness):
    """Asterisk's "unavailable" is the device, not the login: no call reaches a
    logged-in agent whose phone is gone, so the queue is empty."""
    h = harness(QueueSpec(name="q", join_empty=("unavailable",), leave_empty=("unavailable",)),
                agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    out = h(acd.AgentReachable(t=2.0, agent="a", reachable=False))
    assert h.eng.agent_state("a")[0] == "paused"
    assert h.of(out, acd.Overflow) == []                   # paused outranks unreachable
    out = h(AgentUnpaused(t=3.0, agent="a"))
    assert h.eng.agent_state("a")[0] == "unreachable"
    assert [(d.call, d.why) for d in h.of(out, acd.Overflow)] == [("c1", "leave-empty")]
    out = h(CallQueued(t=4.0, call="c2", queue="q"))
    assert [(d.call, d.why) for d in h.of(out, acd.Overflow)] == [("c2", "join-empty")]

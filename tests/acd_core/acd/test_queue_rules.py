"""Queue rules: max wait and overflow, max length, join/leave when empty,
position announcements, configuration errors."""
from __future__ import annotations

import pytest

from acd_core.acd import (AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentReachable, AgentSpec,
                          Announce, CallEnded, CallQueued,
                          Membership, OfferAccepted, Overflow, QueueSpec, Tick)
from acd_core.errors import ConfigError


def overflows(out):
    return [(d.call, d.queue, d.target, d.why, d.waited) for d in out if isinstance(d, Overflow)]


def test_max_wait_overflows_into_another_queue_keeping_the_join_time(harness):
    h = harness(QueueSpec(name="first", max_wait=30.0, overflow="backup"), QueueSpec(name="backup"),
                agents=(AgentSpec(agent="a", queues={"first": 0}),
                        AgentSpec(agent="b", queues={"backup": 0})))
    h(AgentPaused(t=0.0, agent="a"))
    h(AgentPaused(t=0.0, agent="b"))
    h(CallQueued(t=10.0, call="old", queue="first"))
    h(CallQueued(t=20.0, call="b1", queue="backup"))
    out = h(Tick(t=40.0))
    assert overflows(out) == [("old", "first", "backup", "max-wait", 30.0)]
    assert h.eng.waiting("backup") == ["old", "b1"]          # joined at 10, ahead of b1


def test_overflow_to_a_target_outside_the_engine_removes_the_call(harness):
    h = harness(QueueSpec(name="q", max_wait=5.0, overflow="voicemail"),
                agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=0.0, call="c", queue="q"))
    assert overflows(h(Tick(t=5.0))) == [("c", "q", "voicemail", "max-wait", 5.0)]
    assert h.eng.snapshot()["calls"] == {}


def test_max_wait_reached_while_ringing_overflows_when_the_offer_fails(harness):
    h = harness(QueueSpec(name="q", max_wait=5.0, ring_timeout=10.0),
                agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=0.0, call="c", queue="q"))
    assert overflows(h(Tick(t=5.0))) == []                   # ringing: let it ring
    out = h(Tick(t=10.0))
    assert overflows(out) == [("c", "q", None, "max-wait", 10.0)]


def test_overflow_cycles_stop(harness):
    h = harness(QueueSpec(name="x", max_len=0, overflow="y"), QueueSpec(name="y", max_len=0,
                                                                      overflow="x"))
    out = h(CallQueued(t=0.0, call="c", queue="x"))
    assert [d.why for d in out] == ["full", "full", "full"]
    assert h.eng.snapshot()["calls"] == {}


def test_max_length(harness):
    h = harness(QueueSpec(name="q", max_len=2), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(CallQueued(t=2.0, call="c2", queue="q"))
    assert overflows(h(CallQueued(t=3.0, call="c3", queue="q"))) == [("c3", "q", None, "full", 0.0)]


@pytest.mark.parametrize("rule, join", [(("paused",), True), (("unavailable",), True),
                                        (("paused", "unavailable"), False), ((), True)])
def test_join_when_empty(harness, rule, join):
    # Asterisk semantics: the queue is empty when every member is in a listed condition.
    h = harness(QueueSpec(name="q", join_empty=rule),
                agents=(AgentSpec(agent="a", queues={"q": 0}),
                        AgentSpec(agent="b", queues={"q": 0})))
    h(AgentPaused(t=0.0, agent="a"))
    h(AgentLoggedOut(t=0.0, agent="b"))
    out = h(CallQueued(t=1.0, call="c", queue="q"))
    assert (overflows(out) == []) == join
    if not join:
        assert overflows(out)[0][3] == "join-empty"


def test_join_when_empty_with_no_members_at_all(harness):
    h = harness(QueueSpec(name="q", join_empty=("unavailable",)))
    assert overflows(h(CallQueued(t=1.0, call="c", queue="q")))[0][3] == "join-empty"


def test_leave_when_empty_empties_the_queue_when_the_last_agent_goes(harness):
    h = harness(QueueSpec(name="q", leave_empty=("unavailable", "paused"), overflow="vm"),
                agents=(AgentSpec(agent="a", queues={"q": 0}),
                        AgentSpec(agent="b", queues={"q": 0})))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(AgentPaused(t=2.5, agent="b"))
    h(CallQueued(t=3.0, call="c2", queue="q"))
    h(CallQueued(t=4.0, call="c3", queue="q"))
    assert h.eng.waiting("q") == ["c2", "c3"]                # a is on a call: not "empty"
    out = h(AgentLoggedOut(t=5.0, agent="a"))                 # still on the call
    assert overflows(out) == []
    out = h(CallEnded(t=6.0, call="c1", agent="a"))
    assert [(c, w) for c, _, _, w, _ in overflows(out)] == [("c2", "leave-empty"),
                                                            ("c3", "leave-empty")]


def test_wrapup_counts_for_empty_rules_only_when_listed(harness):
    h = harness(QueueSpec(name="q", wrapup=30.0, leave_empty=("wrapup", "unavailable")),
                agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(CallQueued(t=3.0, call="c2", queue="q"))
    out = h(CallEnded(t=4.0, call="c1", agent="a"))
    assert [d[3] for d in overflows(out)] == ["leave-empty"]


def test_announcements_give_the_position_and_smoothed_wait(harness):
    h = harness(QueueSpec(name="q", announce_every=20.0),
                agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(CallQueued(t=0.0, call="c0", queue="q"))
    h(OfferAccepted(t=8.0, call="c0", agent="a"))            # answered after 8 s
    h(CallQueued(t=10.0, call="c1", queue="q"))
    h(CallQueued(t=11.0, call="c2", queue="q", priority=1))
    out = h(Tick(t=31.0))
    ann = [(d.call, d.position, d.waited, d.ewt) for d in out if isinstance(d, Announce)]
    assert ann == [("c1", 2, 20.0, 8.0), ("c2", 1, 20.0, 8.0)]   # at 30 and 31
    h(CallEnded(t=32.0, call="c0", agent="a"))               # a takes c2 (priority)
    h(OfferAccepted(t=33.0, call="c2", agent="a"))
    out = h(Tick(t=50.0))
    assert [(d.call, d.position) for d in out if isinstance(d, Announce)] == [("c1", 1)]


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="queue.q.join_empty"):
        QueueSpec(name="q", join_empty=("lunch",))
    with pytest.raises(ConfigError, match="penalty and weight"):
        Membership(weight=-1.0)


def test_agent_in_an_unknown_queue_is_a_config_error(engine_mod):
    eng = engine_mod.Engine()
    with pytest.raises(ConfigError, match="agent.a.queues"):
        eng.add_agent(AgentSpec(agent="a", queues={"nope": 0}))
    eng.add_queue(QueueSpec(name="q"))
    with pytest.raises(ConfigError, match="queue already exists"):
        eng.add_queue(QueueSpec(name="q"))


def test_reconfiguring_an_agent_keeps_its_state_and_serves_new_queues(harness):
    h = harness(QueueSpec(name="q1"), QueueSpec(name="q2"),
                agents=(AgentSpec(agent="a", queues={"q1": 0}),))
    h(CallQueued(t=1.0, call="c", queue="q2"))
    out = h.eng.add_agent(AgentSpec(agent="a", queues={"q1": 0, "q2": 0}))
    assert [(d.call, d.agent) for d in out if type(d).__name__ == "Offer"] == [("c", "a")]


def _asked(h, queue):
    return [(d.queue, d.target, d.why) for d in h.eng.would_refuse(queue)]


@pytest.mark.parametrize("rule", [("paused",), ("unavailable",), ("paused", "unavailable"), ()])
def test_would_refuse_agrees_with_the_join_rule(harness, rule):
    # the question asked before answering gets the answer the call would get on joining
    h = harness(QueueSpec(name="q", join_empty=rule),
                agents=(AgentSpec(agent="a", queues={"q": 0}),
                        AgentSpec(agent="b", queues={"q": 0})))
    h(AgentPaused(t=0.0, agent="a"))
    h(AgentLoggedOut(t=0.0, agent="b"))
    before = h.eng.snapshot()
    asked = _asked(h, "q")
    assert h.eng.snapshot() == before                       # a query changes nothing
    joined = overflows(h(CallQueued(t=1.0, call="c", queue="q")))
    assert asked == [(q, target, why) for _, q, target, why, _ in joined]
    assert asked == ([] if rule in ((), ("paused",), ("unavailable",))
                     else [("q", None, "join-empty")])


def test_would_refuse_follows_overflows_inside_the_engine(harness):
    h = harness(QueueSpec(name="first", join_empty=("unavailable",), overflow="second"),
                QueueSpec(name="second", max_len=0, overflow="vm"),
                QueueSpec(name="third", join_empty=("unavailable",), overflow="first"),
                agents=(AgentSpec(agent="a", queues={"first": 0, "third": 0}),), ready=False)
    assert _asked(h, "first") == [("first", "second", "join-empty"),
                                  ("second", "vm", "full")]
    assert _asked(h, "third") == [("third", "first", "join-empty"),
                                  ("first", "second", "join-empty"),
                                  ("second", "vm", "full")]
    h(AgentLoggedIn(t=0.0, agent="a"))
    h(AgentReachable(t=0.0, agent="a", reachable=True))
    assert _asked(h, "first") == [] and _asked(h, "third") == []
    with pytest.raises(KeyError):
        h.eng.would_refuse("nowhere")


def test_would_refuse_counts_the_callers_already_waiting(harness):
    h = harness(QueueSpec(name="q", max_len=1), agents=(AgentSpec(agent="a", queues={"q": 0}),))
    h(AgentPaused(t=0.0, agent="a"))
    assert _asked(h, "q") == []
    h(CallQueued(t=1.0, call="c1", queue="q"))
    assert _asked(h, "q") == [("q", None, "full")]


def test_would_refuse_cycles_stop_as_overflows_do(harness):
    h = harness(QueueSpec(name="x", max_len=0, overflow="y"), QueueSpec(name="y", max_len=0,
                                                                      overflow="x"))
    asked = _asked(h, "x")
    assert [why for _, _, why in asked] == [d.why for d in h(CallQueued(t=0.0, call="c",
                                                                         queue="x"))]

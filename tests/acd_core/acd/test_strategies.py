"""Each strategy's choice and its edges, on both builds, with the reason it gives."""
from __future__ import annotations

import collections

import pytest

from acd_core import acd
from acd_core.acd import (AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentSpec, AgentUnpaused,
                          CallEnded, CallQueued, Membership, OfferAccepted, OfferCancelled,
                          OfferDeclined, QueueSpec, Tick)
from acd_core.errors import ConfigError


def served(h, call, agent, t, end):
    """Answer ``call`` at ``t`` and hang up at ``end``."""
    h(OfferAccepted(t=t, call=call, agent=agent))
    return h(CallEnded(t=end, call=call, agent=agent))


def agents(*names, **kw):
    return tuple(AgentSpec(agent=n, queues={"q": kw.get("penalty", {}).get(n, 0)}) for n in names)


def test_unknown_strategy_is_a_config_error_naming_the_key():
    with pytest.raises(ConfigError, match="queue.q.strategy"):
        QueueSpec(name="q", strategy="fastest")


def test_other_systems_names_are_accepted():
    assert QueueSpec(name="q", strategy="rrmemory").strategy == "round-robin"
    assert QueueSpec(name="q", strategy="top-down").strategy == "linear"
    assert QueueSpec(name="q", strategy="leastrecent").strategy == "longest-idle"


def test_longest_idle_counts_from_the_last_call_end_or_the_login(harness):
    h = harness(QueueSpec(name="q", strategy="longest-idle"), agents=agents("a", "b", "c"))
    out = h(CallQueued(t=1.0, call="c1", queue="q"))
    # all logged in at 0: tie -> first position
    assert h.offers(out) == [("c1", "a")]
    assert out[0].reason["eligible"] == [["a", 0, 0.0], ["b", 0, 0.0], ["c", 0, 0.0]]
    served(h, "c1", "a", 2.0, 10.0)
    out = h(CallQueued(t=11.0, call="c2", queue="q"))
    assert h.offers(out) == [("c2", "b")]       # b idle since 0, a since 10
    served(h, "c2", "b", 12.0, 13.0)
    h(AgentLoggedOut(t=14.0, agent="c"))
    h(AgentLoggedIn(t=15.0, agent="c"))
    h(acd.AgentReachable(t=15.0, agent="c", reachable=True))
    out = h(CallQueued(t=16.0, call="c3", queue="q"))
    assert h.offers(out) == [("c3", "a")]       # a idle since 10 < b 13 < c login 15
    assert out[0].reason["chosen"] == ["a", 0, 10.0]


def test_round_robin_remembers_the_last_member_and_wraps(harness):
    h = harness(QueueSpec(name="q", strategy="round-robin"), agents=agents("a", "b", "c"))
    got = []
    for i in range(5):
        out = h(CallQueued(t=float(i), call=f"c{i}", queue="q"))
        (call, agent), = h.offers(out)
        got.append(agent)
        served(h, call, agent, i + 0.1, i + 0.2)
    assert got == ["a", "b", "c", "a", "b"]


def test_round_robin_skips_busy_members_and_continues_after_them(harness):
    h = harness(QueueSpec(name="q", strategy="round-robin"), agents=agents("a", "b", "c"))
    h(CallQueued(t=1.0, call="c1", queue="q"))               # -> a, stays on the call
    h(OfferAccepted(t=1.5, call="c1", agent="a"))
    h(AgentPaused(t=1.6, agent="b"))
    out = h(CallQueued(t=2.0, call="c2", queue="q"))          # b paused -> c
    assert h.offers(out) == [("c2", "c")]
    assert ["b", "paused"] in out[0].reason["skipped"] and ["a", "on-call"] in out[0].reason["skipped"]
    served(h, "c2", "c", 2.1, 2.2)
    h(AgentUnpaused(t=3.0, agent="b"))
    out = h(CallQueued(t=4.0, call="c3", queue="q"))          # after c wraps to the start: b (a busy)
    assert h.offers(out) == [("c3", "b")]


def test_fewest_calls_counts_answered_calls_since_login(harness):
    h = harness(QueueSpec(name="q", strategy="fewest-calls"), agents=agents("a", "b"))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    served(h, "c1", "a", 1.1, 1.2)
    out = h(CallQueued(t=2.0, call="c2", queue="q"))
    assert h.offers(out) == [("c2", "b")]
    assert out[0].reason["eligible"] == [["a", 0, 1.0], ["b", 0, 0.0]]
    h(OfferDeclined(t=2.1, call="c2", agent="b"))             # a declined offer is not a call
    h(Tick(t=10.0))
    # b rested, then got c2 back? c2 went to a (the only free one) at 2.1
    assert ("c2", "a") in h.offers()
    served(h, "c2", "a", 10.1, 10.2)
    out = h(CallQueued(t=11.0, call="c3", queue="q"))
    assert h.offers(out) == [("c3", "b")]                     # a: 2 calls, b: 0
    served(h, "c3", "b", 11.1, 11.2)
    h(AgentLoggedOut(t=12.0, agent="a"))                      # a's count resets on login
    h(AgentLoggedIn(t=12.0, agent="a"))
    h(acd.AgentReachable(t=12.0, agent="a", reachable=True))
    assert h.offers(h(CallQueued(t=13.0, call="c4", queue="q"))) == [("c4", "a")]


def test_least_talk_time(harness):
    h = harness(QueueSpec(name="q", strategy="least-talk-time"), agents=agents("a", "b"))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    h(CallQueued(t=1.0, call="c2", queue="q"))
    h(OfferAccepted(t=2.0, call="c1", agent="a"))
    h(OfferAccepted(t=2.0, call="c2", agent="b"))
    h(CallEnded(t=50.0, call="c2", agent="b"))      # b talks 48 s
    h(CallEnded(t=100.0, call="c1", agent="a"))     # a talks 98 s
    out = h(CallQueued(t=101.0, call="c3", queue="q"))
    assert h.offers(out) == [("c3", "b")]
    assert out[0].reason["eligible"] == [["a", 0, 98.0], ["b", 0, 48.0]]


def test_linear_always_starts_at_the_top_and_positions_can_be_explicit(harness):
    h = harness(QueueSpec(name="q", strategy="linear"),
                agents=(AgentSpec(agent="a", queues={"q": Membership(position=5)}),
                        AgentSpec(agent="b", queues={"q": Membership(position=1)})))
    for i in range(3):
        out = h(CallQueued(t=float(i), call=f"c{i}", queue="q"))
        assert h.offers(out) == [(f"c{i}", "b")]
        served(h, f"c{i}", "b", i + 0.1, i + 0.2)


def test_penalty_is_a_tier_before_any_strategy_metric(harness):
    h = harness(QueueSpec(name="q", strategy="fewest-calls"),
                agents=agents("a", "b", penalty={"a": 1, "b": 0}))
    for i in range(3):
        out = h(CallQueued(t=float(i), call=f"c{i}", queue="q"))
        assert h.offers(out) == [(f"c{i}", "b")]     # b keeps winning despite more calls
        served(h, f"c{i}", "b", i + 0.1, i + 0.2)
    h(CallQueued(t=5.0, call="x", queue="q"))
    out = h(CallQueued(t=5.0, call="y", queue="q"))   # b busy: a (penalty 1) takes y
    assert h.offers(out) == [("y", "a")]


def test_random_is_uniform_over_the_best_tier_and_deterministic_per_seed(engine_mod, harness):
    def run(seed):
        h = harness(QueueSpec(name="q", strategy="random"),
                    agents=agents("a", "b", "c", "d", penalty={"d": 1}), seed=seed)
        got = []
        for i in range(600):
            out = h(CallQueued(t=float(i), call=f"c{i}", queue="q"))
            (call, agent), = h.offers(out)
            assert 0 <= out[0].reason["draw"] < 3
            got.append(agent)
            served(h, call, agent, i + 0.1, i + 0.2)
        return got

    first = run(1)
    assert first == run(1)
    assert first != run(2)
    counts = collections.Counter(first)
    assert set(counts) == {"a", "b", "c"}        # d has penalty 1: never while others are free
    assert all(150 < n < 250 for n in counts.values()), counts


def test_weighted_random_follows_the_weights(harness):
    h = harness(QueueSpec(name="q", strategy="weighted-random"),
                agents=(AgentSpec(agent="a", queues={"q": Membership(weight=3.0)}),
                        AgentSpec(agent="b", queues={"q": Membership(weight=1.0)}),
                        AgentSpec(agent="z", queues={"q": Membership(weight=0.0)})))
    counts = collections.Counter()
    for i in range(800):
        out = h(CallQueued(t=float(i), call=f"c{i}", queue="q"))
        (call, agent), = h.offers(out)
        counts[agent] += 1
        served(h, call, agent, i + 0.1, i + 0.2)
    assert counts["z"] == 0
    assert 540 < counts["a"] < 660, counts


def test_weighted_random_with_all_weights_zero_takes_the_first_position(harness):
    h = harness(QueueSpec(name="q", strategy="weighted-random"),
                agents=(AgentSpec(agent="a", queues={"q": Membership(weight=0.0)}),
                        AgentSpec(agent="b", queues={"q": Membership(weight=0.0)})))
    assert h.offers(h(CallQueued(t=1.0, call="c", queue="q"))) == [("c", "a")]


def test_ring_all_rings_the_best_tier_and_only_one_wins(harness):
    h = harness(QueueSpec(name="q", strategy="ring-all"),
                agents=agents("a", "b", "c", "d", penalty={"d": 1}))
    out = h(CallQueued(t=1.0, call="c1", queue="q"))
    assert h.offers(out) == [("c1", "a"), ("c1", "b"), ("c1", "c")]
    out = h(OfferAccepted(t=2.0, call="c1", agent="b"))
    cancelled = [(d.agent, d.why) for d in out if isinstance(d, OfferCancelled)]
    assert cancelled == [("a", "answered-elsewhere"), ("c", "answered-elsewhere")]
    assert h.eng.agent_state("a")[0] == "available"
    out = h(OfferAccepted(t=2.0, call="c1", agent="c"))          # both pressed at once
    assert [(d.agent, d.why) for d in out] == [("c", "lost-race")]
    assert h.eng.agent_state("b")[0] == "on-call"


def test_ring_all_returns_the_call_only_when_every_ringing_agent_failed(harness):
    h = harness(QueueSpec(name="q", strategy="ring-all"), agents=agents("a", "b"))
    h(CallQueued(t=1.0, call="c1", queue="q"))
    out = h(OfferDeclined(t=2.0, call="c1", agent="a"))
    assert not [d for d in out if isinstance(d, acd.Requeued)]
    out = h(OfferDeclined(t=3.0, call="c1", agent="b"))
    assert [d.call for d in out if isinstance(d, acd.Requeued)] == ["c1"]


def test_ring_progressively_adds_an_agent_every_step(harness):
    h = harness(QueueSpec(name="q", strategy="ring-progressively", ring_step=10.0,
                          ring_timeout=60.0), agents=agents("a", "b", "c"))
    out = h(CallQueued(t=0.0, call="c1", queue="q"))
    assert h.offers(out) == [("c1", "a")]
    assert h.eng.next_deadline() == 10.0
    out = h(Tick(t=10.0))
    assert h.offers(out) == [("c1", "b")]
    assert out[0].reason["ringing"] == ["a"] and out[0].reason["trigger"] == "ring-step"
    h(OfferDeclined(t=12.0, call="c1", agent="a"))           # b still rings: no requeue
    assert h.eng.snapshot()["calls"]["c1"]["agents"] == ["b"]
    out = h(Tick(t=20.0))
    assert h.offers(out) == [("c1", "c")]                    # a declined: not rung again
    out = h(OfferAccepted(t=21.0, call="c1", agent="c"))
    assert [(d.agent, d.why) for d in out if isinstance(d, OfferCancelled)] == [
        ("b", "answered-elsewhere")]
    assert h.eng.next_deadline() is None        # no more ring steps once answered

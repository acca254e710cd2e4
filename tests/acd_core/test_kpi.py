"""KPIs from the ACD log, each checked against figures worked out by hand from
the definitions in acd_core/kpi.py (not computed by the module itself)."""
from __future__ import annotations

import pytest

from acd_core import acd, kpi
from acd_core.acd import (AgentLoggedIn, AgentPaused, AgentReachable, AgentSpec, AgentUnpaused,
                          CallAbandoned, CallEnded, CallQueued, OfferAccepted, QueueSpec, Tick,
                          trace)
from acd_core.errors import ConfigError

QUEUE = QueueSpec(name="q", wrapup=10.0, ring_timeout=None)
AGENTS = (AgentSpec(agent="a", queues={"q": 0}), AgentSpec(agent="b", queues={"q": 0}))
EVENTS = [
    AgentLoggedIn(t=0.0, agent="a"), AgentReachable(t=0.0, agent="a", reachable=True),
    CallQueued(t=0.0, call="c1", queue="q"),                      # -> a at 0
    AgentLoggedIn(t=0.0, agent="b"), AgentReachable(t=0.0, agent="b", reachable=True),
    CallQueued(t=1.0, call="c2", queue="q"),                      # -> b at 1
    CallQueued(t=2.0, call="c3", queue="q"),
    CallQueued(t=3.0, call="c4", queue="q"),
    CallAbandoned(t=4.0, call="c3"),                              # waited 2: short
    OfferAccepted(t=5.0, call="c1", agent="a"),                   # waited 5
    CallAbandoned(t=13.0, call="c4"),                             # waited 10: within T
    OfferAccepted(t=31.0, call="c2", agent="b"),                  # waited 30: late
    CallQueued(t=40.0, call="c5", queue="q"),
    CallEnded(t=65.0, call="c1", agent="a", hold=10.0),           # talk 50 + hold 10, ACW 10
    CallAbandoned(t=70.0, call="c5"),                             # waited 30: after T
    CallQueued(t=76.0, call="c6", queue="q"),                     # a free since 75
    OfferAccepted(t=78.0, call="c6", agent="a"),                  # waited 2
    CallEnded(t=91.0, call="c2", agent="b", transfer="2nd-line"), # talk 60, ACW 10
    CallEnded(t=100.0, call="c6", agent="a"),                     # talk 22, ACW 10
    AgentPaused(t=105.0, agent="b", reason="break"),
    AgentUnpaused(t=115.0, agent="b"),
    Tick(t=120.0),
]


def lines(with_decisions: bool = True) -> list[str]:
    eng = acd.Engine()
    out = [trace.dumps(r) for r in trace.config_records(0, (QUEUE,), AGENTS)]
    eng.add_queue(QUEUE)
    for a in AGENTS:
        eng.add_agent(a)
    for ev in EVENTS:
        out.append(trace.dumps(trace.record(ev, "in")))
        for d in eng.handle(ev):
            if with_decisions:
                out.append(trace.dumps(trace.record(d, "out")))
    return out


@pytest.fixture(scope="module")
def report():
    return kpi.from_lines(lines())


def test_service_level_with_the_default_formula_lists_its_calls(report):
    sl = report["service_level"]
    # answered within 20 s: c1, c6; answered: 3; abandoned after 20 s: c5
    assert (sl.numerator, sl.denominator, sl.value) == (2, 4, 0.5)
    assert sl.calls["answered_within"] == ("c1", "c6")
    assert sl.calls["answered_late"] == ("c2",)
    assert sl.calls["abandoned_within"] == ("c4",)
    assert sl.calls["abandoned_after"] == ("c5",)
    assert sl.calls["short_abandoned"] == ("c3",)
    assert "20 s" in sl.formula and "5 s are short" in sl.formula


@pytest.mark.parametrize("formula, short, value", [
    ("answered-only", 5.0, 2 / 3),
    ("all-abandons", 5.0, 2 / 5),
    ("abandons-within-T-good", 5.0, 3 / 5),
    ("abandons-after-T", 0.0, 2 / 4),          # c3 now a real abandon, but within T
    ("all-abandons", 0.0, 2 / 6),
])
def test_service_level_formula_and_short_abandon_are_settings(formula, short, value):
    rep = kpi.from_lines(lines(), kpi.KpiSettings(sl_formula=formula, short_abandon=short))
    assert rep["service_level"].value == pytest.approx(value)


def test_asa_aht_abandons_transfers(report):
    assert report["asa"].value == pytest.approx((5 + 30 + 2) / 3)
    aht = report["aht"]
    assert aht.value == pytest.approx((50 + 60 + 22 + 10 + 30) / 3)
    assert aht.calls["handled"] == ("c1", "c2", "c6")
    assert report.calls["c1"].acw == 10.0 and report.calls["c1"].hold == 10.0
    assert report["abandon_rate"].value == pytest.approx(2 / 5)
    assert report["abandon_rate"].calls["abandoned"] == ("c4", "c5")
    assert report["average_abandon_time"].value == pytest.approx(20.0)
    assert report["short_abandons"].calls["short_abandoned"] == ("c3",)
    assert report["transfer_rate"].value == pytest.approx(1 / 3)
    assert report["transfer_rate"].calls["transferred"] == ("c2",)


def test_occupancy_and_utilization_from_agent_states(report):
    # a: ringing 5+2, on-call 60+22, wrap-up 10+10, available 1+10
    # b: available 1+4+5, ringing 30, on-call 60, wrap-up 10, paused 10
    assert report.agents["a"] == {"ringing": 7.0, "on-call": 82.0, "wrap-up": 20.0,
                                  "available": 11.0}
    assert report.agents["b"]["paused"] == 10.0
    assert report["occupancy"].value == pytest.approx(172 / (172 + 18 + 40))
    assert report["utilization"].value == pytest.approx(172 / 240)


def test_a_log_without_decisions_is_replayed(report):
    again = kpi.from_lines(lines(with_decisions=False))
    assert {k: v.value for k, v in again.kpis.items()} == {k: v.value
                                                          for k, v in report.kpis.items()}


def test_the_queue_service_level_threshold_is_the_default():
    queue = QueueSpec(name="q", wrapup=10.0, ring_timeout=None, service_level=30.0)
    items = [queue] + [trace.build(trace.parse(x)) for x in lines()[2:]]
    rep = kpi.compute(items, kpi.KpiSettings(queue="q"))
    # c2 (answered after 30 s) is now within T; c5 (abandoned after 30 s) is not after it
    assert rep["service_level"].calls["answered_within"] == ("c1", "c2", "c6")
    assert (rep["service_level"].numerator, rep["service_level"].denominator) == (3, 3)
    assert "30 s" in rep["service_level"].formula


def test_window_and_queue_filters():
    rep = kpi.from_lines(lines(), kpi.KpiSettings(start=40.0))
    assert list(rep.calls) == ["c5", "c6"]
    assert rep["asa"].value == 2.0
    assert kpi.from_lines(lines(), kpi.KpiSettings(queue="other"))["asa"].value is None


def test_overflowed_calls_are_listed_not_counted():
    eng = acd.Engine()
    q = QueueSpec(name="q", max_wait=30.0, overflow="voicemail")
    items = [q]
    eng.add_queue(q)
    for ev in (CallQueued(t=0.0, call="x", queue="q"), Tick(t=30.0)):
        items.append(ev)
        items.extend(eng.handle(ev))
    rep = kpi.compute(items)
    assert rep["service_level"].calls["overflowed"] == ("x",)
    assert rep["service_level"].value is None and rep["abandon_rate"].value == 0.0


def test_late_accept_of_a_ring_all_loser_does_not_count_as_the_answer():
    eng = acd.Engine()
    q = QueueSpec(name="q", strategy="ring-all")
    items = [q]
    eng.add_queue(q)
    for name in ("a", "b"):
        eng.add_agent(AgentSpec(agent=name, queues={"q": 0}))
    evs = [AgentLoggedIn(t=0.0, agent="a"), AgentReachable(t=0.0, agent="a", reachable=True),
           AgentLoggedIn(t=0.0, agent="b"), AgentReachable(t=0.0, agent="b", reachable=True),
           CallQueued(t=1.0, call="c", queue="q"), OfferAccepted(t=3.0, call="c", agent="b"),
           OfferAccepted(t=3.0, call="c", agent="a"), CallEnded(t=9.0, call="c", agent="b")]
    for ev in evs:
        items.append(ev)
        items.extend(eng.handle(ev))
    rep = kpi.compute(items)
    assert (rep.calls["c"].agent, rep.calls["c"].answered) == ("b", 3.0)


def test_unknown_formula_is_a_config_error():
    with pytest.raises(ConfigError, match="sl_formula"):
        kpi.KpiSettings(sl_formula="magic")

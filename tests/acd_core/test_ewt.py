"""The wait estimator on hand-made states whose answer is known."""
from __future__ import annotations

from acd_core import acd
from acd_core.ewt import WaitEstimator

Q = acd.QueueSpec(name="q", wrapup=10.0)


def estimator(agents: int = 1, talks: tuple[float, ...] = (100.0,) * 10,
              abandons: int = 0) -> WaitEstimator:
    """Agents a0.. in q, a window of finished calls with these talk times."""
    est = WaitEstimator()
    est.configure([Q], [acd.AgentSpec(agent=f"a{i}", queues={"q": 0}) for i in range(agents)])
    t = -10_000.0
    for i, talk in enumerate(talks):
        est.observe(acd.CallQueued(t=t, call=f"h{i}", queue="q"), [])
        est.observe(acd.OfferAccepted(t=t, call=f"h{i}", agent="a0"), [])
        est.observe(acd.CallEnded(t=t + talk, call=f"h{i}", agent="a0"), [])
        t += talk + 1
    for i in range(abandons):
        est.observe(acd.CallQueued(t=t, call=f"x{i}", queue="q"), [])
        est.observe(acd.CallAbandoned(t=t + 30, call=f"x{i}"), [])
    return est


def state(est: WaitEstimator, agent: str, what: str, since: float) -> None:
    est.observe(acd.Tick(t=since), [acd.AgentState(t=since, agent=agent, state=what,
                                                   reason="test")])


def queue(est: WaitEstimator, call: str, t: float, priority: int = 0) -> None:
    est.observe(acd.CallQueued(t=t, call=call, queue="q", priority=priority), [])


def test_no_finished_call_or_no_working_agent_means_no_estimate() -> None:
    est = estimator(talks=())
    state(est, "a0", "on-call", 0.0)
    queue(est, "c1", 0.0)
    assert est.estimate("c1", 10.0) is None
    est = estimator()
    state(est, "a0", "paused", 0.0)
    queue(est, "c1", 0.0)
    assert est.estimate("c1", 10.0) is None
    assert est.estimate("unknown", 10.0) is None


def test_the_remaining_talk_of_the_current_call_and_the_callers_ahead() -> None:
    est = estimator()                                  # every talk lasts 100 s
    state(est, "a0", "on-call", 0.0)
    for i, t in enumerate((1.0, 2.0, 3.0)):
        queue(est, f"c{i}", t)
    # 40 s into the agent's call: 60 s left + 10 s wrap-up, then 110 s per caller ahead
    assert est.estimate("c0", 40.0) == 70.0
    assert est.estimate("c2", 40.0) == 70.0 + 2 * 110.0
    state(est, "a0", "wrap-up", 100.0)
    assert est.estimate("c0", 104.0) == 6.0           # the wrap-up's last 6 s


def test_priority_decides_who_is_ahead() -> None:
    est = estimator(agents=2)
    state(est, "a0", "on-call", 0.0)
    state(est, "a1", "on-call", 50.0)
    queue(est, "early", 1.0)
    queue(est, "vip", 2.0, priority=5)
    assert est.estimate("vip", 60.0) == 50.0           # ahead of everyone: a0 frees first
    assert est.estimate("early", 60.0) == 100.0        # a1 frees next (90 s left + 10)


def test_callers_who_hang_up_shorten_the_wait_and_estimates_repeat() -> None:
    patient, leaving = estimator(), estimator(abandons=40)
    for est in (patient, leaving):
        state(est, "a0", "on-call", 0.0)
        for i in range(6):
            queue(est, f"c{i}", 1.0 + i)
    assert leaving.estimate("c5", 10.0) < patient.estimate("c5", 10.0)
    assert leaving.estimate("c5", 10.0) == leaving.estimate("c5", 10.0)


def test_a_call_older_than_every_recent_talk_is_expected_to_go_on() -> None:
    est = estimator(talks=(30.0, 60.0, 90.0, 600.0))
    state(est, "a0", "on-call", 0.0)
    queue(est, "c0", 1.0)
    young = est.estimate("c0", 20.0)
    old = est.estimate("c0", 200.0)                    # only the 600 s call lasted this long
    assert young is not None and old is not None
    assert old == 600.0 - 200.0 + 10.0 and young < old

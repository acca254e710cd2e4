"""The engine against the naive rescan (tests/acd_core/acd/naive.py), which
shares no code with it: on every event it walks every member and every waiting
call. For one change per event both must make the same offers, on both builds."""
from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd_core import acd
from tests.acd_core.acd.naive import SKILLS, NaiveAcd, population
from tests.support.builds import load

@settings(max_examples=int(os.environ.get("ACD_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])   # build is a constant
@given(seed=st.integers(0, 2**32 - 1))
def test_engine_offers_what_the_naive_rescan_offers(build, seed):
    # Long random days (120 events) find more than short shrunk lists here:
    # the order only shows once several calls wait for few agents.
    rnd = random.Random(seed)
    queues, agents = population(6, 4, seed=seed)
    eng = load("acd_core.acd._engine", build).Engine()
    naive = NaiveAcd()
    for impl in (eng, naive):
        for q in queues:
            impl.add_queue(q)
        for a in agents:
            impl.add_agent(a)

    connected: list[tuple[str, str]] = []
    t = 0.0

    def both(ev):
        got = [(d.call, d.agent) for d in eng.handle(ev) if isinstance(d, acd.Offer)]
        want = naive.handle(ev)
        assert got == want, ev
        for call, agent in got:
            accept = acd.OfferAccepted(t=ev.t, call=call, agent=agent)
            eng.handle(accept)
            naive.handle(accept)
            connected.append((call, agent))

    for a in agents:
        both(acd.AgentLoggedIn(t=0.0, agent=a.agent))
        both(acd.AgentReachable(t=0.0, agent=a.agent, reachable=True))
    for n in range(120):
        t += rnd.choice([0.0, 1.0])
        if rnd.random() < 0.5:
            skills = {rnd.choice(SKILLS): rnd.randint(1, 2)} if rnd.random() < 0.3 else {}
            both(acd.CallQueued(t=t, call=f"c{n}", queue=f"q{rnd.randrange(4)}",
                                priority=rnd.choice([0, 0, 1]), skills=skills))
        elif connected:
            call, agent = connected.pop(rnd.randrange(len(connected)))
            both(acd.CallEnded(t=t, call=call, agent=agent))

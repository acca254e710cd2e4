"""The engine against the naive rescan (tests/acd_core/acd/naive.py), which
shares no code with it: on every event it walks every member and every waiting
call. For one change per event both must make the same offers, on both builds;
under ring-all every free member of the tier rings, the first answers, and the
others take their next calls one by one, as the engine's freed agents do."""
from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd_core import acd
from tests.acd_core.acd.naive import MULTI_RING, NAIVE_STRATEGIES, SKILLS, NaiveAcd, population
from tests.support.builds import load

def kinds(eng_out):
    return [(d.call, d.agent, isinstance(d, acd.CallbackDue)) for d in eng_out
            if isinstance(d, (acd.Offer, acd.CallbackDue))]


@settings(max_examples=int(os.environ.get("ACD_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])   # build is a constant
@given(seed=st.integers(0, 2**32 - 1), multi=st.booleans())
def test_engine_offers_what_the_naive_rescan_offers(build, seed, multi):
    # Long random days (120 events) find more than short shrunk lists here:
    # the order only shows once several calls wait for few agents. With
    # ``multi`` half the queues ring all or progressively, and callbacks (entered
    # as such or asked for while waiting) must reserve one agent there too.
    rnd = random.Random(seed)
    queues, agents = population(6, 4, seed=seed,
                                strategies=NAIVE_STRATEGIES[:2] + MULTI_RING if multi
                                else NAIVE_STRATEGIES)
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
        got = kinds(eng.handle(ev))
        want = [(c, a, naive.is_callback(c)) for c, a in naive.handle(ev)]
        assert got == want, ev
        answered = set()
        for call, agent, _ in got:           # the first agent rung answers
            if call in answered:
                continue
            answered.add(call)
            connected.append((call, agent))
            both(acd.OfferAccepted(t=ev.t, call=call, agent=agent))

    for a in agents:
        both(acd.AgentLoggedIn(t=0.0, agent=a.agent))
        both(acd.AgentReachable(t=0.0, agent=a.agent, reachable=True))
    waiting = []
    for n in range(120):
        t += rnd.choice([0.0, 1.0])
        r = rnd.random()
        if r < 0.5 or not connected:
            skills = {rnd.choice(SKILLS): rnd.randint(1, 2)} if rnd.random() < 0.3 else {}
            callback = multi and rnd.random() < 0.2
            ev = acd.CallQueued(t=t, call=f"c{n}", queue=f"q{rnd.randrange(4)}",
                                priority=rnd.choice([0, 0, 1]), skills=skills,
                                callback=callback, joined=t - 30.0 if callback else None)
            both(ev)
            waiting.append(ev.call)
        elif r < 0.6 and multi:
            pending = [c for c in waiting if c in eng.snapshot()["calls"]
                       and eng.snapshot()["calls"][c]["state"] == "waiting"]
            if pending:
                both(acd.CallbackRequested(t=t, call=rnd.choice(pending)))
        else:
            call, agent = connected.pop(rnd.randrange(len(connected)))
            both(acd.CallEnded(t=t, call=call, agent=agent))

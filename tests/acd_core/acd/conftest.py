"""Helpers for the ACD engine tests: an engine of either build, events by name."""
from __future__ import annotations

import pytest

from acd_core import acd
from tests.support.builds import load


@pytest.fixture
def engine_mod(build):
    return load("acd_core.acd._engine", build)


class Harness:
    """Feeds events to an engine and keeps every decision, for short tests."""

    def __init__(self, mod, *queues: acd.QueueSpec, agents: tuple[acd.AgentSpec, ...] = (),
                 seed: int = 0, ready: bool = True) -> None:
        self.eng = mod.Engine(seed=seed)
        self.log: list = []
        for q in queues:
            self.eng.add_queue(q)
        for a in agents:
            self.eng.add_agent(a)
            if ready:
                self(acd.AgentLoggedIn(t=0.0, agent=a.agent))
                self(acd.AgentReachable(t=0.0, agent=a.agent, reachable=True))

    def __call__(self, event):
        out = self.eng.handle(event)
        self.log.extend(out)
        return out

    def offers(self, out=None, kind=acd.Offer):
        return [(d.call, d.agent) for d in (self.log if out is None else out) if isinstance(d, kind)]

    def of(self, out, kind):
        return [d for d in out if isinstance(d, kind)]


@pytest.fixture
def harness(engine_mod):
    return lambda *q, **kw: Harness(engine_mod, *q, **kw)

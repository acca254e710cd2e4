"""Drive simulated time for tests and the self-test: advance, then let drivers poll.

On the box a driver thread waits on the IRQ line and polls its chip; on the
simulator :func:`run` plays that thread: it moves the ManualClock in small steps
(2 ms, one multiframe) and calls every poller's ``poll()`` after each step.
"""
from __future__ import annotations

from typing import Iterable, Protocol


class Poller(Protocol):
    def poll(self) -> None: ...


class _Advanceable(Protocol):
    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


def run(clock: _Advanceable, seconds: float, pollers: Iterable[Poller] = (),
        step: float = 0.002) -> None:
    pollers = list(pollers)
    end = clock.now() + seconds
    while True:
        left = end - clock.now()
        if left <= 1e-12:
            break
        clock.advance(min(step, left))
        for p in pollers:
            p.poll()

"""How a driver waits: an injected ``sleep`` next to the injected clock.

A driver that must wait out a datasheet delay (EEPROM write cycle, DAA reset,
ISOcap link) calls ``sleep(seconds)``. On the box that is ``time.sleep`` in the
driver's own thread; on the simulator it is :func:`manual_sleep`, which moves a
``ManualClock`` forward so the simulated chip sees exactly that much time pass.
Drivers never call it from a clock timer callback.
"""
from __future__ import annotations

import time
from typing import Callable, Protocol, runtime_checkable

Sleep = Callable[[float], None]


@runtime_checkable
class Advanceable(Protocol):
    """A clock a simulated driver moves forward when it sleeps (``ManualClock``)."""

    def advance(self, seconds: float) -> None: ...


def manual_sleep(clock: Advanceable) -> Sleep:
    def sleep(seconds: float) -> None:
        if seconds > 0:
            clock.advance(seconds)
    return sleep


def real_sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)

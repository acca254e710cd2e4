"""When to restart a child process that died: at once, until it crash-loops.

Kamailio and every media node are supervised the same way. A child that dies
is started again after a short fixed delay (a kill must cost the box at most a
second or two, not a doubling back-off). A child that dies ``crash_limit`` times
within ``crash_window`` is crash-looping: that raises an alarm (the caller
publishes it and health shows it) and the restarts go on at ``slow_restart``
pace, so a fault that fixes itself (a port freed, a disk with room again) is
picked up without an operator. ``crash_looping`` is read live, so the alarm in
health clears by itself once the child has run a whole ``crash_window`` without
dying.
"""
from __future__ import annotations

from collections import deque

from acd_core.clock import Clock
from firmware.timers import TIMERS


class RestartPolicy:
    def __init__(self, clock: Clock, *, delay: float = TIMERS["supervision.restart_delay"],
                 crash_limit: int = int(TIMERS["supervision.crash_limit"]),
                 crash_window: float = TIMERS["supervision.crash_window"],
                 slow_restart: float = TIMERS["supervision.slow_restart"]) -> None:
        self._clock = clock
        self.delay = delay
        self.crash_limit = crash_limit
        self.crash_window = crash_window
        self.slow_restart = slow_restart
        self._deaths: deque[float] = deque()
        self.restarts = 0

    @property
    def crash_looping(self) -> bool:
        """``crash_limit`` deaths within the last ``crash_window``."""
        self._forget_before(self._clock.now() - self.crash_window)
        return len(self._deaths) >= self.crash_limit

    def died(self) -> float:
        """Note a death now; the delay before the next start."""
        self._deaths.append(self._clock.now())
        self.restarts += 1
        return self.slow_restart if self.crash_looping else self.delay

    def _forget_before(self, t: float) -> None:
        while self._deaths and self._deaths[0] < t:
            self._deaths.popleft()

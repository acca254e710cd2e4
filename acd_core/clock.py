"""Time as an injected dependency: the one clock type of the whole box.

Protocol stacks, simulators, the ACD runner, the media pool, the Kamailio
supervisor and the call flows take a ``Clock`` instead of reading ``time``;
tests drive a ``ManualClock`` so timing behaviour (debounces, T303, ring
timeouts, wrap-up) is checked exactly, without sleeping and without patching
``time``. Three implementations, one protocol:

- ``ManualClock``: moves only when told to (tests, the simulated card's
  self-test);
- ``SystemClock``: real time, timers on short-lived threads (driver threads);
- ``firmware.clock.LoopClock``: real time, timers on the daemon's asyncio loop
  (everything in the daemon; built once by the composition root).

``now()`` is monotonic and measures durations; ``wall()`` is epoch seconds and
stamps records (a CDR's start time). A clock step moves ``wall()`` only, so a
wait or a talk time can never come out negative.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Callable, Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    def wall(self) -> float:
        """Epoch seconds (for records; never for durations)."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...


class _ManualTimer:
    __slots__ = ("deadline", "seq", "callback", "cancelled")

    def __init__(self, deadline: float, seq: int, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.seq = seq
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: "_ManualTimer") -> bool:
        return (self.deadline, self.seq) < (other.deadline, other.seq)


class ManualClock:
    """A clock that only moves when told to; timers fire in deadline order."""

    #: 2026-01-01T00:00:00Z: the epoch time ``wall()`` reads at ``now() == 0``.
    WALL_AT_ZERO = 1_767_225_600.0

    def __init__(self, start: float = 0.0, wall_at_zero: float = WALL_AT_ZERO) -> None:
        self._now = start
        self._wall_at_zero = wall_at_zero
        self._timers: list[_ManualTimer] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._wall_at_zero + self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> _ManualTimer:
        if delay < 0:
            delay = 0.0
        timer = _ManualTimer(self._now + delay, next(self._seq), callback)
        heapq.heappush(self._timers, timer)
        return timer

    def next_deadline(self) -> float | None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0].deadline if self._timers else None

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due on the way."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        target = self._now + seconds
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            timer = heapq.heappop(self._timers)
            self._now = max(self._now, timer.deadline)
            timer.callback()
        self._now = target


class SystemClock:
    """Real monotonic time; timers run on short-lived threads (driver threads only)."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> threading.Timer:
        timer = threading.Timer(max(0.0, delay), callback)
        timer.daemon = True
        timer.start()
        return timer

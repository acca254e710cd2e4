"""RestartPolicy on a manual clock: a fixed short delay, a crash-loop limit, an alarm that
clears by itself."""
from __future__ import annotations

from acd_core.clock import ManualClock
from firmware.supervision import RestartPolicy


def test_quick_deaths_get_the_same_short_delay_until_the_limit() -> None:
    clock = ManualClock()
    p = RestartPolicy(clock, delay=0.2, crash_limit=5, crash_window=60.0, slow_restart=10.0)
    delays = []
    for _ in range(6):
        delays.append(p.died())
        clock.advance(1.0)
    assert delays == [0.2, 0.2, 0.2, 0.2, 10.0, 10.0]
    assert p.restarts == 6 and p.crash_looping


def test_deaths_spread_wider_than_the_window_never_loop() -> None:
    clock = ManualClock()
    p = RestartPolicy(clock, delay=0.2, crash_limit=5, crash_window=60.0, slow_restart=10.0)
    for _ in range(20):
        assert p.died() == 0.2
        clock.advance(15.1)                 # at most 4 deaths inside any 60 s
    assert not p.crash_looping and p.restarts == 20


def test_the_alarm_clears_once_the_child_has_run_a_whole_window() -> None:
    clock = ManualClock()
    p = RestartPolicy(clock, delay=0.2, crash_limit=3, crash_window=60.0, slow_restart=10.0)
    for _ in range(3):
        p.died()
    assert p.crash_looping
    clock.advance(59.0)
    assert p.crash_looping                  # the deaths are still inside the window
    clock.advance(1.5)
    assert not p.crash_looping
    assert p.died() == 0.2                  # back to quick restarts

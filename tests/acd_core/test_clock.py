import pytest

from acd_core.clock import ManualClock


def test_timers_fire_in_deadline_order_at_their_own_time() -> None:
    clock = ManualClock(start=100.0)
    fired: list[tuple[str, float]] = []
    clock.call_later(2.0, lambda: fired.append(("b", clock.now())))
    clock.call_later(1.0, lambda: fired.append(("a", clock.now())))
    cancelled = clock.call_later(1.5, lambda: fired.append(("x", clock.now())))
    cancelled.cancel()
    clock.advance(1.0)
    assert fired == [("a", 101.0)]
    clock.advance(5.0)
    assert fired == [("a", 101.0), ("b", 102.0)]
    assert clock.now() == 106.0
    assert clock.next_deadline() is None


def test_a_timer_set_from_a_timer_fires_within_the_same_advance() -> None:
    clock = ManualClock()
    fired: list[float] = []

    def first() -> None:
        fired.append(clock.now())
        clock.call_later(0.5, lambda: fired.append(clock.now()))

    clock.call_later(1.0, first)
    clock.advance(2.0)
    assert fired == [1.0, 1.5]


def test_time_does_not_go_backwards() -> None:
    with pytest.raises(ValueError):
        ManualClock().advance(-1)

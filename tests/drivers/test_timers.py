"""The drivers' timer tables: one Timer type, exact seconds, every row explained."""
from __future__ import annotations

import pytest

from drivers.analog import si3050, si3217x
from drivers.timers import Timer, timer_table

# The values the drivers were written with (DAHDI wctdm24xxp / datasheets), in seconds.
EXPECTED = {
    si3050: {"ring_debounce": 0.128, "ring_end": 0.128, "battery_debounce": 0.064,
             "battery_alarm": 1.0, "polarity_debounce": 0.064, "isolink": 2.0, "reset": 0.100},
    si3217x: {"hook_debounce": 0.020, "flash_min": 0.050, "rxflash": 1.250, "cid_delay": 0.500,
              "oht_after_ring": 6.0, "ram_busy": 0.001},
}


@pytest.mark.parametrize("driver", [si3050, si3217x], ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_driver_tables_hold_the_datasheet_values_exactly(driver):
    table = driver.TIMERS
    assert {name: t.seconds for name, t in table.items()} == EXPECTED[driver]
    for name, t in table.items():
        assert isinstance(t, Timer) and t.name == name
        assert t.text and "\n" not in t.text


def test_both_drivers_share_one_timer_type():
    assert si3050.Timer is si3217x.Timer is Timer


def test_a_timer_reads_like_its_table_row():
    t = Timer("ring_end", 128, "ms", "no ring bits this long ends the ring")
    assert str(t) == "ring_end = 128 ms: no ring bits this long ends the ring"
    assert str(Timer("oht", 6.5, "s", "x")) == "oht = 6.5 s: x"


def test_unknown_unit_is_refused_with_the_timer_name():
    with pytest.raises(ValueError, match="timer reset: unit must be one of s, ms, got 'us'"):
        Timer("reset", 100, "us", "wait after soft reset")


def test_non_positive_value_is_refused():
    with pytest.raises(ValueError, match="timer reset: value must be positive, got 0"):
        Timer("reset", 0, "ms", "wait after soft reset")


def test_a_name_twice_in_one_table_is_refused():
    with pytest.raises(ValueError, match="timer reset is in the table twice"):
        timer_table(Timer("reset", 100, "ms", "a"), Timer("reset", 200, "ms", "b"))

"""The SLIC and DAA drivers' timers: rows of the project's one timer-table type."""
from __future__ import annotations

import pytest

from acd_core.timers import TimerTable
from drivers.analog import si3050, si3217x

# The values the drivers were written with (DAHDI wctdm24xxp / datasheets), in seconds.
EXPECTED = {
    si3050: {"ring_debounce": 0.128, "ring_end": 0.128, "battery_debounce": 0.064,
             "battery_alarm": 1.0, "polarity_debounce": 0.064, "isolink": 2.0, "reset": 0.100},
    si3217x: {"hook_debounce": 0.020, "flash_min": 0.050, "rxflash": 1.250, "cid_delay": 0.500,
              "oht_after_ring": 6.0, "ram_busy": 0.001},
}


@pytest.mark.parametrize("driver", [si3050, si3217x], ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_driver_tables_hold_the_datasheet_values(driver):
    table = driver.TIMERS
    assert isinstance(table, TimerTable)
    assert {spec.name: table[spec.name] for spec in table} == EXPECTED[driver]
    for row in table.describe():
        assert row["unit"] == "s" and row["text"] and "\n" not in row["text"], row


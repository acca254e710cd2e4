"""Driver timer tables: one row per timer (name, value, unit, one line of text).

Every driver that waits out or debounces something keeps its numbers in one
table, as libosmocore's ``osmo_tdef`` does, so the values sit in one place with
the reason each one exists, can be listed (web UI, ``hw_tests``) and are
written in the unit the datasheet or DAHDI uses (128 ms, not 0.128 s). The
drivers read :attr:`Timer.seconds`; the conversion is exact for the values the
tables hold (``128 / 1000 == 0.128``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

#: Units a table may use, and their length in seconds.
UNITS: Mapping[str, int] = {"s": 1, "ms": 1000}


@dataclass(frozen=True)
class Timer:
    """One timer: ``Timer("ring_end", 128, "ms", "no ring bits this long ends the ring")``."""

    name: str
    value: float
    unit: str
    text: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"timer {self.name}: unit must be one of {', '.join(UNITS)}, "
                             f"got {self.unit!r}")
        if not self.value > 0:
            raise ValueError(f"timer {self.name}: value must be positive, got {self.value!r}")

    @property
    def seconds(self) -> float:
        return self.value / UNITS[self.unit]

    def __str__(self) -> str:
        value = int(self.value) if float(self.value).is_integer() else self.value
        return f"{self.name} = {value} {self.unit}: {self.text}"


def timer_table(*timers: Timer) -> dict[str, Timer]:
    """The table by name; a name given twice is a mistake in the table, not a override."""
    table: dict[str, Timer] = {}
    for t in timers:
        if t.name in table:
            raise ValueError(f"timer {t.name} is in the table twice")
        table[t.name] = t
    return table

"""Q.921 and Q.931 timers and counters as one table.

Defaults are the ETSI EN 300 403 / Q.921 values for a primary rate access.
``TimerSet`` takes overrides (from configuration, later) and refuses values
outside the bounds, naming the timer; the web UI can list the table as is.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from acd_core.errors import ConfigError


@dataclass(frozen=True)
class TimerDef:
    name: str
    default: float
    unit: str          # "s" or "count"
    low: float
    high: float
    text: str


TIMERS: tuple[TimerDef, ...] = (
    TimerDef("T200", 1.0, "s", 0.1, 10.0, "Q.921: wait for the acknowledgement of a frame sent with P=1"),
    TimerDef("N200", 3, "count", 1, 10, "Q.921: retransmissions of a frame before the link is given up"),
    TimerDef("T203", 10.0, "s", 1.0, 300.0, "Q.921: longest idle time before the link is polled"),
    TimerDef("K", 7, "count", 1, 127, "Q.921: I frames outstanding without acknowledgement (SAPI 0, PRI)"),
    TimerDef("T301", 180.0, "s", 180.0, 3600.0, "Q.931: ALERTING received, wait for CONNECT"),
    TimerDef("T302", 15.0, "s", 1.0, 60.0, "Q.931: overlap receiving, wait for the next INFORMATION"),
    TimerDef("T303", 4.0, "s", 1.0, 30.0, "Q.931: SETUP sent, wait for the first answer (SETUP sent twice)"),
    TimerDef("T304", 30.0, "s", 1.0, 120.0, "Q.931: overlap sending, wait for the answer after INFORMATION"),
    TimerDef("T305", 30.0, "s", 1.0, 120.0, "Q.931: DISCONNECT sent, wait for RELEASE or DISCONNECT"),
    TimerDef("T308", 4.0, "s", 1.0, 30.0, "Q.931: RELEASE sent, wait for RELEASE COMPLETE (RELEASE sent twice)"),
    TimerDef("T310", 30.0, "s", 10.0, 120.0, "Q.931: CALL PROCEEDING received, wait for ALERTING/CONNECT/DISCONNECT"),
    TimerDef("T313", 4.0, "s", 1.0, 30.0, "Q.931: CONNECT sent, wait for CONNECT ACKNOWLEDGE"),
    TimerDef("T316", 120.0, "s", 1.0, 600.0, "Q.931: RESTART sent, wait for RESTART ACKNOWLEDGE"),
    TimerDef("N316", 2, "count", 0, 10, "Q.931: RESTART retransmissions after T316 before giving up"),
)

TIMER_TABLE: Mapping[str, TimerDef] = MappingProxyType({t.name: t for t in TIMERS})


class TimerSet:
    """The values in force: defaults, then validated overrides."""

    def __init__(self, overrides: Mapping[str, float] | None = None) -> None:
        self._values = {t.name: t.default for t in TIMERS}
        for name, value in (overrides or {}).items():
            self.set(name, value)

    def set(self, name: str, value: float) -> None:
        t = TIMER_TABLE.get(name)
        if t is None:
            raise ConfigError("unknown ISDN timer", key=name, expected=", ".join(TIMER_TABLE))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError("ISDN timer value is not a number", key=name, value=value)
        if t.unit == "count" and value != int(value):
            raise ConfigError("ISDN counter must be a whole number", key=name, value=value)
        if not t.low <= value <= t.high:
            raise ConfigError("ISDN timer out of bounds", key=name, value=value,
                              expected=f"{t.low:g}..{t.high:g} {t.unit}")
        self._values[name] = int(value) if t.unit == "count" else float(value)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def count(self, name: str) -> int:
        return int(self._values[name])

    def as_dict(self) -> dict[str, float]:
        return dict(self._values)

"""Timer tables: every protocol or supervision delay as one row with its unit and reason.

A timer is data, not a constant buried in code: ``T303 = 4 s "SETUP
retransmission"`` with the bounds a configuration may set it to. The same row
validates an override from config (with a message naming the timer and its
bounds), documents itself (``describe()`` for docs and the web UI) and gives
the value the code uses. Durations are seconds; counters (N200) have unit
``"count"``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator, Mapping

from acd_core.errors import ConfigError

UNITS = ("s", "count")


@dataclass(frozen=True)
class TimerSpec:
    name: str
    value: float
    unit: str
    text: str
    lo: float = 0.0
    hi: float = 86_400.0

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"timer {self.name}: unit must be one of {UNITS}, got {self.unit!r}")
        if not self.lo <= self.value <= self.hi:
            raise ValueError(f"timer {self.name}: default {self.value} outside "
                             f"{self.lo}..{self.hi}")


class TimerTable:
    """An ordered, read-only set of ``TimerSpec`` rows looked up by name."""

    def __init__(self, *specs: TimerSpec) -> None:
        self._specs: dict[str, TimerSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"timer {spec.name} defined twice")
            self._specs[spec.name] = spec

    def __getitem__(self, name: str) -> float:
        """The timer's value (seconds, or a count)."""
        return self._specs[name].value

    def spec(self, name: str) -> TimerSpec:
        return self._specs[name]

    def __iter__(self) -> Iterator[TimerSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def with_overrides(self, values: Mapping[str, object], key_prefix: str = "") -> "TimerTable":
        """A copy with ``values`` applied; ``ConfigError`` names a bad timer and its bounds."""
        out = dict(self._specs)
        for name, raw in values.items():
            key = f"{key_prefix}{name}"
            spec = out.get(name)
            if spec is None:
                raise ConfigError(f"unknown timer {key}", key=key,
                                  expected="one of " + ", ".join(self._specs))
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) \
                    or not spec.lo <= raw <= spec.hi:
                raise ConfigError(f"{key}: expected a number {spec.lo:g}-{spec.hi:g} "
                                  f"({spec.unit}), got {raw!r}", key=key,
                                  expected=f"{spec.lo:g}-{spec.hi:g} {spec.unit}")
            out[name] = replace(spec, value=float(raw))
        return TimerTable(*out.values())

    def describe(self) -> list[dict[str, object]]:
        return [{"name": s.name, "value": s.value, "unit": s.unit, "text": s.text,
                 "min": s.lo, "max": s.hi} for s in self]

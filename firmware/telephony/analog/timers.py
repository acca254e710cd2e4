"""Timers of the analog state machines as a table: name, value, unit, one line of text."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timer:
    name: str
    seconds: float
    unit: str
    text: str

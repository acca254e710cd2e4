"""The record of one call as the flow lives it, written once when it ends.

Times are wall-clock epoch seconds (what a report shows); waits and talk
durations are measured on the loop's monotonic clock so a clock step during
a call cannot make them negative.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Callable


@dataclass
class CallRecord:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    caller: str = ""
    caller_name: str = ""
    did: str = ""
    trunk: str = ""
    queue: str | None = None
    agent: str | None = None
    started_at: float = 0.0
    answered_at: float | None = None
    queued_at: float | None = None
    ring_started_at: float | None = None
    agent_answered_at: float | None = None
    ended_at: float | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    disposition: str = "failed"
    hangup_by: str | None = None
    recording: str | None = None
    failure: str | None = None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


class Stopwatch:
    """Wall-clock stamps for the record, monotonic spans for durations."""

    def __init__(self, monotonic: Callable[[], float], wall: Callable[[], float] = time.time) -> None:
        self._mono = monotonic
        self._wall = wall

    def wall(self) -> float:
        return self._wall()

    def mono(self) -> float:
        return self._mono()

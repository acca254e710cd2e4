"""The record of one call as the flow lives it, written once when it ends.

``CallSheet`` is the mutable twin of the store's frozen ``CallRecord``: the flow
fills it in as the call goes, the store validates it once at the end. Times
are wall-clock epoch seconds (what a report shows); waits and talk durations
are measured on the loop's monotonic clock so a clock step during a call
cannot make them negative.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Callable

from firmware.store import CallRecord


@dataclass
class CallSheet:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: float = 0.0
    ended_at: float = 0.0
    disposition: str = "failed"
    hangup_by: str = "system"
    answered_at: float | None = None
    ring_started_at: float | None = None
    agent_answered_at: float | None = None
    caller_number: str = ""
    caller_name: str = ""
    did: str = ""
    trunk: str = ""
    queue: str = ""
    agent: str = ""
    wait_s: float = 0.0
    talk_s: float = 0.0
    recording: str = ""
    failure_reason: str = ""

    def record(self) -> CallRecord:
        return CallRecord(**asdict(self))


class Stopwatch:
    """Wall-clock stamps for the record, monotonic spans for durations."""

    def __init__(self, monotonic: Callable[[], float], wall: Callable[[], float] = time.time) -> None:
        self._mono = monotonic
        self._wall = wall

    def wall(self) -> float:
        return self._wall()

    def mono(self) -> float:
        return self._mono()

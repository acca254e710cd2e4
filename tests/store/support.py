"""Helpers shared by the store tests: a real database file in tmp_path."""
from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import AsyncIterator

from firmware.store import CallRecord, Store

T0 = 1_795_000_000.0   # a fixed wall-clock instant (2026-11), so records are reproducible


@contextlib.asynccontextmanager
async def opened(tmp_path: Path, **kw: object) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "var" / "callbox.db", **kw)  # type: ignore[arg-type]
    try:
        yield store
    finally:
        await store.close()


def call(start: float = T0, **kw: object) -> CallRecord:
    fields: dict[str, object] = dict(
        id=str(uuid.uuid4()), started_at=start, answered_at=start + 1,
        ring_started_at=start + 5, agent_answered_at=start + 8, ended_at=start + 68,
        caller_number="5551234", caller_name="Ann Caller", did="100", trunk="demo",
        queue="support", agent="201", wait_s=7.0, talk_s=60.0, disposition="answered",
        hangup_by="caller", recording="2026/11/27/x.wav")
    fields.update(kw)
    return CallRecord(**fields)  # type: ignore[arg-type]


class StepClock:
    """A clock for the store whose wall time tests move by hand (sessions, created_at)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t - T0

    def wall(self) -> float:
        return self.t

    def call_later(self, delay: float, callback: object) -> object:
        raise NotImplementedError("the store sets no timers")

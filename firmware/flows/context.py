"""What a flow needs from the rest of the daemon, passed in (no globals)."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Coroutine

from acd_core.clock import Clock
from firmware.config import Config
from firmware.events import EventBus
from firmware.flows.acd_runner import AcdRunner
from firmware.cti.trunks import NoTrunks, Trunks
from firmware.flows.records import CallRecords
from firmware.telephony.seats import SeatDialer

if TYPE_CHECKING:
    from firmware.crm.service import Crm
    from firmware.cti.service import Cti
    from firmware.flows.routing import Router
    from firmware.flows.say import PromptLibrary
    from firmware.media.pool import MediaPool
    from firmware.store import Store

log = logging.getLogger("callbox.flows")


class TaskSet:
    """Work that outlives the call flow that started it (a callback waiting for its
    agent long after the caller hung up); ``close()`` cancels what is left."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> "asyncio.Task[Any]":
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: "asyncio.Task[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background flow failed", exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        tasks, self._tasks = set(self._tasks), set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class FlowContext:
    cfg: Config
    bus: EventBus
    store: "Store"
    pool: "MediaPool"
    acd: AcdRunner
    clock: Clock
    moh_path: Path
    records: CallRecords
    seats: SeatDialer = field(default=None)  # type: ignore[assignment]  # set below
    trunks: Trunks = field(default_factory=NoTrunks)       # firmware/trunks when wired
    cti: "Cti" = field(default=None)  # type: ignore[assignment]  # the agent desk, set below
    router: "Router" = field(default=None)  # type: ignore[assignment]  # set below
    prompts: "PromptLibrary" = field(default=None)  # type: ignore[assignment]  # set below
    crm: "Crm | None" = None            # screen pop, surveys, voicemail tickets
    tasks: TaskSet = field(default_factory=TaskSet)

    def __post_init__(self) -> None:
        if self.seats is None:
            self.seats = SeatDialer(self.pool, self.cfg)
        if self.cti is None:
            from firmware.cti.service import Cti
            self.cti = Cti(self)
        if self.router is None:
            from firmware.flows.routing import Router
            self.router = Router(self.store)
        if self.prompts is None:
            from firmware.flows.say import PromptLibrary
            self.prompts = PromptLibrary(self.cfg.prompts_dir, self.store.inbound)

"""What a flow needs from the rest of the daemon, passed in (no globals)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware.config import Config
from firmware.events import EventBus
from firmware.flows.acd_runner import AcdRunner
from firmware.flows.call_record import Stopwatch


@dataclass
class FlowContext:
    cfg: Config
    bus: EventBus
    store: Any          # firmware.store.Store
    pool: Any           # firmware.media.pool.MediaPool
    acd: AcdRunner
    clock: Stopwatch
    moh_path: Path

    def seat_uri(self, extension: str) -> str:
        return f"sip:{extension}@{self.cfg.sip.listen}:{self.cfg.sip.port}"

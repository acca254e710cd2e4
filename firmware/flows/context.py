"""What a flow needs from the rest of the daemon, passed in (no globals)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from acd_core.clock import Clock
from firmware.config import Config
from firmware.events import EventBus
from firmware.flows.acd_runner import AcdRunner
from firmware.flows.records import CallRecords
from firmware.cti.trunks import NoTrunks, Trunks
from firmware.telephony.seats import SeatDialer

if TYPE_CHECKING:
    from firmware.cti.service import Cti
    from firmware.media.pool import MediaPool
    from firmware.store import Store


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

    def __post_init__(self) -> None:
        if self.seats is None:
            self.seats = SeatDialer(self.pool, self.cfg)
        if self.cti is None:
            from firmware.cti.service import Cti
            self.cti = Cti(self)

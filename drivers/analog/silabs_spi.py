"""Register access shared by the Silicon Labs analog chips (Si3050 DAA, Si3217x ProSLIC).

Both speak the same byte-wide SPI protocol, each byte its own chip-select frame:
a control byte (0x20 write / 0x60 read, plus the chip's channel id in the low
bits, encoded per chip), the register address, then the data byte (written, or
clocked out as 0xFF while the chip answers). Only the channel-id encoding
differs, so each driver supplies ``_ctrl`` and inherits the transfers.
"""
from __future__ import annotations

import threading

from drivers.bus.spi import SpiBus
from drivers.locking import locked

CTRL_WRITE = 0x20
CTRL_READ = 0x60


class SilabsRegisters:
    """Mixin: ``read``/``write`` one register; needs ``spi``, ``_lock`` and ``_ctrl``."""

    spi: SpiBus
    _lock: threading.RLock

    def _ctrl(self, read: bool) -> int:
        raise NotImplementedError

    @locked
    def read(self, reg: int) -> int:
        t = self.spi.transfer
        t(bytes([self._ctrl(True)]))
        t(bytes([reg & 0x7F]))
        return t(b"\xff")[0]

    @locked
    def write(self, reg: int, value: int) -> None:
        t = self.spi.transfer
        t(bytes([self._ctrl(False)]))
        t(bytes([reg & 0x7F]))
        t(bytes([value & 0xFF]))

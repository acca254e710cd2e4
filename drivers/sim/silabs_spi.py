"""The chip side of the Silicon Labs byte-wide SPI protocol (see drivers/analog/silabs_spi.py).

A small state machine per chip: control byte -> register address -> data. A
control byte that is neither read nor write counts as a protocol error; one
addressed to another channel on the daisy chain is ignored. Each simulated chip
supplies ``_addressed(ctrl)`` (its channel-id encoding), ``read_reg`` and
``write_reg``.
"""
from __future__ import annotations

CTRL_MASK = 0xE0
CTRL_WRITE = 0x20
CTRL_READ = 0x60


class SilabsSpiChip:
    """Mixin for a simulated chip; the subclass sets ``_state = 0`` and ``protocol_errors = 0``.

    ``CTRL_CHECK`` is the part of the control byte that must read as write or
    read (a chip whose low bits are reserved widens it to catch them).
    """

    CTRL_CHECK = CTRL_MASK

    _state: int
    _ctrl: int
    _reg: int
    protocol_errors: int

    def _addressed(self, ctrl: int) -> bool:
        raise NotImplementedError

    def read_reg(self, reg: int) -> int:
        raise NotImplementedError

    def write_reg(self, reg: int, value: int) -> None:
        raise NotImplementedError

    def spi_frame(self, mosi: bytes) -> bytes:
        if len(mosi) != 1:
            self.protocol_errors += 1
            self._state = 0
            return b"\xff" * len(mosi)
        b = mosi[0]
        if self._state == 0:
            if b & self.CTRL_CHECK not in (CTRL_WRITE, CTRL_READ):
                self.protocol_errors += 1
                return b"\xff"
            if not self._addressed(b):
                return b"\xff"              # another chip on the daisy chain
            self._ctrl, self._state = b, 1
            return b"\xff"
        if self._state == 1:
            self._reg, self._state = b & 0x7F, 2
            return b"\xff"
        self._state = 0
        if self._ctrl & 0x40:
            return bytes([self.read_reg(self._reg)])
        self.write_reg(self._reg, b)
        return b"\xff"

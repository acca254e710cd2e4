"""SPI: one chip-select frame per ``transfer()`` call.

``transfer(data)`` clocks ``data`` out with CS held low for the whole call and
returns what came back on MISO, exactly like python-periphery's ``SPI.transfer``.
Parts that frame every byte with CS (Si3050, ProSLIC) are therefore driven with
one call per byte; the simulated chips see the same CS frames and decode them the
way the silicon does, so a driver that sent three bytes under one CS would fail
against the simulator as it would on the card.

Back ends: :class:`PeripherySpi` (``/dev/spidevB.C``) and :class:`SimSpi` (a
simulated chip model implementing :class:`SpiTarget`). With no target, MISO
floats high and every byte reads 0xFF, as on a card slot with nothing fitted;
``miso_idle = 0x00`` models a board whose MISO is pulled low instead.
"""
from __future__ import annotations

from typing import Any, Protocol

from drivers.bus import exclusive
from drivers.bus.errors import SpiError


class SpiBus(Protocol):
    device: str

    def transfer(self, data: bytes) -> bytes: ...

    def close(self) -> None: ...


class SpiTarget(Protocol):
    """What a simulated chip implements: one CS-low frame in, MISO bytes out."""

    def spi_frame(self, mosi: bytes) -> bytes: ...


class PeripherySpi:
    """Real back end over python-periphery; the module is imported here, not at import time."""

    def __init__(self, device: str, mode: int = 3, max_speed: int = 1_000_000) -> None:
        self.device = device
        try:
            from periphery import SPI
            self._spi: Any = SPI(device, mode, max_speed)
        except Exception as exc:  # periphery.SPIError carries errno
            raise SpiError.wrap("open", device, exc) from exc
        try:
            exclusive.claim(self._spi.fd, device, SpiError)
        except SpiError:
            self._spi.close()
            raise

    def transfer(self, data: bytes) -> bytes:
        try:
            return bytes(self._spi.transfer(bytes(data)))
        except Exception as exc:
            raise SpiError.wrap("transfer", self.device, exc) from exc

    def close(self) -> None:
        try:
            self._spi.close()
        except Exception as exc:
            raise SpiError.wrap("close", self.device, exc) from exc


class SimSpi:
    """Simulated back end: hands each CS frame to the chip model (or floats high)."""

    def __init__(self, target: SpiTarget | None, device: str = "sim-spi") -> None:
        self.device = device
        self.target = target
        self.closed = False
        self.frames = 0
        self.miso_idle = 0xFF        # what MISO reads with no chip: pulled up (or 0x00: down)

    def transfer(self, data: bytes) -> bytes:
        if self.closed:
            raise SpiError("transfer", self.device, 9, "bus is closed")
        self.frames += 1
        if self.target is None:
            return bytes([self.miso_idle]) * len(data)
        out = self.target.spi_frame(bytes(data))
        if len(out) != len(data):  # a model bug, never a driver one
            raise SpiError("transfer", self.device, 5, "simulated chip returned a short frame")
        return out

    def close(self) -> None:
        self.closed = True

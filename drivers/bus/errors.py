"""One error type per bus, carrying ``errno`` and the operation.

The message reads like the kernel's: ``SPI transfer on /dev/spidev0.0: [Errno 5]
Input/output error``. Drivers catch nothing here; the daemon's driver thread
logs it with the part that was being talked to, and a self-test prints it.
"""
from __future__ import annotations

import errno as _errno
import os

from acd_core.errors import CallboxError


class BusError(CallboxError):
    """Root of the bus errors; ``errno`` (int or None), ``op`` and ``device``."""

    bus = "bus"

    def __init__(self, op: str, device: str, err: int | None = None, detail: str = "") -> None:
        self.errno = err
        self.op = op
        self.device = device
        reason = detail or (os.strerror(err) if err else "failed")
        prefix = f"[Errno {err}] " if err else ""
        super().__init__(f"{self.bus} {op} on {device}: {prefix}{reason}")

    @classmethod
    def wrap(cls, op: str, device: str, exc: BaseException) -> "BusError":
        """Turn a back end's exception (OSError, periphery/smbus/pyserial error) into ours."""
        err = getattr(exc, "errno", None)
        if not isinstance(err, int):
            err = _errno.EIO
        detail = getattr(exc, "strerror", None) or str(exc) or os.strerror(err)
        return cls(op, device, err, detail)


class SpiError(BusError):
    bus = "SPI"


class I2cError(BusError):
    bus = "I2C"


class GpioError(BusError):
    bus = "GPIO"


class SerialError(BusError):
    bus = "serial"


class TdmError(BusError):
    bus = "TDM"


class WatchdogError(BusError):
    bus = "watchdog"

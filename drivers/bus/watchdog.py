"""``/dev/watchdog`` device: the kernel API and a simulated timer.

Opening starts the timer, any write pings it, writing ``V`` right before close
disarms it (magic close); anything else leaves it running and the board resets.
``WDIOC_GETBOOTSTATUS`` tells whether the last boot was such a reset.
"""
from __future__ import annotations

import fcntl
import os
import struct
from typing import Protocol

from drivers.bus.errors import WatchdogError

# <linux/watchdog.h>: _IOR('W', n, int) / _IOWR('W', n, int)
WDIOC_GETBOOTSTATUS = 0x80045702
WDIOC_KEEPALIVE = 0x80045705
WDIOC_SETTIMEOUT = 0xC0045706
WDIOC_GETTIMEOUT = 0x80045707
WDIOF_CARDRESET = 0x0020


class WatchdogDevice(Protocol):
    device: str

    def write(self, data: bytes) -> None: ...

    def get_timeout(self) -> int: ...

    def set_timeout(self, seconds: int) -> int: ...

    def get_bootstatus(self) -> int: ...

    def close(self) -> None: ...


class DevWatchdog:
    def __init__(self, device: str = "/dev/watchdog") -> None:
        self.device = device
        try:
            self._fd = os.open(device, os.O_WRONLY)
        except OSError as exc:
            raise WatchdogError.wrap("open", device, exc) from exc

    def _ioctl_int(self, req: int, value: int = 0, op: str = "ioctl") -> int:
        buf = bytearray(struct.pack("i", value))
        try:
            fcntl.ioctl(self._fd, req, buf, True)
        except OSError as exc:
            raise WatchdogError.wrap(op, self.device, exc) from exc
        return int(struct.unpack("i", buf)[0])

    def write(self, data: bytes) -> None:
        try:
            os.write(self._fd, data)
        except OSError as exc:
            raise WatchdogError.wrap("write", self.device, exc) from exc

    def get_timeout(self) -> int:
        return self._ioctl_int(WDIOC_GETTIMEOUT, op="WDIOC_GETTIMEOUT")

    def set_timeout(self, seconds: int) -> int:
        return self._ioctl_int(WDIOC_SETTIMEOUT, seconds, op="WDIOC_SETTIMEOUT")

    def get_bootstatus(self) -> int:
        return self._ioctl_int(WDIOC_GETBOOTSTATUS, op="WDIOC_GETBOOTSTATUS")

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError as exc:
            raise WatchdogError.wrap("close", self.device, exc) from exc

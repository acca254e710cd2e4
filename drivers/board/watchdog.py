"""Watchdog driver: open (starts the timer), ping, magic close, boot status."""
from __future__ import annotations

from drivers.bus.watchdog import WDIOF_CARDRESET, WatchdogDevice


class Watchdog:
    def __init__(self, device: WatchdogDevice) -> None:
        self.device = device

    def set_timeout(self, seconds: int) -> int:
        return self.device.set_timeout(seconds)

    def timeout(self) -> int:
        return self.device.get_timeout()

    def ping(self) -> None:
        self.device.write(b"\0")

    def last_boot_was_reset(self) -> bool:
        return bool(self.device.get_bootstatus() & WDIOF_CARDRESET)

    def stop(self) -> None:
        """Magic close: disarm and close. Only for an orderly shutdown."""
        self.device.write(b"V")
        self.device.close()

    def abandon(self) -> None:
        """Close without disarming: the board resets unless someone reopens and pings."""
        self.device.close()

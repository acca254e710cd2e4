"""systemd's notify protocol: READY=1 once healthy, WATCHDOG=1 from the event loop.

Under ``Type=notify`` with ``WatchdogSec=``, systemd passes ``NOTIFY_SOCKET`` and
``WATCHDOG_USEC``. The daemon pings at half the watchdog period from a task on its
asyncio loop, so a blocked or stopped loop stops the pings and systemd restarts
the service. Ten lines of datagram socket, so no library is needed (sd_notify(3)).
"""
from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class Notifier:
    def __init__(self, env: Mapping[str, str] = os.environ) -> None:
        addr = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = ("\0" + addr[1:]) if addr.startswith("@") else (addr or None)
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.watchdog_s: float | None = (int(usec) / 1e6 if usec.isdigit() and int(usec) > 0
                                         and mine else None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def ping_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings: half the watchdog period (None: no watchdog)."""
        return None if self.watchdog_s is None else self.watchdog_s / 2

    def notify(self, **fields: str) -> bool:
        """Send ``KEY=value`` lines (``notify(READY="1", STATUS="...")``); False if not under systemd."""
        if self.address is None:
            return False
        msg = "\n".join(f"{k}={v}" for k, v in fields.items()).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(self.address)
            s.sendall(msg)
        return True

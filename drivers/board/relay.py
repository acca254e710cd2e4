"""Power-fail bypass relay: energised = normal, de-energised = bypass.

With the coil released (daemon down, power off) FXO line 1 is wired straight to
FXS port 1 / the lifeline jack. The daemon energises it once it serves calls
and releases it when it stops. A contact-sense input, where the board has one,
confirms the armature moved (the self-test "relay click").
"""
from __future__ import annotations

from acd_core.clock import Clock
from drivers.bus.gpio import GpioLine
from drivers.timing import Sleep

OPERATE_LIMIT = 0.050  # generous for a signal relay (typ. 5-10 ms)


class BypassRelay:
    def __init__(self, coil: GpioLine, sense: GpioLine | None = None) -> None:
        self.coil = coil
        self.sense = sense

    def normal(self) -> None:
        self.coil.write(True)

    def bypass(self) -> None:
        self.coil.write(False)

    def contacts(self) -> str | None:
        """``normal``/``bypass`` from the sense input, or None without one."""
        if self.sense is None:
            return None
        return "normal" if self.sense.read() else "bypass"

    def wait_contacts(self, want: str, clock: Clock, sleep: Sleep,
                      limit: float = OPERATE_LIMIT) -> float | None:
        """Seconds until the contacts read ``want``; None if they never did."""
        start = clock.now()
        while True:
            if self.contacts() == want:
                return clock.now() - start
            if clock.now() - start >= limit:
                return None
            sleep(0.001)

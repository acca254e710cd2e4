"""An analog phone on an FXS port: hook switch, ringer, caller-ID display, keypad.

Scripts: :meth:`PhoneSim.lift`, :meth:`hang_up`, :meth:`flash` (on-hook for a
given time, then lifted again by a clock timer), :meth:`dial`. DTMF is recorded
as digits with their times (the audio waits for ``acd_core.tonegen``); caller
ID arrives as the octets the SLIC's FSK generator sent while the line was in
on-hook transmission.
"""
from __future__ import annotations

from acd_core.clock import Clock


class PhoneSim:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.offhook = False
        self.plugged = True
        self.ring_bursts = 0
        self.ringing = False
        self.cid_received = bytearray()
        self.dialled: list[tuple[float, str]] = []
        self.polarity_seen: list[tuple[float, int]] = []

    def lift(self) -> None:
        self.offhook = True

    def hang_up(self) -> None:
        self.offhook = False

    def flash(self, seconds: float) -> None:
        self.offhook = False
        self.clock.call_later(seconds, self.lift)

    def dial(self, digits: str, tone: float = 0.1, gap: float = 0.1) -> None:
        t = self.clock.now()
        for d in digits:
            self.dialled.append((t, d))
            t += tone + gap

    # called by the SLIC model
    def ring_signal(self, on: bool) -> None:
        if on and not self.ringing:
            self.ring_bursts += 1
        self.ringing = on

    def fsk(self, octet: int) -> None:
        self.cid_received.append(octet)

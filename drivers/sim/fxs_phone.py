"""An analog phone on an FXS port: hook switch, ringer, caller-ID display, keypad.

Scripts: :meth:`PhoneSim.lift`, :meth:`hang_up`, :meth:`flash` (on-hook for a
given time, then lifted again by a clock timer), :meth:`dial`. Dialled keys are
in-band DTMF (``acd_core.tonegen.dtmf``) on :attr:`PhoneSim.audio` from the moment
of the call, when the phone is off-hook (an on-hook keypad has no loop to send
on); going on-hook cuts them short. They are also recorded in ``dialled`` with
their times. Caller ID arrives as the octets the SLIC's FSK generator sent while
the line was in on-hook transmission (message level).
"""
from __future__ import annotations

from acd_core import tonegen
from acd_core.clock import Clock
from drivers.sim.pcm import AudioTimeline, sample_at


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
        self.audio = AudioTimeline()      # what the handset sends towards the SLIC

    def lift(self) -> None:
        self.offhook = True

    def hang_up(self) -> None:
        self.offhook = False
        self.audio.cut(sample_at(self.clock.now()), "dtmf")

    def flash(self, seconds: float) -> None:
        self.hang_up()
        self.clock.call_later(seconds, self.lift)

    def dial(self, digits: str, tone: float = 0.1, gap: float = 0.1) -> None:
        """Key ``digits`` now: ``tone`` seconds of DTMF each, ``gap`` seconds apart."""
        t = self.clock.now()
        for d in digits:
            self.dialled.append((t, d))
            t += tone + gap
        if self.offhook and self.plugged and digits:
            self.audio.place(sample_at(self.clock.now()),
                             tonegen.dtmf(digits, tone * 1000.0, gap * 1000.0), "dtmf")

    # called by the SLIC model
    def ring_signal(self, on: bool) -> None:
        if on and not self.ringing:
            self.ring_bursts += 1
        self.ringing = on

    def fsk(self, octet: int) -> None:
        self.cid_received.append(octet)

"""An analog phone on an FXS port: hook switch, ringer, caller-ID display, keypad.

Scripts: :meth:`PhoneSim.lift`, :meth:`hang_up`, :meth:`flash` (on-hook for a
given time, then lifted again by a clock timer), :meth:`dial`. Dialled keys are
in-band DTMF (``acd_core.tonegen.dtmf``) on :attr:`PhoneSim.audio` from the moment
of the call, when the phone is off-hook (an on-hook keypad has no loop to send
on); going on-hook cuts them short. They are also recorded in ``dialled`` with
their times.

What the box sends reaches the phone as audio (the SLIC hands it to
:meth:`PhoneSim.receive` while it feeds the loop) and is kept in
:attr:`PhoneSim.heard`; while on-hook the phone's caller-ID display decodes it
with ``acd_core``'s ``CallerIdReceiver`` (FSK, Bell 202 or V.23 by the phone's
``cid_standard``) into :attr:`PhoneSim.display`. The SLIC's own FSK generator
(octets written to FSKDAT during on-hook transmission) is still recorded in
``cid_received`` at message level.
"""
from __future__ import annotations

from acd_core import tonegen
from acd_core.callerid import CallerIdMessage, CallerIdReceiver
from acd_core.clock import Clock
from drivers.sim.pcm import RATE, AudioTimeline, sample_at

CID_TAIL = 0.2      # silence still fed to the caller-ID receiver after a burst


class PhoneSim:
    def __init__(self, clock: Clock, cid_standard: str = "v23") -> None:
        self.clock = clock
        self.heard = AudioTimeline()      # what reached the handset/ringer from the SLIC
        self.display: list[tuple[float, CallerIdMessage]] = []
        self._cid = CallerIdReceiver(cid_standard)
        self._quiet_fed = CID_TAIL
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

    def receive(self, start: int, pcm: bytes, silent: bool = False) -> None:
        """Audio from the SLIC (int16 LE) from sample ``start`` on."""
        n = len(pcm) // 2
        if silent:
            if self._quiet_fed >= CID_TAIL:
                return
            self._quiet_fed += n / RATE
        else:
            self._quiet_fed = 0.0
            self.heard.place(start, pcm, "line")
            self.heard.forget(start - 60 * RATE)
        if self.offhook:
            return                        # a caller-ID display listens on-hook only
        for _, msg in self._cid.process(pcm):
            self.display.append((self.clock.now(), msg))

"""MF tones on 20 ms A-law frames: what the register hears and what it says.

Detection is ``acd_core.r2tones.R2ToneDetector`` (recognises a tone after 20 ms,
so a peer that answers within one frame is never slowed down), generation is
``acd_core.tonegen``'s phase-continuous oscillator at the Q.454 sending level,
and ``acd_core.g711`` moves both between linear PCM and the A-law the E1 carries.
A tone changes only at a frame boundary: a frame is the unit the line moves.
"""
from __future__ import annotations

from acd_core.g711 import dbm0_to_peak, linear_to_alaw
from acd_core.r2tones import SEND_LEVEL_DBM0, R2ToneDetector, frequencies
from acd_core.tonegen import Oscillator

FRAME_SAMPLES = 160
SILENCE = bytes([0xD5]) * FRAME_SAMPLES


class MfReceiver:
    """Tone on/off events of the far end's direction, frame by frame."""

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self._detector = R2ToneDetector(direction)
        self.tone = 0

    def feed(self, frame: bytes) -> list[int]:
        """The tone changes in ``frame``, in order: a tone number when one starts,
        0 when it stops."""
        out = []
        for _, tone in self._detector.process_alaw(frame):
            if tone != self.tone:
                self.tone = tone
                out.append(tone)
        return out


class MfSender:
    """The tone we put on the line (0: silence), continuous across frames."""

    def __init__(self, direction: str, level_dbm0: float = SEND_LEVEL_DBM0) -> None:
        self.direction = direction
        self._amp = dbm0_to_peak(level_dbm0)
        self._osc = Oscillator()
        self.tone = 0

    def set(self, tone: int) -> None:
        if tone and tone != self.tone:
            self._osc = Oscillator()       # every tone starts at phase 0, like a real sender
        self.tone = tone

    def frame(self) -> bytes:
        if not self.tone:
            return SILENCE
        f1, f2 = frequencies(self.tone, self.direction)
        return linear_to_alaw(self._osc.tones((f1, f2), (self._amp, self._amp), FRAME_SAMPLES))

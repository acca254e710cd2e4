"""Receive side of one CAS channel: ABCD bits recognised after they held long enough.

R2 line signals are states of the A and B bits, and a state only counts once it
has lasted the recognition time (ITU-T Q.422 for digital line signalling:
20 ms +- 10 ms); a shorter blip is a line hit, not a signal. The framer reports
the bits once per 2 ms multiframe, the simulated card's timeslot door once per
20 ms frame, so the receiver is fed bits *with the time they were seen for* and
both paths share this one rule (docs/r2.md#line-signalling).
"""
from __future__ import annotations

from typing import Protocol

EPSILON = 1e-9
#: The E1 timeslots that carry a voice channel; TS0 frames, TS16 carries CAS.
VOICE_TIMESLOTS = tuple(list(range(1, 16)) + list(range(17, 32)))


class CasReceiver:
    """The recognised ABCD bits of one channel (``None`` until the first recognition)."""

    __slots__ = ("debounce", "value", "_candidate", "_held")

    def __init__(self, debounce: float) -> None:
        if not 0.0 <= debounce <= 1.0:
            raise ValueError(f"CAS debounce must be 0-1 s, not {debounce!r}")
        self.debounce = debounce
        self.value: int | None = None
        self._candidate: int | None = None
        self._held = 0.0

    def feed(self, abcd: int, seconds: float) -> int | None:
        """The line carried ``abcd`` for ``seconds``; returns the bits when they
        become the recognised state, else ``None``."""
        if not 0 <= abcd <= 0xF:
            raise ValueError(f"ABCD bits are 0-15, not {abcd!r}")
        if abcd == self.value:
            self._candidate = None
            self._held = 0.0
            return None
        if abcd != self._candidate:
            self._candidate = abcd
            self._held = 0.0
        self._held += seconds
        if self._held + EPSILON < self.debounce:
            return None
        self.value = abcd
        self._candidate = None
        self._held = 0.0
        return abcd

    def reset(self) -> None:
        """Forget everything (the line went down): the next bits are news again."""
        self.value = None
        self._candidate = None
        self._held = 0.0


class CasHandler(Protocol):
    """What carries a CAS span's timeslots drives: the R2 stack (``R2Span``) or a test.
    The simulator's timeslot door and the card's CAS path
    (``firmware.telephony.lines.r2card``) both call these, from their one thread."""

    def line_up(self, ts: int) -> None: ...

    def line_down(self, ts: int, reason: str) -> None: ...

    def cas_received(self, ts: int, abcd: int) -> None: ...

    def audio_received(self, ts: int, frame: bytes) -> None: ...

    def audio_to_send(self, ts: int) -> bytes: ...

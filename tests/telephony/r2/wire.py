"""Two of our spans back to back, frame by frame on one manual clock (unit tests only).

The interop proof is libopenr2 (test_libopenr2.py); this wire exercises what a
peer process cannot make happen on demand: timers running out, double
seizure, a far end that stops answering, commands at odd moments.
"""
from __future__ import annotations

from typing import Any

from acd_core.clock import ManualClock
from drivers.e1.cas import CasReceiver
from firmware.telephony.r2 import R2Event, R2Span, Transcript, Variant

FRAME = 0.020


class Wire:
    def __init__(self, variant: Variant, timeslots: tuple[int, ...] = (1,),
                 transcript: Transcript | None = None, **span_kw: Any) -> None:
        self.clock = ManualClock()
        self.transcript = transcript if transcript is not None else Transcript()
        self.tx: dict[tuple[str, int], int] = {}
        self.events: dict[str, list[R2Event]] = {"a": [], "b": []}
        self.mute: dict[str, bool] = {"a": False, "b": False}     # audio cut one way
        self.timeslots = timeslots
        self.rx = {(side, ts): CasReceiver(variant.timers["line_recognition"])
                   for side in "ab" for ts in timeslots}
        self.a = self._span("a", variant, span_kw)
        self.b = self._span("b", variant, span_kw)
        for ts in timeslots:
            self.a.line_up(ts)
            self.b.line_up(ts)
        self.step(2)

    def _span(self, side: str, variant: Variant, kw: dict[str, Any]) -> R2Span:
        wire = self

        class Line:
            def set_cas(self, ts: int, abcd: int) -> None:
                wire.tx[(side, ts)] = abcd
        return R2Span(self.clock, variant, Line(), self.events[side].append,
                      timeslots=self.timeslots, transcript=self.transcript, trace_as=side,
                      **kw)

    def step(self, frames: int = 1) -> None:
        for _ in range(frames):
            self.clock.advance(FRAME)
            for ts in self.timeslots:
                audio_a, audio_b = self.a.audio_to_send(ts), self.b.audio_to_send(ts)
                for side, span, bits, audio in (("a", self.a, self.tx[("b", ts)], audio_b),
                                                ("b", self.b, self.tx[("a", ts)], audio_a)):
                    seen = self.rx[(side, ts)].feed(bits, FRAME)
                    if seen is not None:
                        span.cas_received(ts, seen)
                    if not self.mute[side]:
                        span.audio_received(ts, audio)

    def of(self, side: str, kind: type) -> list[Any]:
        return [e for e in self.events[side] if isinstance(e, kind)]

    def until(self, side: str, kind: type, seconds: float = 30.0) -> Any:
        start = self.clock.now()
        while not self.of(side, kind):
            assert self.clock.now() - start < seconds, f"no {kind.__name__} on side {side}"
            self.step()
        return self.of(side, kind)[-1]

"""Our R2 span on the card's CAS path, over the PEF2256 register simulator (tests only).

The board is the simulator's (``drivers.board_profile``, ``e1_signalling="cas"``):
the PEF2256 driver over the register model, cabled to the simulated exchange,
whose TS16 ABCD bits a test sets (``cas_tx``) and reads (``cas_rx``), channel by
channel. ``CardCasLine`` joins the card to ``R2Span`` as the daemon does; the
drivers' thread and the loop are one thread here: ``run`` advances the manual
clock 2 ms (one multiframe) at a time, services the card as the drivers' thread
would, then runs what the card posted, as the loop would.
"""
from __future__ import annotations

from typing import Any, Callable

from acd_core.clock import ManualClock
from drivers import board_profile
from drivers.card import Card
from drivers.card_settings import CardSettings, SpanSettings
from drivers.sim.e1cable import E1Cable, ExchangeSim
from firmware.telephony.lines.r2card import CardCasLine
from firmware.telephony.r2 import R2Event, R2Span, Transcript, variant

MULTIFRAME = 0.002


class CardPath:
    def __init__(self, name: str, timeslots: tuple[int, ...] = (1, 2, 17),
                 transcript: Transcript | None = None, **span_kw: Any) -> None:
        self.clock = ManualClock()
        self.board = board_profile.build("sim", self.clock, e1_signalling="cas")
        assert self.board.sim is not None
        self.exchange: ExchangeSim = self.board.sim.exchange
        self.cable: E1Cable = self.board.sim.cable
        self.card = Card(self.board, CardSettings(spans=(SpanSettings("r2"), SpanSettings())))
        self.card.start()
        self.variant = variant(name)
        idle = self.variant.abcd("idle")
        for ch in range(1, 31):
            self.exchange.cas_tx[ch] = idle
        self.posted: list[Callable[[], None]] = []
        self.events: list[R2Event] = []
        self.line = CardCasLine(self.card, 1, self.clock, self.posted.append,
                                debounce=self.variant.timers["line_recognition"],
                                timeslots=timeslots)
        self.span = R2Span(self.clock, self.variant, self.line, self.events.append,
                           timeslots=timeslots, transcript=transcript, **span_kw)
        self.line.handler = self.span
        self.line.start()

    def run(self, seconds: float) -> None:
        """Let ``seconds`` pass, one multiframe at a time."""
        for _ in range(max(1, round(seconds / MULTIFRAME))):
            self.step()

    def step(self) -> None:
        self.clock.advance(MULTIFRAME)
        self.card.service()
        while self.posted:
            self.posted.pop(0)()

    def until(self, cond: Callable[[], Any], seconds: float, what: str) -> float:
        """Step until ``cond`` holds; the line time it took."""
        start = self.clock.now()
        while not cond():
            if self.clock.now() - start > seconds:
                raise AssertionError(f"{what}: not within {seconds:g} s of line time")
            self.step()
        return self.clock.now() - start

    def of(self, kind: type, ts: int | None = None) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind) and (ts is None or e.ts == ts)]

    def far_sends(self, ts: int, signal: str) -> None:
        """The exchange puts ``signal`` (idle, seize, clear_forward ...) on ``ts``."""
        self.exchange.cas_tx[ts if ts < 16 else ts - 1] = self.variant.abcd(signal)

    def far_sees(self, ts: int) -> int:
        """The ABCD bits the exchange receives from us on ``ts``."""
        return self.exchange.cas_rx[ts if ts < 16 else ts - 1]

    def close(self) -> None:
        self.line.close()
        self.board.close()

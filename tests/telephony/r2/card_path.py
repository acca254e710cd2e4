"""Our R2 span on the card's CAS path, over the PEF2256 register simulator (tests only).

The board is the simulator's (``drivers.board_profile``, ``e1_signalling="cas"``):
the PEF2256 driver over the register model, cabled to the simulated exchange,
whose TS16 ABCD bits a test sets (``cas_tx``) and reads (``cas_rx``), channel by
channel. ``CardCasLine`` joins the card to ``R2Span`` as the daemon does; the
drivers' thread and the loop are one thread here: a timer on the manual clock
services the card every 2 ms (one multiframe), as the drivers' thread would, then
runs what the card posted, as the loop would; ``run`` advances the clock.

``ExchangeBridge`` lends the exchange's end of some timeslots to a far-end R2 stack
(libopenr2) through a timeslot door, as if the carrier's switch were libopenr2: the
peer's ABCD bits become the exchange's TS16 bits and its audio the exchange's
timeslot bytes; what the exchange receives from our framer goes back to the peer, one
packet per 20 ms door tick. Everything our side sees still crosses the cable, the
framer's registers and its TDM system interface.
"""
from __future__ import annotations

from typing import Any, Callable

from acd_core.clock import ManualClock
from drivers import board_profile
from drivers.card import Card
from drivers.card_settings import CardSettings, SpanSettings
from drivers.sim.e1cable import E1Cable, ExchangeSim
from drivers.sim.e1frame import FRAME
from drivers.sim.timeslot_door import TimeslotDoor
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
        self._closed = False
        self.clock.call_later(MULTIFRAME, self._service)

    def _service(self) -> None:
        """The drivers' thread's pass, then the loop running what it posted."""
        if self._closed:
            return
        self.card.service()
        while self.posted:
            self.posted.pop(0)()
        self.clock.call_later(MULTIFRAME, self._service)

    def run(self, seconds: float) -> None:
        """Let ``seconds`` pass, one multiframe at a time."""
        for _ in range(max(1, round(seconds / MULTIFRAME))):
            self.step()

    def step(self) -> None:
        self.clock.advance(MULTIFRAME)

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
        self._closed = True
        self.line.close()
        self.board.close()


def _channel(ts: int) -> int:
    return ts if ts < 16 else ts - 1


class ExchangeBridge:
    """The exchange's end of ``timeslots`` served to the peers of ``door``."""

    KEEP = 3 * 160          # received audio kept for a timeslot with no peer yet

    def __init__(self, exchange: ExchangeSim, cable: E1Cable, door: TimeslotDoor,
                 timeslots: tuple[int, ...]) -> None:
        self.exchange = exchange
        self.cable = cable
        self.door = door
        self.timeslots = timeslots
        self.to_line = {ts: bytearray() for ts in timeslots}
        self.from_line = {ts: bytearray() for ts in timeslots}
        exchange.payload = self._payload
        door.handler = self

    def _payload(self, mf: bytearray) -> None:
        """Each multiframe the exchange sends (in the cable's step): 16 octets of every
        bridged timeslot from the peer; and the 16 the exchange received the step before."""
        received = self.exchange.last_mf
        for ts in self.timeslots:
            rx = self.from_line[ts]
            rx += received[ts::FRAME]
            del rx[:-self.KEEP]
            q = self.to_line[ts]
            chunk = bytes(q[:16]).ljust(16, b"\xd5")
            del q[:16]
            mf[ts::FRAME] = chunk

    # the door's handler: the peer's side
    def line_up(self, ts: int) -> None:
        self.from_line[ts].clear()

    def line_down(self, ts: int, reason: str) -> None:
        self.to_line[ts].clear()

    def cas_received(self, ts: int, abcd: int) -> None:
        self.exchange.cas_tx[_channel(ts)] = abcd

    def audio_received(self, ts: int, frame: bytes) -> None:
        q = self.to_line[ts]
        q += frame
        del q[:-self.KEEP]

    def audio_to_send(self, ts: int) -> bytes:
        self.cable.sync()
        self.door.set_cas(ts, self.exchange.cas_rx[_channel(ts)])
        q = self.from_line[ts]
        frame = bytes(q[:160]).ljust(160, b"\xd5")
        del q[:160]
        return frame

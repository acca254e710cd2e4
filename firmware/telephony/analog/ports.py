"""Every analog port of the card as a line or seat object, wired to its driver and audio.

The daemon makes one :class:`AnalogPorts` after ``Card.start()``: an
:class:`~firmware.telephony.analog.fxo.FxoLine` per fitted FXO port and an
:class:`~firmware.telephony.analog.fxs.FxsPort` per fitted FXS port, each fed
with its driver's events (``Card.on_port_event``) and its timeslot's audio
(``Card.switch.listen``), sending through ``Card.switch.send``. Driver events
and audio arrive in the card's threads; ``post`` moves each onto the thread
that owns the state machines (``loop.call_soon_threadsafe`` in the daemon;
called directly in tests on a ManualClock).
"""
from __future__ import annotations

from typing import Any, Callable

from acd_core.clock import Clock
from firmware.telephony.analog.fxo import FxoLine
from firmware.telephony.analog.fxs import FxsPort

Post = Callable[[Callable[[], None]], Any]


def _direct(fn: Callable[[], None]) -> None:
    fn()


class AnalogPorts:
    def __init__(self, card: Any, clock: Clock, on_event: Callable[[object], None],
                 zone: str = "EU", cid: str = "auto", answer_supervision: bool = True,
                 post: Post = _direct,
                 on_seat_event: Callable[[object], None] | None = None) -> None:
        """``on_seat_event``: where the FXS ports report (default ``on_event``)."""
        self.card = card
        self.post = post
        self.lines: dict[int, FxoLine] = {}
        self.seats: dict[int, FxsPort] = {}
        switch = card.switch
        for n, daa in enumerate(card.board.fxo, 1):
            if daa is None:
                continue
            slot = card.timeslot("fxo", n)
            line = FxoLine(n, daa, clock, self._sender(slot), on_event, zone=zone, cid=cid,
                           flash_time=daa.country.flash, answer_supervision=answer_supervision)
            self.lines[n] = line
            if switch is not None:
                switch.listen(slot, self._hop(line.audio))
        for n, slic in enumerate(card.board.fxs, 1):
            if slic is None:
                continue
            slot = card.timeslot("fxs", n)
            seat = FxsPort(n, slic, clock, self._sender(slot), on_seat_event or on_event,
                           zone=zone)
            self.seats[n] = seat
            if switch is not None:
                switch.listen(slot, self._hop(seat.audio))
        card.on_port_event = self._driver_event

    def _sender(self, slot: int) -> Callable[[bytes], None]:
        switch = self.card.switch

        def send(alaw: bytes) -> None:
            if switch is not None:
                switch.send(slot, alaw)
        return send

    def _hop(self, handler: Callable[[bytes], None]) -> Callable[[bytes], None]:
        return lambda chunk: self.post(lambda: handler(chunk))

    def _driver_event(self, kind: str, port: int, event: str) -> None:
        target = self.lines.get(port) if kind == "fxo" else self.seats.get(port)
        if target is not None:
            self.post(lambda: target.driver_event(event))

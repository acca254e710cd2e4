"""``FxsSeats``: analog phones on the card's FXS ports as agent seats.

``[analog] fxs_seats`` names the seat (extension) each FXS port's phone is. The
ACD offers calls to such a seat like to a SIP phone: ``SeatDialer.dial`` (the one
way a feature rings a seat) comes here instead of dialling a SIP URI. The seat's
leg is a port leg opened next to the caller's leg, in the node that hosts the
conversation; the port rings with the caller's number and name as FSK caller ID
(``FxsPort.ring``); the handset lifted answers it (``SeatAnswered``: the
``TdmRelay`` joins the port's timeslot to the leg, the leg is ``confirmed``).
Either side hanging up clears the other: the phone on-hook hangs the leg up; the
leg ending (the caller left, the ACD withdrew the offer, the node died) stops the
ring or gives the phone busy tone until it is put down.

A phone lifted without a call hears dial tone; the agent state codes keyed on it
(``firmware.cti.codes.keypad_codes``: the same table and the same ``carry_out``
as a SIP seat's code) log the agent in or out, pause or make them available; a
refused code gives busy tone.

An FXS seat is reachable for the ACD while its port is fitted and its chip
answers (the card's ``fault`` / ``fault_clear``); a fault in a call clears it.
The port's audio is listened to only while the port is not idle (on the simulator
the highway is moved only while someone listens).
"""
from __future__ import annotations

import asyncio
import functools
import itertools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from firmware.errors import MediaError
from firmware.media.leg import Leg
from firmware.telephony.analog.fxs import (FeatureCode, FxsPort, SeatAnswered, SeatFlash,
                                           SeatHungUp, SeatOffHook)
from firmware.telephony.lines.relay import TdmRelay

if TYPE_CHECKING:
    from drivers.card import Card
    from firmware.media.pool import MediaPool
    from firmware.telephony.analog import AnalogPorts

log = logging.getLogger("callbox.lines.fxs")

#: ``(extension, code dialled) -> done``: the daemon's feature-code path (``codes.carry_out``)
OnCode = Callable[[str, str], Awaitable[bool]]
#: ``(extension, reachable)``: the ACD's view of the seat
OnReachable = Callable[[str, bool], None]


@dataclass
class _Seat:
    extension: str
    n: int
    port: FxsPort
    leg: Leg | None = None
    relay: TdmRelay | None = None
    fault: bool = False
    listening: bool = False
    calls: int = 0
    codes: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def line(self) -> str:
        return f"fxs/{self.n}"


class FxsSeats:
    def __init__(self, card: "Card", pool: "MediaPool", ports: "AnalogPorts",
                 seats: dict[str, int], on_code: OnCode, on_reachable: OnReachable) -> None:
        self.card = card
        self.pool = pool
        self.ports = ports
        self.on_code = on_code
        self.on_reachable = on_reachable
        self.seats: dict[str, _Seat] = {}
        self.missing: dict[str, str] = {}      # extension -> why it is not served
        for ext, n in seats.items():
            port = ports.seats.get(n)
            if port is None:
                self.missing[ext] = f"fxs/{n}: no FXS port {n} fitted"
                log.warning("seat %s: FXS port %d is not fitted", ext, n)
                continue
            self.seats[ext] = _Seat(ext, n, port)
        self._by_port = {s.n: s for s in self.seats.values()}
        self._serial = itertools.count(1)
        self._tasks: set[asyncio.Future[Any]] = set()
        self._driver_event = card.on_port_event
        card.on_port_event = self._port_event_hook
        self._loop = asyncio.get_running_loop()

    def start(self) -> None:
        for seat in self.seats.values():
            self.on_reachable(seat.extension, True)
            log.info("seat %s is the phone on %s", seat.extension, seat.line)

    async def stop(self) -> None:
        for seat in self.seats.values():
            if seat.leg is not None and not seat.leg.ended.done():
                await seat.leg.hangup()
            self._close_relay(seat)
            self.on_reachable(seat.extension, False)
        self.card.on_port_event = self._driver_event
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def is_analog(self, extension: str) -> bool:
        return extension in self.seats or extension in self.missing

    def describe(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for s in sorted(self.seats.values(), key=lambda s: s.n):
            state = ("fault" if s.fault else "in call" if s.leg is not None
                     and s.port.state in ("connected", "busy") else s.port.state)
            out.append({"name": s.line, "seat": s.extension, "signalling": "fxs",
                        "registered": not s.fault, "state": state, "calls": s.calls})
        out += [{"name": why.split(":")[0], "seat": ext, "signalling": "fxs",
                 "registered": False, "state": "absent", "why": why}
                for ext, why in self.missing.items()]
        return out

    # -- the card (drivers' thread) ------------------------------------------------------
    def _port_event_hook(self, kind: str, port: int, event: str) -> None:
        if kind == "fxs" and port in self._by_port and event in ("fault", "fault_clear"):
            self._loop.call_soon_threadsafe(self._fault, port, event == "fault")
        if self._driver_event is not None:
            self._driver_event(kind, port, event)

    def _fault(self, n: int, gone: bool) -> None:
        seat = self._by_port[n]
        seat.fault = gone
        self.on_reachable(seat.extension, not gone)
        if gone:
            log.warning("seat %s: %s chip not answering", seat.extension, seat.line)
            if seat.leg is not None and not seat.leg.ended.done():
                self._spawn(seat.leg.hangup(503))
        else:
            log.info("seat %s: %s back", seat.extension, seat.line)

    # -- ringing a seat (SeatDialer) -----------------------------------------------------
    async def dial(self, near: Leg, extension: str, *, caller_id: str | None = None,
                   caller_name: str | None = None) -> Leg:
        """A port leg ringing the phone of seat ``extension`` in ``near``'s node."""
        seat = self.seats.get(extension)
        if seat is None:
            raise MediaError(f"seat {extension}: {self.missing.get(extension, 'not an FXS seat')}",
                             seat=extension)
        if seat.fault:
            raise MediaError(f"seat {extension}: {seat.line} chip not answering",
                             seat=extension, line=seat.line)
        if seat.leg is not None or seat.port.state != "idle":
            raise MediaError(f"seat {extension}: the phone on {seat.line} is busy "
                             f"({seat.port.state})", seat=extension, line=seat.line)
        switch = self.card.switch
        if switch is None:
            raise MediaError("the card has no TDM stream", line=seat.line)
        slot = self.card.timeslot("fxs", seat.n)
        hop = self.ports._hop(seat.port.audio)
        relay = TdmRelay(switch, slot, f"fxs-{seat.n}", also=hop, restore=hop)
        try:
            leg = await self.pool.open_port(
                relay.address, "out", near=near,
                call_id=f"{seat.line}/{next(self._serial)}",
                info={"uri": seat.line, "line": seat.line, "seat": extension})
        except MediaError:
            relay.close()
            raise
        if seat.leg is not None or seat.port.state != "idle" or seat.fault:
            # the phone was lifted (or another offer came) while the port leg was made
            relay.close()
            await leg.hangup()
            raise MediaError(f"seat {extension}: the phone on {seat.line} became busy "
                             f"({seat.port.state})", seat=extension, line=seat.line)
        seat.leg, seat.relay = leg, relay
        seat.calls += 1
        leg.ended.add_done_callback(functools.partial(self._leg_done, seat, leg))
        seat.port.ring(caller_id or "", caller_name or "")
        self._follow(seat)
        await self.pool.port_event(leg, "early")
        log.info("seat %s: ringing %s caller=%s leg=%s", extension, seat.line,
                 caller_id or "-", leg.id)
        return leg

    def _leg_done(self, seat: _Seat, leg: Leg, _fut: "asyncio.Future[Any]") -> None:
        self._leg_ended(seat, leg)

    def _leg_ended(self, seat: _Seat, leg: Leg) -> None:
        """The seat's leg is over (the caller left, the offer was withdrawn, the node
        died): the phone stops ringing, or hears busy tone until it hangs up."""
        if seat.leg is not leg:
            return
        seat.leg = None
        self._close_relay(seat)
        if seat.port.state == "ringing":
            seat.port.stop_ring()
        elif seat.port.state == "connected":
            seat.port.far_end_gone()
        self._follow(seat)

    def _close_relay(self, seat: _Seat) -> None:
        if seat.relay is not None:
            seat.relay.close()
            seat.relay = None
            seat.listening = True         # the relay gave the port's own listener back

    # -- the phones' news (loop) ---------------------------------------------------------
    def on_event(self, ev: object) -> None:
        seat = self._by_port.get(getattr(ev, "port", -1))
        if seat is None:
            return
        if isinstance(ev, SeatAnswered) and seat.leg is not None and seat.relay is not None:
            seat.relay.connect(str(seat.leg.info["port_path"]))
            self._spawn(self.pool.port_event(seat.leg, "confirmed"))
            log.info("seat %s: answered on %s", seat.extension, seat.line)
        elif isinstance(ev, SeatHungUp) and seat.leg is not None:
            leg = seat.leg
            if not leg.ended.done():
                self._spawn(leg.hangup())
        elif isinstance(ev, FeatureCode):
            self._spawn(self._code(seat, ev.code))
        elif isinstance(ev, SeatFlash):
            log.info("seat %s: flash (transfer from an analog seat is not supported)",
                     seat.extension)
        elif isinstance(ev, SeatOffHook):
            pass
        self._follow(seat)

    async def _code(self, seat: _Seat, code: str) -> None:
        ok = await self.on_code(seat.extension, code)
        seat.codes.append((code, ok))
        if not ok:
            seat.port.code_refused()

    def _follow(self, seat: _Seat) -> None:
        """Listen to the port while it is not idle (tones are paced by its audio, DTMF
        detected in it), stop when it is idle and carries no call."""
        switch = self.card.switch
        if switch is None or seat.relay is not None and seat.relay.peer is not None:
            return
        want = seat.port.state != "idle" or seat.relay is not None
        if want == seat.listening:
            return
        slot = self.card.timeslot("fxs", seat.n)
        switch.listen(slot, self.ports._hop(seat.port.audio) if want else None)
        seat.listening = want

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: "asyncio.Future[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("fxs: seat task failed", exc_info=task.exception())

"""``FxoChannel`` and ``FxoGroup``: the card's FXO ports (PSTN lines) in the daemon.

``FxoGroup`` owns the card's ``AnalogPorts`` (``firmware/telephony/analog``): the
DAA drivers' events and each port's audio reach the ``FxoLine`` machines on the
daemon loop. A line that rings with (or, at the second ring, without) caller ID
becomes an ``FxoChannel`` on a port leg and goes to the inbound flow (trunk
``fxo/N``, no DID: routes name the line group ``fxo`` with number ``*``);
answering goes off-hook. While a call is up the port's audio feeds both the
media node (through the ``TdmRelay``) and the line's own detectors, so a busy
tone, a polarity reversal or a battery loss still clears it.

Outbound (``dial``, for ``LineTrunk`` ``fxo``): the first idle line is seized,
dial tone awaited and the number sent as DTMF by ``FxoLine``; the port leg is
made next to the calling leg and its audio joined once the digits are out (so
the node's audio does not mix with the digits); it rings then, and is answered
on the far end's polarity reversal (or at once on lines without answer
supervision). No dial tone, busy or congestion before the answer is the
group's refusal (``GroupBusy``), so the route's next group is tried.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from firmware.clock import sleep
from firmware.errors import MediaError
from firmware.events import EventBus
from firmware.media.leg import Leg
from firmware.telephony.analog import (AnalogPorts, CallFailed, Connected, Disconnected, FxoLine,
                                       IncomingCall)
from firmware.telephony.channel import CallerInfo, ChannelInfo
from firmware.telephony.lines.channel import LineChannel
from firmware.telephony.lines.isdn import OnCall
from firmware.telephony.lines.relay import TdmRelay
from firmware.trunks.groups import GroupBusy

if TYPE_CHECKING:
    from acd_core.clock import Clock
    from drivers.card import Card
    from firmware.media.pool import MediaPool

log = logging.getLogger("callbox.lines.analog")

FAIL_CAUSES = {"no_dial_tone": 34, "busy": 17, "congestion": 34, "no_battery": 38}
DIAL_POLL = 0.05          # s: how often ``dial`` looks at the line while it dials
SWEEP_INTERVAL = 1.0      # s: idle lines stop being listened to within this


class FxoChannel(LineChannel):
    def __init__(self, group: "FxoGroup", line: FxoLine, leg: Leg, relay: TdmRelay,
                 info: ChannelInfo) -> None:
        super().__init__(leg, relay, info)
        self.group = group
        self.line = line
        self.cleared = False

    @property
    def line_cleared(self) -> bool:
        return self.cleared or self.line.state in ("idle", "no_line")

    def _signal_answer(self) -> None:
        if self.line.state in ("ringing", "offered"):
            self.line.answer()

    def _signal_clear(self, cause: int) -> None:
        if not self.line_cleared:
            self.cleared = True
            self.line.hangup()


class FxoGroup:
    """Every fitted FXO port as the line group ``fxo``."""

    kind = "fxo"
    name = "fxo"

    def __init__(self, card: "Card", pool: "MediaPool", clock: "Clock", bus: EventBus,
                 on_call: OnCall, zone: str = "EU") -> None:
        self.card = card
        self.pool = pool
        self.clock = clock
        self.bus = bus
        self.on_call = on_call
        loop = asyncio.get_running_loop()

        def post(fn: Callable[[], None]) -> None:       # the card's threads -> the loop
            loop.call_soon_threadsafe(fn)

        self.ports = AnalogPorts(card, clock, self._on_event, zone=zone, post=post)
        self.calls: dict[int, FxoChannel] = {}
        self.calls_in = self.calls_out = self.refused = 0
        self._failed: dict[int, str] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        # An idle line's audio is not listened to: on the simulator the highway is moved
        # only while someone listens (14 % of a core for two idle ports, measured). A ring
        # wakes the line's listener in the drivers' thread, before the caller ID comes.
        self._driver_event = card.on_port_event
        card.on_port_event = self._port_event_hook
        self._listening: set[int] = set(self.lines)
        self._listen_lock = threading.Lock()
        self._woken: dict[int, float] = {}     # port -> when a ring woke it (monotonic)
        self._sweeper: Any = None
        self._sweep()
        # The FXS ports are not served as seats yet (docs/lines.md): their audio is not
        # listened to either, so an idle box does not move the highway for them.
        if card.switch is not None:
            for n in self.ports.seats:
                card.switch.listen(card.timeslot("fxs", n), None)

    @property
    def lines(self) -> dict[int, FxoLine]:
        return self.ports.lines

    # -- listening only while a line is in use --------------------------------------------
    def _hop(self, line: FxoLine) -> Callable[[bytes], None]:
        return self.ports._hop(line.audio)

    def _listen(self, n: int) -> None:
        """Hand port ``n``'s audio to its line again (any thread: the switch locks)."""
        switch = self.card.switch
        with self._listen_lock:
            self._woken[n] = time.monotonic()
            if switch is not None and n not in self._listening and n in self.lines:
                self._listening.add(n)
                switch.listen(self.card.timeslot("fxo", n), self._hop(self.lines[n]))

    def _port_event_hook(self, kind: str, port: int, event: str) -> None:
        """The drivers' thread: a ring on an idle FXO port wakes its audio first."""
        if kind == "fxo" and event == "ring":
            self._listen(port)
        if self._driver_event is not None:
            self._driver_event(kind, port, event)

    def _sweep(self) -> None:
        """Every second: stop listening to lines that are idle and carry no call."""
        switch = self.card.switch
        now = time.monotonic()
        with self._listen_lock:
            for n, line in self.lines.items():
                if (n in self._listening and line.state in ("idle", "no_line")
                        and n not in self.calls and switch is not None
                        and now - self._woken.get(n, 0.0) > 2 * SWEEP_INTERVAL):
                    self._listening.discard(n)
                    switch.listen(self.card.timeslot("fxo", n), None)
        self._sweeper = self.clock.call_later(SWEEP_INTERVAL, self._sweep)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for channel in list(self.calls.values()):
            await channel.hangup(16)
        self.card.on_port_event = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "signalling": "analog",
                "lines": [{"port": n, "state": line.state,
                           "call": n in self.calls} for n, line in sorted(self.lines.items())],
                "calls_in": self.calls_in, "calls_out": self.calls_out,
                "refused": self.refused}

    def why_not(self) -> str | None:
        if not self.lines:
            return "no FXO port fitted"
        if self._idle_line() is None:
            return "every FXO line busy or without battery"
        return None

    def _idle_line(self) -> FxoLine | None:
        return next((l for n, l in sorted(self.lines.items())
                     if l.state == "idle" and n not in self.calls), None)

    # -- the lines' news (loop) -----------------------------------------------------------
    def _on_event(self, ev: object) -> None:
        port = getattr(ev, "port", None)
        if isinstance(ev, IncomingCall):
            self._spawn(self._take_incoming(ev))
            return
        channel = self.calls.get(port) if isinstance(port, int) else None
        if isinstance(ev, CallFailed) and isinstance(port, int):
            self._failed[port] = ev.reason
        if channel is None:
            return
        if isinstance(ev, Connected) and ev.direction == "out":
            self._port_event(channel, "confirmed")
        elif isinstance(ev, Disconnected):
            channel.cleared = True
            self.calls.pop(channel.line.port, None)
            channel.line_released(16, f"line cleared: {ev.reason}")
        elif isinstance(ev, CallFailed):
            channel.cleared = True
            self.calls.pop(channel.line.port, None)
            channel.line_released(FAIL_CAUSES.get(ev.reason, 41), f"call failed: {ev.reason}")

    def _port_event(self, channel: FxoChannel, change: str) -> None:
        leg = channel.media_leg
        if leg.ended.done():
            return
        task = asyncio.ensure_future(self.pool.port_event(leg, change))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _relay(self, line: FxoLine) -> TdmRelay:
        if self.card.switch is None:
            raise MediaError("the card has no TDM stream", line=f"fxo/{line.port}")
        slot = self.card.timeslot("fxo", line.port)
        hop = self._hop(line)
        with self._listen_lock:
            self._listening.add(line.port)
        return TdmRelay(self.card.switch, slot, f"fxo-{line.port}", also=hop, restore=hop)

    async def _take_incoming(self, ev: IncomingCall) -> None:
        line = self.lines[ev.port]
        trunk = f"fxo/{ev.port}"
        self.calls_in += 1
        relay = self._relay(line)
        try:
            leg = await self.pool.open_port(relay.address, "in",
                                            call_id=f"{trunk}/{self.calls_in}",
                                            info={"trunk": trunk, "from": ev.caller_number})
        except MediaError as exc:
            self.refused += 1
            relay.close()
            log.warning("%s: no media for an incoming call: %s", trunk, exc)
            return                           # the line rings on; the caller gives up
        relay.connect(str(leg.info["port_path"]))
        info = ChannelInfo(caller=CallerInfo(ev.caller_number, ev.caller_name), did="",
                           trunk=trunk, technology="fxo")
        channel = FxoChannel(self, line, leg, relay, info)
        if line.state not in ("ringing", "offered"):
            channel.line_released(16, "the caller gave up before the port leg")
            return
        self.calls[ev.port] = channel
        log.info("%s: incoming call caller=%s name=%s leg=%s", trunk, ev.caller_number or "-",
                 ev.caller_name or "-", leg.id)
        await self.on_call(channel)

    async def dial(self, near: Leg, number: str, caller_id: str | None = None) -> Leg:
        line = self._idle_line()
        if line is None:
            raise GroupBusy("fxo: every line busy", group=self.name, reason="every line busy")
        trunk = f"fxo/{line.port}"
        self._failed.pop(line.port, None)
        self._listen(line.port)                 # the dial tone is heard on the port's audio
        try:
            line.dial(number)
        except ValueError as exc:
            raise GroupBusy(f"fxo: {exc}", group=self.name, reason="not diallable") from exc
        relay = self._relay(line)
        try:
            leg = await self.pool.open_port(relay.address, "out", near=near,
                                            call_id=f"{trunk}/out{self.calls_out}",
                                            info={"uri": f"tel:{number}", "line": trunk})
        except MediaError:
            relay.close()
            line.hangup()
            raise
        self.calls_out += 1
        info = ChannelInfo(caller=CallerInfo(caller_id or ""), did=number, trunk=trunk,
                           technology="fxo")
        channel = FxoChannel(self, line, leg, relay, info)
        self.calls[line.port] = channel
        while line.state in ("seizing", "dialling") and not channel.ended.done():
            await sleep(self.clock, DIAL_POLL)
        failed = self._failed.pop(line.port, None)
        if channel.ended.done() or line.state in ("idle", "no_line"):
            if not channel.ended.done():
                channel.line_released(FAIL_CAUSES.get(failed or "", 41), f"failed: {failed}")
            if failed in ("no_dial_tone", "congestion", "no_battery"):
                raise GroupBusy(f"{trunk}: {failed}", group=self.name, reason=failed)
            return leg
        relay.connect(str(leg.info["port_path"]))
        self._port_event(channel, "early")
        leg.info["line"] = trunk
        return leg

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: "asyncio.Future[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("fxo: line task failed", exc_info=task.exception())

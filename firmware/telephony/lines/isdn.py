"""``IsdnChannel`` and ``PriSpan``: an E1 PRI span of the card in the daemon.

``PriSpan`` runs our Q.921/Q.931 stack (``firmware/telephony/isdn``) on span N of
the card: frames from the framer's HDLC controller arrive in the drivers'
thread and are posted to the loop; frames out go to ``Card.send_frame``; a red
or blue alarm is layer 1 down (the link goes, its calls are cleared with their
CDRs), and the link is brought up again when the alarm clears.

An incoming SETUP is answered CALL PROCEEDING at once (the channel is ours),
then its B-channel gets a port leg in a media node and the call becomes an
``IsdnChannel`` handed to the inbound flow (DID = called number, caller =
calling number, trunk ``e1/N/<timeslot>``, so routes may name the span
``e1/N``). ``dial`` is the outbound side used by ``LineTrunk``: SETUP on a
hunted B-channel, a port leg next to the calling leg, the port leg rings on
ALERTING and is answered on CONNECT.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from drivers.e1.alarms import BLUE, RED, alarm_string
from drivers.errors import DriverError
from firmware.errors import MediaError
from firmware.events import EventBus
from firmware.media.leg import Leg
from firmware.telephony.channel import CallerInfo, ChannelInfo
from firmware.telephony.isdn import (
    Alerting, Call, Connected, Event, IncomingCall, IsdnError, LinkDown, LinkUp, NoChannelAvailable,
    Progress, Q921Link, Q931, Released,
)
from firmware.telephony.lines.causes import GROUP_BUSY_CAUSES
from firmware.telephony.lines.channel import LineChannel
from firmware.telephony.lines.relay import TdmRelay
from firmware.trunks.groups import GroupBusy

if TYPE_CHECKING:
    from acd_core.clock import Clock
    from drivers.card import Card
    from firmware.media.pool import MediaPool

log = logging.getLogger("callbox.lines.isdn")

OnCall = Callable[["LineChannel"], Awaitable[Any]]


class IsdnChannel(LineChannel):
    """One Q.931 call and its B-channel's port leg."""

    def __init__(self, span: "PriSpan", call: Call, leg: Leg, relay: TdmRelay,
                 info: ChannelInfo) -> None:
        super().__init__(leg, relay, info)
        self.span = span
        self.call = call
        self.progressed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def line_cleared(self) -> bool:
        return self.call.released

    def _signal_answer(self) -> None:
        self.call.answer()

    def _signal_clear(self, cause: int) -> None:
        if not self.call.released:
            try:
                self.call.hangup(cause)
            except IsdnError as exc:      # the call is already clearing: nothing to add
                log.info("%s: clear refused: %s", self.span.name, exc)

    def on_event(self, ev: Event) -> None:
        """Q.931's news of this call (the loop, inside the stack's callback)."""
        if isinstance(ev, (Alerting, Progress)):
            self._follow_channel()
            self._port_event("early")
        elif isinstance(ev, Connected):
            self._follow_channel()
            if self.call.direction == "out":
                self._port_event("confirmed")
        elif isinstance(ev, Released):
            self.line_released(ev.cause, f"{ev.summary.cleared_by} cause {ev.cause}")
        if not self.progressed.done() and isinstance(ev, (Alerting, Progress, Connected,
                                                          Released)):
            self.progressed.set_result(None)

    def _follow_channel(self) -> None:
        if self.call.ts is not None and self.call.ts != self.relay.slot:
            self.relay.move(self.span.slot(self.call.ts))

    def _port_event(self, event: str) -> None:
        leg = self.media_leg
        if leg.ended.done() or (event == "early" and leg.state != "dialing"):
            return
        task = asyncio.ensure_future(self.span.pool.port_event(leg, event))
        self._tasks.add(task)
        task.add_done_callback(self._hung_up)


class PriSpan:
    """Span ``n`` of the card as a PRI line group (``e1/N``)."""

    kind = "e1"

    def __init__(self, n: int, card: "Card", pool: "MediaPool", clock: "Clock", bus: EventBus,
                 on_call: OnCall, role: str = "user") -> None:
        self.n = n
        self.name = f"e1/{n}"
        self.card = card
        self.pool = pool
        self.bus = bus
        self.on_call = on_call
        self.role = role
        self.link = Q921Link(role, clock, self._send_frame, name=self.name)
        self.q931 = Q931(role, self.link, clock, self._on_event, name=self.name)
        self.calls: dict[Call, IsdnChannel] = {}
        self._pending: dict[Call, list[Event]] = {}   # events while the port leg is made
        self.alarms = 0
        self.calls_in = self.calls_out = self.refused = 0
        self._tasks: set[asyncio.Future[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.idle_reason = ""          # why the span is not started (no far end on the sim)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        def frame(f: bytes) -> None:          # the drivers' thread
            loop.call_soon_threadsafe(self._receive, f)

        def alarm(a: int) -> None:
            loop.call_soon_threadsafe(self._alarm, a)

        self.card.on_frame(self.n, frame)
        self.card.on_alarm(self.n, alarm)
        self.q931.start()
        log.info("%s: PRI %s side started", self.name, self.role)

    async def stop(self) -> None:
        if self._loop is None:
            return
        for channel in list(self.calls.values()):
            await channel.hangup(16)
        self.card.on_frame(self.n, None)
        self.card.on_alarm(self.n, None)
        self.q931.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def slot(self, ts: int) -> int:
        """The TDM switch slot of B-channel ``ts`` (span 1's channels are slots 1-31)."""
        if self.n != 1:
            raise DriverError(f"{self.name}: the TDM highway carries span 1 only", span=self.n)
        return ts

    def describe(self) -> dict[str, Any]:
        busy = sorted(c.ts for c in self.q931.calls.values() if c.ts is not None)
        return {"name": self.name, "signalling": "pri", "role": self.role,
                "d_channel": "up" if self.q931.link_up else "idle" if self.idle_reason
                else "down", **({"idle": self.idle_reason} if self.idle_reason else {}),
                "alarms": alarm_string(self.alarms) if self.alarms else "",
                "calls": len(self.calls), "busy_channels": busy,
                "free_channels": len(self.q931.free_channels()),
                "calls_in": self.calls_in, "calls_out": self.calls_out,
                "refused": self.refused}

    def why_not(self) -> str | None:
        """Why an outbound call cannot be placed now (None: it can)."""
        if self.idle_reason:
            return f"not started: {self.idle_reason}"
        if not self.q931.link_up:
            return "D-channel down"
        if not self.q931.free_channels():
            return "every B-channel busy"
        return None

    # -- the card ----------------------------------------------------------------------
    def _send_frame(self, frame: bytes) -> None:
        try:
            self.card.send_frame(self.n, frame)
        except DriverError as exc:     # span down: Q.921's timers carry on and retry
            log.debug("%s: frame not sent: %s", self.name, exc)

    def _receive(self, frame: bytes) -> None:
        self.link.receive(frame)

    def _alarm(self, alarms: int) -> None:
        was_down = bool(self.alarms & (RED | BLUE))
        self.alarms = alarms
        down = bool(alarms & (RED | BLUE))
        if down and not was_down:
            log.warning("%s: layer 1 down (%s)", self.name, alarm_string(alarms))
            self.link.layer1_down()
        elif was_down and not down:
            log.info("%s: layer 1 back, bringing the D-channel up", self.name)
            self.q931.start()

    # -- Q.931 ---------------------------------------------------------------------------
    def _on_event(self, ev: Event) -> None:
        if isinstance(ev, LinkUp):
            self.bus.publish("line.up", line=self.name)
        elif isinstance(ev, LinkDown):
            self.bus.publish("line.down", line=self.name, reason=ev.reason)
        elif isinstance(ev, IncomingCall):
            self._incoming(ev)
        else:
            call = getattr(ev, "call", None)
            if call in self._pending:
                self._pending[call].append(ev)
                return
            channel = self.calls.get(call) if call is not None else None
            if channel is not None:
                channel.on_event(ev)
                if isinstance(ev, Released):
                    self.calls.pop(ev.call, None)

    def _incoming(self, ev: IncomingCall) -> None:
        call = ev.call
        call.proceeding()
        self.calls_in += 1
        self._spawn(self._take_incoming(ev))

    async def _take_incoming(self, ev: IncomingCall) -> None:
        call, ts = ev.call, ev.channel_ts
        calling = ev.calling.digits if ev.calling is not None else ""
        trunk = f"{self.name}/{ts}"
        try:
            relay = TdmRelay(self._switch(), self.slot(ts), f"e1-{self.n}-{ts}")
        except (DriverError, MediaError) as exc:     # no audio path for this span
            self.refused += 1
            log.error("%s: incoming call refused ts=%d: %s", self.name, ts, exc)
            call.hangup(34)
            return
        self._pending[call] = []
        try:
            leg = await self.pool.open_port(relay.address, "in",
                                            call_id=f"{trunk}/0x{call.call_ref:04x}",
                                            info={"trunk": trunk, "did": ev.called.digits,
                                                  "from": calling})
        except MediaError as exc:
            self._pending.pop(call, None)
            self.refused += 1
            log.warning("%s: no media for an incoming call ts=%d: %s", self.name, ts, exc)
            relay.close()
            if not call.released:
                call.hangup(34)          # no circuit/channel available
            return
        relay.connect(str(leg.info["port_path"]))
        info = ChannelInfo(caller=CallerInfo(number=calling), did=ev.called.digits,
                           trunk=trunk, technology="isdn")
        channel = IsdnChannel(self, call, leg, relay, info)
        self._adopt(call, channel)
        if channel.ended.done():          # the caller gave up while the leg was made
            return
        log.info("%s: incoming call ts=%d did=%s caller=%s leg=%s", self.name, ts,
                 info.did, calling or "-", leg.id)
        await self.on_call(channel)

    async def dial(self, near: Leg, number: str, caller_id: str | None = None) -> Leg:
        """SETUP for ``number`` on a free B-channel, its port leg next to ``near``; returns
        the leg once the far end rings, answers or has refused for a reason of its own.
        ``GroupBusy`` when the span cannot carry it (link down, no channel, causes 34,
        38, 41, 42, 44, 47)."""
        if not self.q931.link_up:
            raise GroupBusy(f"{self.name}: D-channel down", group=self.name,
                            reason="D-channel down")
        try:
            call = self.q931.place_call(number, caller_id or None)
        except NoChannelAvailable as exc:
            raise GroupBusy(f"{self.name}: no free B-channel", group=self.name,
                            reason="no free B-channel") from exc
        assert call.ts is not None
        trunk = f"{self.name}/{call.ts}"
        try:
            relay = TdmRelay(self._switch(), self.slot(call.ts), f"e1-{self.n}-{call.ts}")
        except (DriverError, MediaError) as exc:     # no audio path for this span
            call.hangup(47)
            raise GroupBusy(f"{self.name}: {exc}", group=self.name, reason="no audio path") from exc
        self._pending[call] = []
        try:
            leg = await self.pool.open_port(relay.address, "out", near=near,
                                            call_id=f"{trunk}/0x{call.call_ref:04x}",
                                            info={"uri": f"tel:{number}", "line": trunk})
        except MediaError:
            self._pending.pop(call, None)
            relay.close()
            call.hangup(47)
            raise
        relay.connect(str(leg.info["port_path"]))
        info = ChannelInfo(caller=CallerInfo(number=caller_id or ""), did=number, trunk=trunk,
                           technology="isdn")
        channel = IsdnChannel(self, call, leg, relay, info)
        self.calls_out += 1
        self._adopt(call, channel)
        if not channel.ended.done():
            waits: set[asyncio.Future[Any]] = {channel.progressed, channel.ended}
            await asyncio.wait(waits,
                               return_when=asyncio.FIRST_COMPLETED)
        if channel.ended.done() and not call.answered:
            cause = call.cause or 0
            if cause in GROUP_BUSY_CAUSES:
                raise GroupBusy(f"{self.name}: the network refused the call, cause {cause}",
                                group=self.name, reason=f"cause {cause}")
        leg.info["line"] = trunk
        return leg

    def _adopt(self, call: Call, channel: IsdnChannel) -> None:
        """The port leg is made: the call's events so far reach its channel, in order."""
        self.calls[call] = channel
        for ev in self._pending.pop(call, []):
            self._on_event(ev)
        if call.released and not channel.ended.done():
            self.calls.pop(call, None)
            channel.line_released(call.cause or 16, "released before the port leg")

    def _switch(self) -> Any:
        if self.card.switch is None:
            raise MediaError(f"{self.name}: the card has no TDM stream", line=self.name)
        return self.card.switch

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: "asyncio.Future[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: line call task failed", self.name, exc_info=task.exception())

"""``R2Channel`` and ``R2Group``: an MFC-R2 span in the daemon.

``R2Group`` runs the R2 stack (``firmware/telephony/r2``: line and register
signalling as tables, the variant's tones and timers) on the daemon loop, on one
of two lines: the simulator's timeslot door (``[e1.sim] signalling = "mfcr2"``,
``timeslot_socket``: each voice timeslot a socket a far-end R2 stack such as
libopenr2 connects to, ABCD bits and audio in every 20 ms packet), or the card's
own CAS path (``[e1.spanN] signalling = "r2"``: the framer's TS16 CAS registers
and the TDM switch, ``r2card.CardCasLine``), on the real card or on the register
simulator.

An incoming call (seizure, DNIS, ANI, category) goes to the inbound flow as an
``R2Channel`` (trunk ``e1/N/<ts>``, DID = DNIS, caller = ANI, category) while
group B is still to be sent, so the flow decides it: its answer sends group B
"subscriber free, charge", through-connects the timeslot's audio to the port
leg and sends the answer bits; its refusal before answering (``reject``) is the
group B refusal of the cause: a DNIS that routes nowhere "unallocated number", a
route or caller list that hangs up "busy", a queue nobody would take the call in
its ``refuse_with`` ("busy" or "congestion", ``flows.admission``), anything else
"congestion". The flow writes the CDR either way. ``block``/``unblock`` are the admin's blocking of a
timeslot or the whole span (docs/r2.md), for the API.
Outbound (``dial``) seizes the highest idle timeslot and sends DNIS, ANI and
category; group B free rings the port leg, the answer bits answer it; a
congestion refusal is ``GroupBusy``.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Callable, Protocol

from acd_core.errors import IllegalTransition
from firmware.errors import MediaError
from firmware.events import EventBus
from firmware.media.leg import Leg
from firmware.telephony.channel import CallerInfo, ChannelInfo
from firmware.telephony.lines.channel import LineChannel
from firmware.telephony.lines.isdn import OnCall
from firmware.telephony.lines.r2card import CardCasLine
from firmware.telephony.lines.relay import TdmRelay
from firmware.telephony.r2 import R2Span, variant
from firmware.telephony.r2.errors import NoFreeCircuit, R2Error
from firmware.telephony.r2.events import (Accepted, Answered, ClearedBack, ClearedForward,
                                          IncomingCall, LineFailure, R2Event, Refused, Released)
from firmware.trunks.groups import GroupBusy

if TYPE_CHECKING:
    from acd_core.clock import Clock
    from drivers.card import Card
    from firmware.media.pool import MediaPool

log = logging.getLogger("callbox.lines.r2")

#: the group B refusal for the cause a flow refuses with (``causes.cause_for_sip``):
#: 486 -> 17 busy, 503 -> 41 congestion (a queue's ``refuse_with``, docs/inbound.md)
REFUSE_FOR_CAUSE = {1: "unallocated", 17: "busy", 21: "busy", 27: "out_of_order",
                    38: "out_of_order", 22: "number_changed", 34: "congestion",
                    41: "congestion", 42: "congestion", 44: "congestion", 47: "congestion"}
CAUSE_FOR_REFUSAL = {"busy": 17, "unallocated": 1, "congestion": 34, "out_of_order": 27,
                     "number_changed": 22, "collect_refused": 21}
BUSY_REFUSALS = ("congestion", "out_of_order")
BLOCKING_STATES = ("BLOCKED_LOCAL", "BLOCKED_BOTH")      # blocking sent


class MediaPaths:
    """The R2 span's per-timeslot audio hand-offs seen as a TDM switch (what
    ``TdmRelay`` needs): received frames to a listener, frames queued to send."""

    def __init__(self, span: R2Span) -> None:
        self.span = span

    def listen(self, slot: int, listener: Callable[[bytes], None] | None) -> None:
        self.span.media(slot).attach(listener)

    def send(self, slot: int, alaw: bytes) -> None:
        if len(alaw) == 160:
            self.span.media(slot).send(alaw)

    def queued(self, slot: int) -> int:
        return len(self.span.media(slot)._out) * 160

    def flush(self, slot: int) -> None:
        self.span.media(slot)._out.clear()


class R2Channel(LineChannel):
    def __init__(self, group: "R2Group", ts: int, leg: Leg, relay: TdmRelay,
                 info: ChannelInfo, direction: str) -> None:
        super().__init__(leg, relay, info)
        self.group = group
        self.ts = ts
        self.direction = direction
        self.released = False
        self.answered = False
        self.category = ""          # the caller's category (incoming)
        self.refusal = ""           # the far end's group A/B refusal (outgoing)
        self.progressed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def line_cleared(self) -> bool:
        return self.released

    def _signal_answer(self) -> None:
        span = self.group.span
        try:
            if self.direction == "in" and span.state(self.ts).name == "IN_OFFERED":
                self.group.accept(self)
            span.answer(self.ts)
        except (IllegalTransition, R2Error) as exc:      # cleared meanwhile: released soon
            log.info("r2 ts=%d: answer refused: %s", self.ts, exc)

    def _signal_clear(self, cause: int) -> None:
        if self.released:
            return
        span = self.group.span
        try:
            if self.direction == "in" and span.state(self.ts).name == "IN_OFFERED":
                self.group.refuse(self, REFUSE_FOR_CAUSE.get(cause, "congestion"))
            else:
                span.hangup(self.ts)
        except (IllegalTransition, R2Error) as exc:
            log.info("r2 ts=%d: clear refused: %s", self.ts, exc)


class R2Line(Protocol):
    """What carries the span's timeslots: the simulator's timeslot door
    (``drivers.sim.timeslot_door``) or the card's framer and TDM switch
    (``r2card.CardCasLine``). The span is its handler."""

    handler: Any

    def start(self) -> None: ...

    def close(self) -> None: ...

    def peers(self) -> list[int]: ...

    def set_cas(self, ts: int, abcd: int) -> None: ...


class R2Group:
    """Span ``n`` as the R2 line group ``e1/N``: on the simulator's timeslot door
    (``pattern``) or on the card's CAS path (``card``)."""

    kind = "e1"

    def __init__(self, n: int, pool: "MediaPool", clock: "Clock", bus: EventBus,
                 on_call: OnCall, variant_name: str, pattern: str | None = None,
                 card: "Card | None" = None) -> None:
        if (pattern is None) == (card is None):
            raise R2Error("an R2 group runs on the timeslot door or on the card, one of them",
                          span=n)
        self.n = n
        self.name = f"e1/{n}"
        self.pool = pool
        self.bus = bus
        self.on_call = on_call
        self.variant = variant(variant_name)
        debounce = self.variant.timers["line_recognition"]
        self.door: R2Line
        if card is not None:
            self.path = "card"
            loop = asyncio.get_running_loop()

            def post(work: Callable[[], None]) -> None:     # from the drivers' thread
                loop.call_soon_threadsafe(work)
            self.door = CardCasLine(card, n, clock, post, debounce=debounce)
        else:
            from drivers.sim.timeslot_door import TimeslotDoor
            assert pattern is not None
            self.path = "timeslot door"
            self.door = TimeslotDoor(clock, pattern, idle_abcd=self.variant.abcd("idle"),
                                     cas_debounce=debounce, span=n)
        self.span = R2Span(clock, self.variant, self.door, self._on_event, number=n)
        self.door.handler = self.span
        self.paths = MediaPaths(self.span)
        self.calls: dict[int, R2Channel] = {}
        self.calls_in = self.calls_out = self.refused = 0
        self._tasks: set[asyncio.Future[Any]] = set()

    def start(self) -> None:
        self.door.start()
        log.info("%s: MFC-R2 variant %s on the %s", self.name, self.variant.name, self.path)

    async def stop(self) -> None:
        for channel in list(self.calls.values()):
            await channel.hangup(16)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.door.close()

    def describe(self) -> dict[str, Any]:
        circuits = self.span.describe()
        idle = [c["ts"] for c in circuits if c.get("state") == "IDLE"]
        return {"name": self.name, "signalling": "mfcr2", "variant": self.variant.name,
                "path": self.path, "d_channel": "n/a", "connected_timeslots": self.door.peers(),
                "idle_timeslots": len(idle), "calls": len(self.calls),
                "calls_in": self.calls_in, "calls_out": self.calls_out,
                "refused": self.refused, **self._blocking(circuits)}

    @staticmethod
    def _blocking(circuits: list[dict[str, Any]]) -> dict[str, list[int]]:
        """Which timeslots an admin blocked (sent or pending until the call ends) and which
        the far end blocks: what health's ``lines`` component shows."""
        return {"blocked_timeslots": [c["ts"] for c in circuits if c.get("admin_blocked")],
                "block_pending": [c["ts"] for c in circuits if c.get("admin_blocked")
                                  and c.get("state") not in BLOCKING_STATES],
                "blocked_by_far_end": [c["ts"] for c in circuits
                                       if c.get("state") in ("BLOCKED_REMOTE", "BLOCKED_BOTH")]}

    def timeslots(self, ts: int | None = None) -> list[dict[str, Any]]:
        """The state of one timeslot (or all): number-free (no DNIS or ANI)."""
        wanted = self._slots(ts)
        return [{"ts": c["ts"], "state": c["state"], "admin_blocked": c["admin_blocked"],
                 "block_pending": bool(c["admin_blocked"]) and c["state"] not in BLOCKING_STATES,
                 "in_call": c["call"] is not None}
                for c in self.span.describe() if c["ts"] in wanted]

    def _slots(self, ts: int | None) -> list[int]:
        if ts is None:
            return sorted(self.span.circuits)
        if ts not in self.span.circuits:
            raise R2Error(f"{self.name} has no R2 timeslot {ts} (1-15, 17-31)", span=self.n,
                          ts=ts)
        return [ts]

    def block(self, ts: int | None = None) -> list[dict[str, Any]]:
        """Block timeslot ``ts`` (None: every timeslot of the span) towards the far end: at
        once when idle, else when its call has ended (after the release guard)."""
        for slot in self._slots(ts):
            self.span.block(slot)
        log.info("%s: blocked %s", self.name, "the span" if ts is None else f"timeslot {ts}")
        return self.timeslots(ts)

    def unblock(self, ts: int | None = None) -> list[dict[str, Any]]:
        """Lift an admin block (a pending one too): the far end sees idle again."""
        for slot in self._slots(ts):
            self.span.unblock(slot)
        log.info("%s: unblocked %s", self.name, "the span" if ts is None else f"timeslot {ts}")
        return self.timeslots(ts)

    def why_not(self) -> str | None:
        if not self.door.peers():
            return ("no far end on any timeslot" if self.path == "timeslot door"
                    else "the span's layer 1 is down")
        return None

    # -- events (loop) -----------------------------------------------------------------
    def _on_event(self, ev: R2Event) -> None:
        if isinstance(ev, IncomingCall):
            self._spawn(self._take_incoming(ev))
            return
        channel = self.calls.get(ev.ts)
        if channel is None:
            return
        if isinstance(ev, Accepted):
            self._port_event(channel, "early")
            self._progressed(channel)
        elif isinstance(ev, Answered):
            channel.answered = True
            if channel.direction == "out":
                self._port_event(channel, "confirmed")
            self._progressed(channel)
        elif isinstance(ev, Refused):
            channel.released = True
            self.calls.pop(ev.ts, None)
            channel.refusal = ev.reason
            channel.line_released(CAUSE_FOR_REFUSAL.get(ev.reason, 41), f"refused {ev.reason}")
            self._progressed(channel)
        elif isinstance(ev, (ClearedForward, ClearedBack, LineFailure)):
            why = type(ev).__name__ if not isinstance(ev, LineFailure) else f"line failure {ev.reason}"
            channel.line_released(16 if not isinstance(ev, LineFailure) else 41, why)
            self._progressed(channel)
        elif isinstance(ev, Released):
            channel.released = True
            self.calls.pop(ev.ts, None)
            channel.line_released(16, "released")
            self._progressed(channel)

    @staticmethod
    def _progressed(channel: R2Channel) -> None:
        if not channel.progressed.done():
            channel.progressed.set_result(None)

    def _port_event(self, channel: R2Channel, change: str) -> None:
        leg = channel.media_leg
        if leg.ended.done() or (change == "early" and leg.state != "dialing"):
            return
        task = asyncio.ensure_future(self.pool.port_event(leg, change))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _take_incoming(self, ev: IncomingCall) -> None:
        """Offer the call to the inbound flow while group B is still to be sent: the flow's
        answer sends group B "subscriber free, charge" (then the answer bits), its refusal
        before answering is the group B refusal of its cause (no route: unallocated; a
        route or caller list that hangs up: busy; a failure: congestion). So every
        offered call leaves a CDR, refused or not. Only a call with no media node for it
        is refused here (congestion), before the flow."""
        ts, trunk = ev.ts, f"{self.name}/{ev.ts}"
        self.calls_in += 1
        relay = TdmRelay(self.paths, ts, f"r2-{self.n}-{ts}")
        try:
            leg = await self.pool.open_port(relay.address, "in",
                                            call_id=f"{trunk}/{self.calls_in}",
                                            info={"trunk": trunk, "did": ev.dnis,
                                                  "from": ev.ani})
        except MediaError as exc:
            relay.close()
            self.refused += 1
            log.warning("%s: no media for an incoming call: %s", trunk, exc)
            self._refuse(ts, "congestion")
            return
        info = ChannelInfo(caller=CallerInfo(number=ev.ani), did=ev.dnis, trunk=trunk,
                           technology="r2", category=ev.category)
        channel = R2Channel(self, ts, leg, relay, info, "in")
        channel.category = ev.category
        self.calls[ts] = channel
        if self.span.state(ts).name != "IN_OFFERED":       # the caller cleared meanwhile
            self.calls.pop(ts, None)
            channel.released = True
            channel.line_released(16, "cleared before the offer")
            return
        log.info("%s: incoming call dnis=%s ani=%s category=%s leg=%s", trunk, ev.dnis,
                 ev.ani or "-", ev.category, leg.id)
        await self.on_call(channel)

    def accept(self, channel: R2Channel) -> None:
        """Group B "subscriber free, charge" for an offered call; its audio joins the port
        leg once MF signalling ends."""
        self.span.accept(channel.ts, "free_charge")
        channel.relay.connect(str(channel.media_leg.info["port_path"]))

    def refuse(self, channel: R2Channel, group_b: str) -> None:
        self.refused += 1
        log.info("%s/%d: refused in group B: %s", self.name, channel.ts, group_b)
        self._refuse(channel.ts, group_b)

    def _refuse(self, ts: int, group_b: str) -> None:
        try:
            self.span.refuse(ts, group_b)
        except (IllegalTransition, R2Error) as exc:      # the caller cleared meanwhile
            log.info("%s/%d: refusal not sent: %s", self.name, ts, exc)

    async def dial(self, near: Leg, number: str, caller_id: str | None = None) -> Leg:
        if self.why_not() is not None:
            raise GroupBusy(f"{self.name}: {self.why_not()}", group=self.name,
                            reason=self.why_not())
        try:
            ts = self.span.place_call(number, caller_id or "")
        except NoFreeCircuit as exc:
            raise GroupBusy(f"{self.name}: no idle timeslot", group=self.name,
                            reason="no idle timeslot") from exc
        except R2Error as exc:
            raise GroupBusy(f"{self.name}: {exc}", group=self.name, reason=str(exc)) from exc
        trunk = f"{self.name}/{ts}"
        relay = TdmRelay(self.paths, ts, f"r2-{self.n}-{ts}")
        try:
            leg = await self.pool.open_port(relay.address, "out", near=near,
                                            call_id=f"{trunk}/out{self.calls_out}",
                                            info={"uri": f"tel:{number}", "line": trunk})
        except MediaError:
            relay.close()
            self.span.hangup(ts)
            raise
        self.calls_out += 1
        relay.connect(str(leg.info["port_path"]))
        info = ChannelInfo(caller=CallerInfo(number=caller_id or ""), did=number, trunk=trunk,
                           technology="r2")
        channel = R2Channel(self, ts, leg, relay, info, "out")
        self.calls[ts] = channel
        waits: set[asyncio.Future[Any]] = {channel.progressed, channel.ended}
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        refusal = channel.refusal
        if refusal in BUSY_REFUSALS:
            raise GroupBusy(f"{trunk}: refused {refusal}", group=self.name, reason=refusal)
        leg.info["line"] = trunk
        return leg

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: "asyncio.Future[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: line task failed", self.name, exc_info=task.exception())

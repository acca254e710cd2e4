"""One R2 circuit (timeslot): the state table carried out, with its register, timers and audio.

The circuit is sans I/O: the card (the framer, or the simulated card's timeslot
door) tells it about recognised ABCD changes and received 20 ms frames and asks
it for the next frame to send; it sets its transmit bits through the span's
``line``. Time is the injected clock. Every change goes through :meth:`fire`,
which logs one line and carries out the row's actions (docs/r2.md#call-states).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acd_core.clock import TimerHandle
from firmware.telephony.r2 import events as ev
from firmware.telephony.r2.backward import BackwardRegister
from firmware.telephony.r2.forward import ForwardRegister
from firmware.telephony.r2.media import MediaPath
from firmware.telephony.r2.mf import SILENCE
from firmware.telephony.r2.register import Register
from firmware.telephony.r2.states import RX_EVENTS, TABLE, State, row

if TYPE_CHECKING:
    from firmware.telephony.r2.span import R2Span

log = logging.getLogger(__name__)

#: Every action the state table may name: exact strings, or a verb and its argument.
ACTION_VERBS = ("send", "start", "cause", "emit", "cleared")
ACTIONS = frozenset({
    "stop timers", "stop register", "backward register", "forward register", "register accept",
    "register refuse", "connect media", "disconnect media", "new call in", "new call out",
    "release", "block pending", "unblock pending", "answer pending", "check rx", "warn"})

SIGNAL_NAMES = {0b10: "idle/clear forward", 0b00: "seize", 0b11: "seize ack/clear back/blocked",
                0b01: "answer"}


@dataclass
class Call:
    direction: str
    seized: float
    dnis: str = ""
    ani: str = ""
    ani_restricted: bool = False
    category: str = ""
    answered: float | None = None
    cause: str = ""
    cleared_by: str = ""
    group_b: str = ""
    refuse_with: str = "congestion"


class R2Circuit:
    def __init__(self, span: "R2Span", ts: int) -> None:
        self.span = span
        self.ts = ts
        self.clock = span.clock
        self.variant = span.variant
        self.state = State.OUT_OF_SERVICE
        self.rx_ab: int | None = None
        self.tx_abcd: int | None = None
        self.register: Register | None = None
        self.media = MediaPath(ts)
        self.call: Call | None = None
        self.admin_blocked = False
        self.answer_pending = False
        self._timers: dict[str, TimerHandle] = {}
        self._follow: list[str] = []
        self._outgoing: tuple[str, str | None, int] | None = None
        self._line_down_reason = "line down"

    # ------------------------------------------------------------ the one transition
    def fire(self, event: str) -> None:
        r = row(self.state, event, span=self.span.number, ts=self.ts)
        old, self.state = self.state, r.next
        log.info("r2 span=%d ts=%d: %s -> %s (%s)%s", self.span.number, self.ts, old.name,
                 r.next.name, event, f" [{', '.join(r.actions)}]" if r.actions else "")
        if old is not r.next:
            self.trace("state", f"{old.name} -> {r.next.name} ({event})")
        for action in r.actions:
            self._do(action, event)
        while self._follow:
            self.fire(self._follow.pop(0))
        self.span.flush()

    def _do(self, action: str, event: str) -> None:
        verb, _, arg = action.partition(" ")
        call = self.call
        if verb == "send":
            self._send(arg)
        elif verb == "start":
            self._start(arg)
        elif action == "stop timers":
            for handle in self._timers.values():
                handle.cancel()
            self._timers.clear()
        elif action == "stop register":
            if self.register is not None:
                self.register.stop()
                self.register = None
        elif action == "backward register":
            self.register = BackwardRegister(self, self.span.max_dnis, self.span.max_ani,
                                             self.span.dnis_complete)
        elif action == "forward register":
            assert self._outgoing is not None
            dnis, ani, category = self._outgoing
            self.register = ForwardRegister(self, dnis, ani, category)
        elif action in ("register accept", "register refuse"):
            assert call is not None and isinstance(self.register, BackwardRegister)
            accept = action == "register accept"
            meaning = call.group_b if accept else call.refuse_with
            call.group_b = meaning
            if not accept:
                self._cause(meaning)
            self.register.decide(self.variant.group_b_tone(meaning, accept), accept)
        elif action == "connect media":
            self.media.connect()
        elif action == "disconnect media":
            self.media.disconnect()
        elif action == "new call in":
            self.call = Call("in", self.clock.wall())
        elif action == "new call out":
            assert self._outgoing is not None
            dnis, ani, category = self._outgoing
            self.call = Call("out", self.clock.wall(), dnis, ani or "", ani is None,
                             self.variant.category_name(category))
        elif verb == "cause":
            self._cause(arg)
        elif action.startswith("cleared by "):
            if call is not None and not call.cleared_by:
                call.cleared_by = action[len("cleared by "):]
        elif verb == "emit":
            self._emit(arg)
        elif action == "release":
            self._release()
        elif action in ("block pending", "unblock pending"):
            log.info("r2 span=%d ts=%d: %s (applies when the call ends)", self.span.number,
                     self.ts, action)
        elif action == "answer pending":
            self.answer_pending = True
        elif action == "check rx":
            if self.rx_ab == 0b10:
                self._follow.append("rx idle")
        elif action == "warn":
            bits = f"AB={self.rx_ab:02b}" if self.rx_ab is not None else "no bits"
            log.warning("r2 span=%d ts=%d: %s in %s ignored (%s)", self.span.number, self.ts,
                        event, self.state.name, bits)
            self.trace("warn", f"{event} ignored in {self.state.name}")
        else:
            raise AssertionError(f"unknown R2 action {action!r}")

    def _cause(self, cause: str) -> None:
        if self.call is not None and not self.call.cause:
            self.call.cause = cause

    # ------------------------------------------------------------ line bits
    def _send(self, signal: str) -> None:
        abcd = self.variant.abcd(signal)
        if abcd != self.tx_abcd:
            self.trace("CAS tx", f"{abcd:04b} {signal}")
        self.tx_abcd = abcd
        self.span.line.set_cas(self.ts, abcd)

    def cas_received(self, abcd: int) -> None:
        ab = self.variant.ab(abcd)
        self.trace("CAS rx", f"{abcd:04b} {SIGNAL_NAMES[ab]}")
        self.rx_ab = ab
        event = RX_EVENTS[ab]
        self.fire(event if event in TABLE[self.state] else "rx unexpected")

    def line_up(self) -> None:
        self.rx_ab = None
        self.fire("line up blocked" if self.admin_blocked else "line up")

    def line_down(self, reason: str) -> None:
        self.rx_ab = None
        self._line_down_reason = reason
        if self.state is not State.OUT_OF_SERVICE:
            self.fire("line down")

    # ------------------------------------------------------------ audio
    def audio_received(self, frame: bytes) -> None:
        if self.media.connected:
            self.media.deliver(frame)
        elif self.register is not None:
            self.register.audio(frame)

    def audio_to_send(self) -> bytes:
        if self.media.connected:
            return self.media.next_frame()
        if self.register is not None:
            return self.register.frame()
        return SILENCE

    # ------------------------------------------------------------ commands
    def place(self, dnis: str, ani: str | None, category: int) -> None:
        self._outgoing = (dnis, ani, category)
        self.fire("place")

    def command(self, event: str) -> None:
        self.fire(event)

    # ------------------------------------------------------------ register host
    def register_event(self, event: str) -> None:
        reg, call = self.register, self.call
        if reg is not None and call is not None:
            res = reg.result
            if call.direction == "in":      # what was collected, offered or not
                call.dnis, call.ani, call.ani_restricted = res.dnis, res.ani, res.ani_restricted
                call.category = res.category
            if event in ("mf accepted", "mf refused") and call.direction == "out":
                call.group_b = res.group_b
                if event == "mf refused":
                    self._cause(res.group_b)
                elif self.answer_pending:
                    event = "mf accepted answered"
            elif event == "mf failed":
                log.warning("r2 span=%d ts=%d: MF failed: %s", self.span.number, self.ts,
                            res.failure)
        self.fire(event)

    # ------------------------------------------------------------ timers
    def _start(self, name: str, then: str = "") -> None:
        """Start timer ``name``; on expiry fire ``T <name>`` (or ``then``)."""
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        handle: TimerHandle | None = None

        def expired() -> None:
            if self._timers.get(name) is not handle:
                return
            del self._timers[name]
            if then == "block" and not self.admin_blocked:
                return                     # unblocked during the release guard
            event = then or f"T {name}"
            if name == "answer_delay" and self.answer_pending:
                event += " answer pending"
            self.fire(event)
        handle = self.clock.call_later(self.variant.timers[name], expired)
        self._timers[name] = handle

    # ------------------------------------------------------------ events
    def _emit(self, name: str) -> None:
        span, ts, call = self.span.number, self.ts, self.call
        event: Any
        if name == "Seized":
            assert call is not None
            event = ev.Seized(span, ts, call.direction)
        elif name == "IncomingCall":
            assert call is not None
            event = ev.IncomingCall(span, ts, call.dnis, call.ani, call.category,
                                    call.ani_restricted)
        elif name == "Accepted":
            assert call is not None
            event = ev.Accepted(span, ts, call.group_b)
        elif name == "Refused":
            assert call is not None
            event = ev.Refused(span, ts, call.group_b)
        elif name == "Answered":
            if call is not None:
                call.answered = self.clock.wall()
            self.answer_pending = False
            event = ev.Answered(span, ts)
        elif name == "LineFailure":
            event = ev.LineFailure(span, ts, self._line_down_reason)
        else:
            event = getattr(ev, name)(span, ts)
        self.trace("event", repr(event))
        self.span.post(event)

    def _release(self) -> None:
        call = self.call
        self.call = None
        self.answer_pending = False
        self._outgoing = None
        self.media.disconnect()
        if call is not None:
            summary = ev.CallSummary(
                self.span.number, self.ts, self.variant.name, call.direction, call.dnis, call.ani,
                call.ani_restricted, call.category, call.seized, call.answered, self.clock.wall(),
                call.cause or "normal", call.cleared_by or "remote", call.group_b)
            event = ev.Released(self.span.number, self.ts, summary)
            self.trace("event", f"Released cause={summary.cause} by={summary.cleared_by}")
            self.span.post(event)
        if self.admin_blocked and self.state is State.IDLE:
            self._start("release_guard", then="block")

    # ------------------------------------------------------------ tracing
    def trace(self, kind: str, text: str) -> None:
        self.span.trace(self.ts, kind, text)

    def describe(self) -> dict[str, object]:
        call = self.call
        return {"ts": self.ts, "state": self.state.name, "text": self.state.text,
                "admin_blocked": self.admin_blocked,
                "tx_abcd": None if self.tx_abcd is None else f"{self.tx_abcd:04b}",
                "rx_ab": None if self.rx_ab is None else f"{self.rx_ab:02b}",
                "call": None if call is None else {
                    "direction": call.direction, "dnis": call.dnis, "ani": call.ani,
                    "category": call.category}}

"""Q.931 (ETSI DSS1) layer 3 for one E1 PRI, user or network side, sans I/O.

``Q931(role, link, clock, on_event)`` binds itself to a ``Q921Link`` and
carries out the call state tables of ``q931_states``: received messages,
commands of ``Call`` and timer expiries become table events; one
``transition()`` per event logs ``call 0x0003: U1 -> U3 (rx CALL PROCEEDING: T303
stop, ...)`` and does the row's actions. Bad messages are answered as Q.931 5.8
says (STATUS, RELEASE COMPLETE or silence), logged and counted; nothing a peer
sends raises out of ``dl_data``.

Channels: E1 timeslots 1-15 and 17-31 are the B-channels (channel number =
timeslot). Outgoing calls hunt upwards on the network side and downwards on
the user side, so the two ends meet last; a glare that happens anyway is
resolved for the network (Q.931 5.1.2/5.2.3.1): the network side refuses the
user's exclusive request with cause 44 or moves a preferred one, the user side
gives its channel up and takes the channel the network names in its answer,
or clears with cause 44.
"""
from __future__ import annotations

import contextlib
import logging
from collections import Counter
from functools import partial
from typing import Callable, Iterable, Iterator

from acd_core.clock import Clock
from acd_core.errors import CallboxError, IllegalTransition
from acd_core.timers import TimerTable
from firmware.telephony.isdn import causes
from firmware.telephony.isdn.call import Call
from firmware.telephony.isdn.errors import IsdnError, NoChannelAvailable, Q931DecodeError
from firmware.telephony.isdn.events import (
    Alerting, Connected, DigitsReceived, Disconnected, Event, IncomingCall, LinkDown, LinkUp,
    Proceeding, Progress, Released,
)
from firmware.telephony.isdn.ie import (
    ITC_AUDIO_3K1, ITC_SPEECH, LOC_PUBLIC_LOCAL, LOC_USER, PRES_ALLOWED, SCREEN_NETWORK,
    SCREEN_USER_NOT_SCREENED, SENDING_COMPLETE, AnyIE, BearerCapability, CalledNumber,
    CallingNumber, CallState, Cause, ChannelId, Display, KeypadFacility, ProgressIndicator,
    RedirectingNumber,
)
from firmware.telephony.isdn.lapd import Role
from firmware.telephony.isdn.messages import MT, Message, MessageType
from firmware.telephony.isdn.q921 import Q921Link
from firmware.telephony.isdn.q931_states import FOLLOW_UP, NETWORK_TABLE, USER_TABLE, Row, State
from firmware.telephony.isdn.restart import RestartMixin

log = logging.getLogger(__name__)

E1_B_CHANNELS: tuple[int, ...] = tuple(range(1, 16)) + tuple(range(17, 32))

_FIRST_ANSWERS = (MT.SETUP_ACKNOWLEDGE, MT.CALL_PROCEEDING, MT.ALERTING, MT.CONNECT)
_CLEARING = (MT.DISCONNECT, MT.RELEASE, MT.RELEASE_COMPLETE)
_CALL_MESSAGES = {MT.SETUP, MT.SETUP_ACKNOWLEDGE, MT.CALL_PROCEEDING, MT.ALERTING, MT.CONNECT,
                  MT.CONNECT_ACKNOWLEDGE, MT.PROGRESS, MT.DISCONNECT, MT.RELEASE,
                  MT.RELEASE_COMPLETE, MT.STATUS_ENQUIRY, MT.NOTIFY, MT.FACILITY}
_OVERLAP_STATES = (State.U25, State.N2)
_OUTGOING_WAITING = (State.U1, State.U2, State.N6, State.N25)


class Q931(RestartMixin):
    """Layer 3 of one D-channel. ``on_event`` receives the ``events`` values."""

    def __init__(self, role: Role | str, link: Q921Link, clock: Clock,
                 on_event: Callable[[Event], None], *, timers: TimerTable | None = None,
                 channels: Iterable[int] = E1_B_CHANNELS, overlap_receiving: bool = False,
                 number_complete: Callable[[str], bool] | None = None, name: str = "pri",
                 on_message: Callable[[str, Message], None] | None = None) -> None:
        self.role = Role(role)
        self.user_side = self.role is Role.USER
        self.table = USER_TABLE if self.user_side else NETWORK_TABLE
        self.null = State.U0 if self.user_side else State.N0
        self.link = link
        self.clock = clock
        self.on_event = on_event
        self.on_message = on_message
        self.timers = timers or link.timers
        self.channels = tuple(channels)
        self.overlap_receiving = overlap_receiving
        self.number_complete = number_complete
        self.name = name
        self.calls: dict[tuple[int, bool], Call] = {}
        self.busy: dict[int, Call] = {}
        self.blocked: set[int] = set()
        self.link_up = False
        self.persistent = True
        self.counters: Counter[str] = Counter()
        self._next_ref = 1
        self._events: list[Event] = []
        self._glare_losers: list[Call] = []
        self._depth = 0
        self._init_restart()
        link.bind(self)

    # ------------------------------------------------------------------ public commands
    def start(self) -> None:
        """Bring the D-channel up (and keep it up: a lost link is re-established)."""
        self.persistent = True
        with self._entry():
            self.link.start()

    def stop(self) -> None:
        """Take the D-channel down on purpose (DISC); calls are cleared when it goes."""
        self.persistent = False
        with self._entry():
            self.link.stop()

    def free_channels(self) -> list[int]:
        return [ts for ts in self.channels if ts not in self.busy and ts not in self.blocked]

    def place_call(self, called: str | CalledNumber, calling: str | CallingNumber | None = None,
                   presentation: int = PRES_ALLOWED, ts: int | None = None,
                   exclusive: bool | None = None, *,
                   redirecting: RedirectingNumber | None = None,
                   bearer: BearerCapability | None = None, display: str | None = None) -> Call:
        """SETUP to the far end. Without ``ts`` a free B-channel is hunted; a hunted
        channel is *preferred* on the user side (the network may move it) and
        *exclusive* on the network side; a given ``ts`` is exclusive unless told."""
        if not self.link_up:
            raise IsdnError("cannot place a call: the D-channel is down", span=self.name)
        if ts is None:
            free = self.free_channels()
            if not free:
                raise NoChannelAvailable("no idle B-channel for an outgoing call", span=self.name,
                                         cause=causes.NO_CIRCUIT_AVAILABLE)
            ts = free[0] if not self.user_side else free[-1]
            excl = not self.user_side if exclusive is None else exclusive
        else:
            if ts not in self.channels:
                raise IsdnError("not a B-channel of this span", span=self.name, ts=ts)
            if ts in self.busy or ts in self.blocked:
                raise NoChannelAvailable("B-channel is busy", span=self.name, ts=ts,
                                         cause=causes.REQUESTED_CHANNEL_NOT_AVAILABLE)
            excl = True if exclusive is None else exclusive
        ref = self._allocate_ref()
        call = Call(self, ref, True, self.null, self.clock.now())
        call.ts, call.exclusive = ts, excl
        call.called = called if isinstance(called, CalledNumber) else CalledNumber(called)
        if isinstance(calling, str):
            screening = SCREEN_USER_NOT_SCREENED if self.user_side else SCREEN_NETWORK
            calling = CallingNumber(calling, presentation=presentation, screening=screening)
        call.calling = calling
        call.redirecting = redirecting
        call.bearer = bearer or BearerCapability()
        call.display = display
        self.calls[(ref, True)] = call
        self.busy[ts] = call
        self.command(call, "place")
        return call

    def command(self, call: Call, event: str) -> None:
        """A command of ``call`` (``Call.answer`` etc.): one table event."""
        if call.released:
            raise IsdnError(f"{call.label} is already released", command=event)
        with self._entry():
            self.transition(call, event)

    # ------------------------------------------------------------------ the machine
    def transition(self, call: Call, event: str, msg: Message | None = None) -> None:
        row: Row | None = self.table.get((call.state, event))
        if row is None and event.startswith("rx "):
            row = self.table.get((call.state, "rx unexpected"))
        if row is None:
            raise IllegalTransition(f"{call.label}: {event} is not allowed in {call.state}",
                                    call_ref=call.call_ref, state=str(call.state), event=event)
        before = call.state
        call.state = row.next
        shown = [a for a in row.actions if a not in ("ignore", "noop")]
        if before is not row.next:
            log.info("%s: %s -> %s (%s: %s)", call.label, before, row.next, event, ", ".join(shown))
        else:
            log.debug("%s: %s (%s: %s)", call.label, before, event, ", ".join(shown) or "nothing")
        for action in row.actions:
            self._act(call, action, msg)
        if call.released:
            return
        pending = call.pending_cause
        if pending is not None:
            call.pending_cause = None
            call.cause_out = pending
            self.transition(call, "hangup")
        elif before is not call.state and call.state in FOLLOW_UP:
            self.transition(call, FOLLOW_UP[call.state])

    def _act(self, call: Call, action: str, msg: Message | None) -> None:
        head, _, rest = action.partition(" ")
        if head == "send":
            words = rest.rsplit(" ", 1)
            cause = int(words[1]) if len(words) == 2 and words[1].isdigit() else None
            name = words[0] if cause is not None else rest
            self._send(self._message(call, MessageType[name.replace(" ", "_")], cause))
        elif head.startswith("T") and rest in ("start", "stop"):
            if rest == "start":
                self._start_timer(call, head)
            else:
                self._stop_timer(call, head)
        elif head == "emit":
            self._emit_call_event(call, rest, msg)
        elif action == "stop timers":
            for name in list(call.timers):
                self._stop_timer(call, name)
        elif action == "release":
            self._release(call)
        elif action == "adopt channel":
            self._adopt_channel(call, msg)
        elif action == "collect digits":
            self._collect_digits(call, msg)
        elif action == "take cause":
            cause_ie = msg.get(Cause) if msg is not None else None
            if cause_ie is not None and call.cause is None:
                call.cause = cause_ie.value
        elif head == "cause":
            call.cause_out = int(rest)
            if call.cause is None:
                call.cause = call.cause_out
        elif rest == "clearing":
            if call.cleared_by is None:
                call.cleared_by = head
                if head == "local" and call.cause is None:
                    call.cause = call.cause_out
        elif action not in ("ignore", "noop"):
            raise IllegalTransition(f"unknown Q.931 action {action!r}", call_ref=call.call_ref)

    # ------------------------------------------------------------------ events up
    @contextlib.contextmanager
    def _entry(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                while self._events:
                    event = self._events.pop(0)
                    try:
                        self.on_event(event)
                    except Exception:  # the layer above must not break the D-channel
                        self.counters["handler_errors"] += 1
                        log.exception("%s: event handler failed on %s", self.name,
                                      type(event).__name__)

    def _emit(self, event: Event) -> None:
        self._events.append(event)

    def _emit_call_event(self, call: Call, kind: str, msg: Message | None) -> None:
        if kind == "IncomingCall":
            assert call.ts is not None
            self._emit(IncomingCall(call, call.ts, call.calling, call.called, call.redirecting,
                                    call.bearer))
        elif kind == "Proceeding":
            self._emit(Proceeding(call))
        elif kind == "Alerting":
            self._emit(Alerting(call))
        elif kind == "Progress":
            pi = msg.get(ProgressIndicator) if msg is not None else None
            self._emit(Progress(call, pi.description if pi else 0))
        elif kind == "Connected":
            call.answered = self.clock.now()
            self._emit(Connected(call))
        elif kind == "Disconnected":
            self._emit(Disconnected(call, call.cause if call.cause is not None
                                    else causes.NORMAL_UNSPECIFIED))
        elif kind == "Digits":
            digits = self._info_digits(msg)
            if digits:
                self._emit(DigitsReceived(call, digits))
        else:
            raise IllegalTransition(f"unknown event {kind!r}", call_ref=call.call_ref)

    def _release(self, call: Call) -> None:
        if call.released:
            return
        for name in list(call.timers):
            self._stop_timer(call, name)
        call.released = True
        call.ended = self.clock.now()
        if call.ts is not None and self.busy.get(call.ts) is call:
            del self.busy[call.ts]
        self.calls.pop((call.call_ref, call.local_ref), None)
        summary = call.summary()
        self._emit(Released(call, summary.cause, summary))

    # ------------------------------------------------------------------ timers
    def _start_timer(self, call: Call, name: str) -> None:
        self._stop_timer(call, name)

        def fire() -> None:
            if call.timers.get(name) is not handle or call.released:
                return
            del call.timers[name]
            n = call.expiries[name] = call.expiries.get(name, 0) + 1
            event = name
            if name in ("T303", "T308") and n >= 2:
                event = f"{name} again"
            elif name == "T302" and not call.called.digits:
                event = "T302 no digits"
            log.info("%s: %s expired in %s", call.label, name, call.state)
            self._guarded(lambda: self.transition(call, event))

        handle = self.clock.call_later(self.timers[name], fire)
        call.timers[name] = handle

    def _stop_timer(self, call: Call, name: str) -> None:
        handle = call.timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _guarded(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` as one entry from below (frame, timer): errors are logged, never raised."""
        with self._entry():
            try:
                fn()
            except CallboxError as exc:
                self.counters["errors"] += 1
                log.warning("%s: %s", self.name, exc)
            except Exception:
                self.counters["internal_errors"] += 1
                log.exception("%s: internal error", self.name)

    # ------------------------------------------------------------------ messages out
    def _send(self, msg: Message) -> None:
        self.counters["tx"] += 1
        log.debug("%s: tx %s", self.name, msg.describe())
        if self.on_message is not None:
            self.on_message("tx", msg)
        self.link.send(bytes(msg))

    def _message(self, call: Call, mtype: MessageType, cause: int | None = None) -> Message:
        ies: list[AnyIE | None] = []
        location = LOC_USER if self.user_side else LOC_PUBLIC_LOCAL
        if mtype is MT.SETUP:
            if call.ts is None:
                raise IsdnError("SETUP without a B-channel", call_ref=call.call_ref)
            ies = [call.bearer, ChannelId.for_timeslot(call.ts, call.exclusive),
                   Display(call.display) if call.display else None, call.calling, call.called,
                   call.redirecting, SENDING_COMPLETE]
        elif (mtype in _FIRST_ANSWERS and not call.local_ref and not call.channel_sent
              and call.ts is not None):
            ies = [ChannelId.for_timeslot(call.ts, True)]
            call.channel_sent = True
        elif mtype is MT.PROGRESS:
            ies = [ProgressIndicator(call.progress_description, location)]
        elif mtype in _CLEARING:
            ies = [Cause(cause if cause is not None else call.cause_out, location)]
        elif mtype is MT.STATUS:
            ies = [Cause(cause if cause is not None else causes.RESPONSE_TO_STATUS_ENQUIRY,
                         location), CallState(call.state.number)]
        elif mtype is MT.INFORMATION:
            ies = [SENDING_COMPLETE]
        return Message.build(mtype, call.call_ref, not call.local_ref, *ies)

    def _send_on_ref(self, mtype: MessageType, call_ref: int, flag: bool, *ies: AnyIE) -> None:
        """A message on a call reference we hold no call for (Q.931 5.8.3.2)."""
        self._send(Message.build(mtype, call_ref, flag, *ies))

    def _cause(self, value: int) -> Cause:
        return Cause(value, LOC_USER if self.user_side else LOC_PUBLIC_LOCAL)

    def _allocate_ref(self) -> int:
        for _ in range(0x7FFF):
            ref = self._next_ref
            self._next_ref = self._next_ref % 0x7FFF + 1
            if (ref, True) not in self.calls:
                return ref
        raise IsdnError("no free call reference", span=self.name)

    # ------------------------------------------------------------------ link (layer 2 -> 3)
    def dl_established(self, confirm: bool) -> None:
        with self._entry():
            if not self.link_up:
                self.link_up = True
                log.info("%s: D-channel up (%s)", self.name, "we" if confirm else "far end")
                self._emit(LinkUp())
                return
            # Q.931 5.8.8: the link was reset under us; calls still dialling cannot go on.
            log.warning("%s: data link reset", self.name)
            for call in list(self.calls.values()):
                if call.state in (State.U2, State.U25, State.N2, State.N25):
                    call.cause_out = causes.TEMPORARY_FAILURE
                    self._guarded(partial(self.transition, call, "hangup"))

    def dl_released(self, confirm: bool) -> None:
        with self._entry():
            was_up, self.link_up = self.link_up, False
            for call in list(self.calls.values()):
                self._guarded(partial(self.transition, call, "link lost"))
            self._restarts_link_lost()
            if was_up:
                reason = "released by us" if confirm else "data link lost"
                log.warning("%s: D-channel down (%s), %s", self.name, reason,
                            "re-establishing" if self.persistent else "staying down")
                self._emit(LinkDown(reason))
            if self.persistent and not confirm:
                self.link.start()

    def dl_data(self, payload: bytes) -> None:
        self.counters["rx"] += 1
        self._guarded(lambda: self._receive(payload))

    # ------------------------------------------------------------------ messages in
    def _receive(self, payload: bytes) -> None:
        try:
            msg = Message.parse(payload)
        except Q931DecodeError as exc:
            self.counters["decode_errors"] += 1
            log.warning("%s: rejected message: %s [%s]", self.name, exc, payload.hex())
            self._answer_decode_error(exc, payload)
            return
        log.debug("%s: rx %s", self.name, msg.describe())
        if self.on_message is not None:
            self.on_message("rx", msg)
        if msg.cr_len == 0:
            log.info("%s: %s with the dummy call reference ignored", self.name, msg.name)
            return
        if msg.is_global:
            self._global(msg)
            return
        call = self.calls.get((msg.call_ref, msg.flag))
        if call is None:
            self._unknown_ref(msg)
            return
        self.transition(call, self._classify(call, msg), msg)

    def _answer_decode_error(self, exc: Q931DecodeError, payload: bytes) -> None:
        ctx = exc.context
        if exc.cause is None or "call_ref" not in ctx:
            return                                   # Q.931 5.8.1-5.8.3: ignore
        ref, flag, mtype = ctx["call_ref"], ctx["call_ref_flag"], ctx["mtype"]
        if ref == 0:
            self._send_on_ref(MT.STATUS, 0, not flag, self._cause(exc.cause), CallState(0))
            return
        call = self.calls.get((ref, flag))
        if call is not None and mtype in _CLEARING:
            try:
                msg = Message.parse(payload, strict=False)
            except Q931DecodeError:
                msg = Message(mtype, ref, flag, ())
            self.transition(call, self._classify(call, msg), msg)
        elif call is not None:
            self._send(self._message(call, MT.STATUS, exc.cause))
        elif mtype == MT.SETUP and not flag:
            self._send_on_ref(MT.RELEASE_COMPLETE, ref, True, self._cause(exc.cause))
        elif mtype != MT.RELEASE_COMPLETE:
            self._send_on_ref(MT.RELEASE_COMPLETE, ref, not flag,
                              self._cause(causes.INVALID_CALL_REFERENCE))

    def _classify(self, call: Call, msg: Message) -> str:
        mt = msg.mtype
        if mt in _CALL_MESSAGES:
            return f"rx {MessageType(mt).label}"
        if mt == MT.INFORMATION:
            if call.state in _OVERLAP_STATES:
                digits = call.called.digits + self._info_digits(msg)
                if msg.sending_complete or (self.number_complete is not None
                                            and self.number_complete(digits)):
                    return "rx INFORMATION complete"
            return "rx INFORMATION"
        if mt == MT.STATUS:
            state = msg.get(CallState)
            return "rx STATUS null" if state is not None and state.value == 0 else "rx STATUS"
        if mt in (MT.RESTART, MT.RESTART_ACKNOWLEDGE):
            return "rx unexpected"
        return "rx unimplemented"

    def _unknown_ref(self, msg: Message) -> None:
        mt, ref, back = msg.mtype, msg.call_ref, not msg.flag
        if mt == MT.SETUP:
            if msg.flag:
                log.info("%s: SETUP with the call reference flag set ignored", self.name)
            else:
                self._incoming_setup(msg)
        elif mt == MT.RELEASE_COMPLETE:
            pass
        elif mt == MT.STATUS:
            state = msg.get(CallState)
            if state is not None and state.value != 0:
                self._send_on_ref(MT.RELEASE_COMPLETE, ref, back,
                                  self._cause(causes.MESSAGE_NOT_COMPATIBLE_WITH_STATE))
        elif mt == MT.STATUS_ENQUIRY:
            self._send_on_ref(MT.STATUS, ref, back,
                              self._cause(causes.RESPONSE_TO_STATUS_ENQUIRY), CallState(0))
        else:
            self._send_on_ref(MT.RELEASE_COMPLETE, ref, back,
                              self._cause(causes.INVALID_CALL_REFERENCE))

    def _incoming_setup(self, msg: Message) -> None:
        call = Call(self, msg.call_ref, False, self.null, self.clock.now())
        self.calls[(msg.call_ref, False)] = call
        call.called = msg.get(CalledNumber) or CalledNumber()
        call.calling = msg.get(CallingNumber)
        call.redirecting = msg.get(RedirectingNumber)
        call.bearer = msg.get(BearerCapability) or BearerCapability()
        display = msg.get(Display)
        call.display = display.text if display else None
        cause = None
        if call.bearer.itc not in (ITC_SPEECH, ITC_AUDIO_3K1):
            cause = causes.BEARER_CAPABILITY_NOT_IMPLEMENTED
        else:
            ts, cause = self._admit_channel(msg.get(ChannelId))
        if cause is not None:
            call.cause = call.cause_out = cause
            call.cleared_by = "local"
            log.info("%s: SETUP refused: %s", call.label, causes.cause_text(cause))
            self.transition(call, "rx SETUP rejected", msg)
            return
        assert ts is not None
        call.ts = ts
        self.busy[ts] = call
        complete = msg.sending_complete or not self.overlap_receiving or (
            self.number_complete is not None and self.number_complete(call.called.digits))
        self.transition(call, "rx SETUP" if complete else "rx SETUP overlap", msg)
        while self._glare_losers:
            loser = self._glare_losers.pop(0)
            if not loser.released and loser.pending_cause is not None:
                loser.cause_out, loser.pending_cause = loser.pending_cause, None
                self.transition(loser, "hangup")

    def _admit_channel(self, cid: ChannelId | None) -> tuple[int | None, int | None]:
        """The B-channel an incoming SETUP gets, or the cause to refuse it with."""
        if cid is None or cid.selection == 3:
            if cid is None and self.user_side:
                return None, causes.MANDATORY_IE_MISSING
            free = self.free_channels()
            return (free[0], None) if free else (None, causes.NO_CIRCUIT_AVAILABLE)
        if cid.selection == 0 or cid.number_map or len(cid.channels) != 1:
            return None, causes.CHANNEL_UNACCEPTABLE
        ts = cid.channels[0]
        if ts not in self.channels:
            return None, causes.IDENTIFIED_CHANNEL_DOES_NOT_EXIST
        holder = self.busy.get(ts)
        if holder is None and ts not in self.blocked:
            return ts, None
        if not cid.exclusive:
            free = self.free_channels()
            return (free[0], None) if free else (None, causes.NO_CIRCUIT_AVAILABLE)
        if (self.user_side and holder is not None and holder.local_ref
                and holder.state in _OUTGOING_WAITING):
            self._lose_glare(holder, ts)
            return ts, None
        return None, causes.REQUESTED_CHANNEL_NOT_AVAILABLE

    def _lose_glare(self, call: Call, ts: int) -> None:
        """User side: the network's SETUP took the channel of our unanswered SETUP."""
        del self.busy[ts]
        call.glare = True
        free = [c for c in self.free_channels() if c != ts]
        if free:
            call.ts = free[-1]
            self.busy[call.ts] = call
            log.warning("%s: glare on ts %d: the network takes it, %s re-selects ts %d",
                        self.name, ts, call.label, call.ts)
        else:
            call.ts = None
            call.pending_cause = causes.REQUESTED_CHANNEL_NOT_AVAILABLE
            self._glare_losers.append(call)
            log.warning("%s: glare on ts %d: the network takes it, %s has no channel left",
                        self.name, ts, call.label)

    def _adopt_channel(self, call: Call, msg: Message | None) -> None:
        """The first answer to our SETUP names the channel (Q.931 5.1.2)."""
        cid = msg.get(ChannelId) if msg is not None else None
        ts = cid.timeslot if cid is not None else None
        if ts is None:
            if call.glare or call.ts is None:
                call.pending_cause = causes.REQUESTED_CHANNEL_NOT_AVAILABLE
            return
        if ts == call.ts:
            call.glare = False
            return
        acceptable = (ts in self.channels and ts not in self.blocked and ts not in self.busy
                      and (call.glare or not call.exclusive))
        if not acceptable:
            call.pending_cause = (causes.REQUESTED_CHANNEL_NOT_AVAILABLE if call.glare
                                  else causes.CHANNEL_UNACCEPTABLE)
            return
        if call.ts is not None and self.busy.get(call.ts) is call:
            del self.busy[call.ts]
        log.info("%s: moved to ts %d by the far end", call.label, ts)
        call.ts, call.glare = ts, False
        self.busy[ts] = call

    @staticmethod
    def _info_digits(msg: Message | None) -> str:
        if msg is None:
            return ""
        number = msg.get(CalledNumber)
        keypad = msg.get(KeypadFacility)
        return (number.digits if number else "") + (keypad.digits if keypad else "")

    def _collect_digits(self, call: Call, msg: Message | None) -> None:
        digits = self._info_digits(msg)
        if digits:
            call.called = CalledNumber(call.called.digits + digits, call.called.ton,
                                       call.called.plan)
            self._emit(DigitsReceived(call, digits))

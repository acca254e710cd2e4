"""Q.921 data link (LAPD) for one PRI D-channel: SAPI 0, TEI 0, modulo 128.

Sans-I/O: frames come in through ``receive()`` and go out through the
``send_frame`` callable; time is the injected ``Clock``. The procedure is the
table ``TABLE``: (state, event) -> (next state, actions), after the SDL of
Q.921 annex B for the states a fixed-TEI primary rate link has (4, 5, 6, 7, 8).
``transition()`` is the only place the state changes; it logs
``dchan: 7 multiple-frame-established -> 8 timer-recovery (T203 expiry: enquiry)``.

Events are the received frame kinds, refined by the few guards the SDL
branches on before acting (F bit of UA/DM, F=1 responses in timer recovery,
an N(R) outside V(A)..V(S), T200 with RC = N200), plus the DL/MPH requests
from above and below. Indications to layer 3 are queued during a transition
and delivered after it, so layer 3 may send from inside them.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Protocol

from acd_core.clock import Clock, TimerHandle
from acd_core.errors import IllegalTransition
from acd_core.timers import TimerTable
from firmware.telephony.isdn.errors import LapdDecodeError
from firmware.telephony.isdn.lapd import Kind, LapdFrame, Role, command_cr, is_command
from firmware.telephony.isdn.timers import TIMERS

log = logging.getLogger(__name__)

MOD = 128


class L2State(Enum):
    TEI_ASSIGNED = 4
    AWAITING_ESTABLISHMENT = 5
    AWAITING_RELEASE = 6
    MULTIPLE_FRAME_ESTABLISHED = 7
    TIMER_RECOVERY = 8

    def __str__(self) -> str:
        return f"{self.value} {self.name.lower().replace('_', '-')}"


S4, S5, S6, S7, S8 = (L2State.TEI_ASSIGNED, L2State.AWAITING_ESTABLISHMENT,
                      L2State.AWAITING_RELEASE, L2State.MULTIPLE_FRAME_ESTABLISHED,
                      L2State.TIMER_RECOVERY)


@dataclass(frozen=True)
class Row:
    next: L2State
    actions: tuple[str, ...] = ()


def _r(next_state: L2State, *actions: str) -> Row:
    return Row(next_state, actions)


# Events: requests from layer 3 / layer 1, timer expiries, received frames.
REQUESTS = ("DL-ESTABLISH-REQ", "DL-RELEASE-REQ", "DL-DATA-REQ", "MPH-DEACTIVATE")
TIMER_EVENTS = ("T200", "T200 N200", "T203")
FRAME_EVENTS = ("SABME", "DISC", "UA F=1", "UA F=0", "DM F=1", "DM F=0", "FRMR", "I",
                "RR", "RNR", "REJ", "RR F=1", "RNR F=1", "REJ F=1", "N(R) error", "UI", "XID")

_ESTABLISH = ("clear exceptions", "RC=0", "send SABME", "T200 restart", "T203 stop")
_ESTABLISHED = ("T200 stop", "T203 start", "reset V")
_S_ANY = ("peer not busy", "enquiry response")
_IGNORE = ("ignore",)

TABLE: dict[tuple[L2State, str], Row] = {}


def _rows(state: L2State, rows: dict[str, Row]) -> None:
    for event, row in rows.items():
        TABLE[(state, event)] = row


_rows(S4, {
    "DL-ESTABLISH-REQ": _r(S5, *_ESTABLISH, "L3 initiated"),
    "DL-DATA-REQ": _r(S5, "queue I", *_ESTABLISH, "L3 initiated"),
    "DL-RELEASE-REQ": _r(S4, "DL-RELEASE-CONF"),
    "MPH-DEACTIVATE": _r(S4, *_IGNORE),
    "T200": _r(S4, *_IGNORE), "T200 N200": _r(S4, *_IGNORE), "T203": _r(S4, *_IGNORE),
    "SABME": _r(S7, "send UA", "clear exceptions", *_ESTABLISHED, "DL-ESTABLISH-IND"),
    "DISC": _r(S4, "send DM"),
    "UA F=1": _r(S4, "MDL-ERROR C"), "UA F=0": _r(S4, "MDL-ERROR D"),
    "DM F=1": _r(S4, *_IGNORE),
    "DM F=0": _r(S5, *_ESTABLISH, "L3 initiated"),
    **{e: _r(S4, "DM if polled") for e in ("I", "RR", "RNR", "REJ", "RR F=1", "RNR F=1",
                                           "REJ F=1", "N(R) error", "FRMR")},
    "UI": _r(S4, *_IGNORE), "XID": _r(S4, *_IGNORE),
})
_rows(S5, {
    "DL-ESTABLISH-REQ": _r(S5, "L3 initiated"),
    "DL-DATA-REQ": _r(S5, "queue I"),
    "T203": _r(S5, *_IGNORE),
    "DL-RELEASE-REQ": _r(S4, "T200 stop", "discard I queue", "DL-RELEASE-CONF"),
    "MPH-DEACTIVATE": _r(S4, "T200 stop", "discard I queue", "DL-RELEASE-IND"),
    "T200": _r(S5, "RC+1", "send SABME", "T200 start"),
    "T200 N200": _r(S4, "MDL-ERROR G", "discard I queue", "DL-RELEASE-IND"),
    "SABME": _r(S5, "send UA"),                  # collision: answer, wait for our UA
    "DISC": _r(S5, "send DM"),
    "UA F=1": _r(S7, *_ESTABLISHED, "DL-ESTABLISH-CONF or IND", "send I frames"),
    "UA F=0": _r(S5, "MDL-ERROR D"),
    "DM F=1": _r(S4, "T200 stop", "discard I queue", "DL-RELEASE-IND"),
    "DM F=0": _r(S5, *_IGNORE),
    **{e: _r(S5, *_IGNORE) for e in ("I", "RR", "RNR", "REJ", "RR F=1", "RNR F=1", "REJ F=1",
                                     "N(R) error", "FRMR", "UI", "XID")},
})
_rows(S6, {
    "DL-ESTABLISH-REQ": _r(S5, *_ESTABLISH, "L3 initiated"),
    "DL-DATA-REQ": _r(S6, "MDL-ERROR data while releasing"),
    "DL-RELEASE-REQ": _r(S6, *_IGNORE),
    "T203": _r(S6, *_IGNORE),
    "MPH-DEACTIVATE": _r(S4, "T200 stop", "DL-RELEASE-CONF"),
    "T200": _r(S6, "RC+1", "send DISC", "T200 start"),
    "T200 N200": _r(S4, "MDL-ERROR H", "DL-RELEASE-CONF"),
    "SABME": _r(S6, "send DM"),
    "DISC": _r(S6, "send UA"),
    "UA F=1": _r(S4, "T200 stop", "DL-RELEASE-CONF"),
    "UA F=0": _r(S6, "MDL-ERROR D"),
    "DM F=1": _r(S4, "T200 stop", "DL-RELEASE-CONF"),
    "DM F=0": _r(S6, *_IGNORE),
    **{e: _r(S6, *_IGNORE) for e in ("I", "RR", "RNR", "REJ", "RR F=1", "RNR F=1", "REJ F=1",
                                     "N(R) error", "FRMR", "UI", "XID")},
})
_rows(S7, {
    "DL-ESTABLISH-REQ": _r(S5, "discard I queue", *_ESTABLISH, "L3 initiated"),
    "DL-DATA-REQ": _r(S7, "queue I", "send I frames"),
    "DL-RELEASE-REQ": _r(S6, "discard I queue", "RC=0", "send DISC", "T203 stop", "T200 restart"),
    "MPH-DEACTIVATE": _r(S4, "T200 stop", "T203 stop", "discard I queue", "DL-RELEASE-IND"),
    "T200": _r(S8, "RC=0", "recover", "RC+1", "T200 start"),
    "T203": _r(S8, "RC=0", "send enquiry", "T200 start"),
    "SABME": _r(S7, "send UA", "clear exceptions", "MDL-ERROR F", "reset link",
                *_ESTABLISHED),
    "DISC": _r(S4, "discard I queue", "send UA", "T200 stop", "T203 stop", "DL-RELEASE-IND"),
    "UA F=1": _r(S7, "MDL-ERROR C"), "UA F=0": _r(S7, "MDL-ERROR D"),
    "DM F=1": _r(S7, "MDL-ERROR B"),
    "DM F=0": _r(S5, "MDL-ERROR E", *_ESTABLISH, "L3 not initiated"),
    "FRMR": _r(S5, "MDL-ERROR K", *_ESTABLISH, "L3 not initiated"),
    "N(R) error": _r(S5, "MDL-ERROR J", *_ESTABLISH, "L3 not initiated"),
    "I": _r(S7, "ack N(R)", "receive I", "send I frames"),
    "RR": _r(S7, *_S_ANY, "ack N(R)", "send I frames"),
    "RR F=1": _r(S7, *_S_ANY, "MDL-ERROR A", "ack N(R)", "send I frames"),
    "REJ": _r(S7, *_S_ANY, "ack N(R) stop T200", "retransmit", "send I frames"),
    "REJ F=1": _r(S7, *_S_ANY, "MDL-ERROR A", "ack N(R) stop T200", "retransmit",
                  "send I frames"),
    "RNR": _r(S7, "peer busy", "enquiry response", "ack N(R) busy"),
    "RNR F=1": _r(S7, "peer busy", "MDL-ERROR A", "ack N(R) busy"),
    "UI": _r(S7, *_IGNORE), "XID": _r(S7, *_IGNORE),
})
_rows(S8, {
    "DL-ESTABLISH-REQ": _r(S5, "discard I queue", *_ESTABLISH, "L3 initiated"),
    "DL-DATA-REQ": _r(S8, "queue I"),
    "DL-RELEASE-REQ": _r(S6, "discard I queue", "RC=0", "send DISC", "T200 restart"),
    "MPH-DEACTIVATE": _r(S4, "T200 stop", "T203 stop", "discard I queue", "DL-RELEASE-IND"),
    "T200": _r(S8, "recover", "RC+1", "T200 start"),
    "T200 N200": _r(S5, "MDL-ERROR I", *_ESTABLISH, "L3 not initiated"),
    "T203": _r(S8, *_IGNORE),
    "SABME": _r(S7, "send UA", "clear exceptions", "MDL-ERROR F", "reset link",
                *_ESTABLISHED),
    "DISC": _r(S4, "discard I queue", "send UA", "T200 stop", "T203 stop", "DL-RELEASE-IND"),
    "UA F=1": _r(S8, "MDL-ERROR C"), "UA F=0": _r(S8, "MDL-ERROR D"),
    "DM F=1": _r(S8, "MDL-ERROR B"),
    "DM F=0": _r(S5, "MDL-ERROR E", *_ESTABLISH, "L3 not initiated"),
    "FRMR": _r(S5, "MDL-ERROR K", *_ESTABLISH, "L3 not initiated"),
    "N(R) error": _r(S5, "MDL-ERROR J", *_ESTABLISH, "L3 not initiated"),
    "I": _r(S8, "ack N(R) only", "receive I"),
    "RR": _r(S8, *_S_ANY, "ack N(R) only"),
    "REJ": _r(S8, *_S_ANY, "ack N(R) only"),
    "RNR": _r(S8, "peer busy", "enquiry response", "ack N(R) only"),
    "RR F=1": _r(S7, "peer not busy", "ack N(R) only", "T200 stop", "T203 start", "retransmit",
                 "send I frames"),
    "REJ F=1": _r(S7, "peer not busy", "ack N(R) only", "T200 stop", "T203 start", "retransmit",
                  "send I frames"),
    "RNR F=1": _r(S7, "peer busy", "ack N(R) only", "T200 restart", "retransmit"),
    "UI": _r(S8, *_IGNORE), "XID": _r(S8, *_IGNORE),
})


class LinkUser(Protocol):
    """Layer 3 as the link sees it (the DL-*-IND/CONF primitives)."""

    def dl_established(self, confirm: bool) -> None: ...

    def dl_released(self, confirm: bool) -> None: ...

    def dl_data(self, payload: bytes) -> None: ...


@dataclass
class LinkCounters:
    frames_in: int = 0
    frames_out: int = 0
    i_in: int = 0
    i_out: int = 0
    retransmissions: int = 0
    decode_errors: int = 0
    discarded: int = 0
    mdl_errors: dict[str, int] = field(default_factory=dict)


class Q921Link:
    """One LAPD data link, user (CPE) or network side."""

    def __init__(self, role: Role | str, clock: Clock, send_frame: Callable[[bytes], None],
                 timers: TimerTable | None = None, name: str = "dchan") -> None:
        self.role = Role(role)
        self.peer = self.role.peer
        self.clock = clock
        self._send_frame = send_frame
        self.timers = timers or TIMERS
        self.name = name
        self.state = S4
        self.user: LinkUser | None = None
        self.counters = LinkCounters()
        self.vs = self.va = self.vr = 0
        self.rc = 0
        self.peer_busy = False
        self.reject_exception = False
        self.l3_initiated = False
        self._outstanding: deque[bytes] = deque()   # N(S) = V(A) + index, sent or to resend
        self._queue: deque[bytes] = deque()          # not sent yet
        self._t200: TimerHandle | None = None
        self._t203: TimerHandle | None = None
        self._frame: LapdFrame | None = None         # the frame being handled
        self._data: bytes = b""                      # the DL-DATA-REQ payload being handled
        self._up: list[Callable[[], None]] = []
        self._depth = 0
        self._ack_pending = False

    # ------------------------------------------------------------------ upper side
    def bind(self, user: LinkUser) -> None:
        self.user = user

    @property
    def established(self) -> bool:
        return self.state in (S7, S8)

    def start(self) -> None:
        """DL-ESTABLISH-REQ: bring the link up (SABME) or re-establish it."""
        self._handle("DL-ESTABLISH-REQ")

    def stop(self) -> None:
        """DL-RELEASE-REQ: take the link down with DISC."""
        self._handle("DL-RELEASE-REQ")

    def send(self, payload: bytes) -> None:
        """DL-DATA-REQ: send one layer 3 message in an I frame."""
        self._data = bytes(payload)
        self._handle("DL-DATA-REQ")

    def layer1_down(self) -> None:
        """MPH-DEACTIVATE-IND: the span lost its signal; the link is gone at once."""
        self._handle("MPH-DEACTIVATE")

    # ------------------------------------------------------------------ lower side
    def receive(self, data: bytes) -> None:
        """One frame from the HDLC controller (no flags, no FCS). Never raises on bad input."""
        self.counters.frames_in += 1
        try:
            frame = LapdFrame.parse(data)
        except LapdDecodeError as exc:
            self.counters.decode_errors += 1
            log.warning("%s: frame discarded: %s [%s]", self.name, exc, bytes(data).hex())
            return
        if frame.sapi != 0 or frame.tei != 0:
            self.counters.discarded += 1
            log.debug("%s: frame for SAPI %d TEI %d discarded", self.name, frame.sapi, frame.tei)
            return
        event = self._classify(frame)
        if event is None:
            self.counters.discarded += 1
            log.warning("%s: %s with the wrong C/R bit discarded", self.name,
                        frame.describe(self.peer))
            return
        log.debug("%s: rx %s", self.name, frame.describe(self.peer))
        self._frame = frame
        try:
            self._handle(event)
        except IllegalTransition as exc:      # a table gap must not stop the D-channel
            self.counters.discarded += 1
            log.error("%s: %s", self.name, exc)
        finally:
            self._frame = None

    def _classify(self, f: LapdFrame) -> str | None:
        cmd = is_command(self.peer, f.cr)
        k = f.kind
        if k in (Kind.SABME, Kind.DISC, Kind.I, Kind.UI):
            if not cmd:
                return None
        elif k in (Kind.UA, Kind.DM, Kind.FRMR) and cmd:
            return None
        if k in (Kind.UA, Kind.DM):
            return f"{k.value} F={int(f.pf)}"
        if k in (Kind.I, Kind.RR, Kind.RNR, Kind.REJ):
            if self.state in (S7, S8) and not self._nr_valid(f.nr):
                return "N(R) error"
            if k is not Kind.I and not cmd and f.pf:
                return f"{k.value} F=1"
        return k.value

    def _nr_valid(self, nr: int) -> bool:
        return (nr - self.va) % MOD <= (self.vs - self.va) % MOD

    # ------------------------------------------------------------------ the machine
    def _handle(self, event: str) -> None:
        self._depth += 1
        try:
            self.transition(event)
        finally:
            self._depth -= 1
        if self._depth == 0:
            while self._up:
                self._up.pop(0)()

    def transition(self, event: str) -> None:
        row = TABLE.get((self.state, event))
        if row is None:
            raise IllegalTransition(f"Q.921 has no row for {event} in state {self.state}",
                                    link=self.name, state=str(self.state), event=event)
        before = self.state
        self.state = row.next
        acts = [a for a in row.actions if a != "ignore"]
        if before is not row.next:
            log.info("%s: %s -> %s (%s: %s)", self.name, before, row.next, event, ", ".join(acts))
        elif acts:
            log.debug("%s: %s (%s: %s)", self.name, before, event, ", ".join(acts))
        for action in row.actions:
            if action.startswith("MDL-ERROR"):
                code = action[len("MDL-ERROR "):]
                self.counters.mdl_errors[code] = self.counters.mdl_errors.get(code, 0) + 1
                log.warning("%s: MDL-ERROR %s in %s on %s", self.name, code, before, event)
                continue
            ACTIONS[action](self)

    # ------------------------------------------------------------------ frames out
    def _tx(self, frame: LapdFrame) -> None:
        self.counters.frames_out += 1
        log.debug("%s: tx %s", self.name, frame.describe(self.role))
        self._send_frame(bytes(frame))

    def _cmd(self, kind: Kind, pf: bool, **kw: Any) -> None:
        self._tx(LapdFrame(kind, cr=command_cr(self.role, True), pf=pf, **kw))

    def _resp(self, kind: Kind, pf: bool, **kw: Any) -> None:
        self._tx(LapdFrame(kind, cr=command_cr(self.role, False), pf=pf, **kw))

    def _polled(self) -> bool:
        return self._frame is not None and self._frame.pf

    def _send_i(self, info: bytes, ns: int, poll: bool) -> None:
        self.counters.i_out += 1
        self._ack_pending = False
        self._cmd(Kind.I, poll, ns=ns, nr=self.vr, info=info)

    # ------------------------------------------------------------------ timers
    def _start(self, which: str) -> None:
        self._stop(which)
        delay = self.timers[which]
        token = object()
        setattr(self, f"_{which.lower()}_token", token)

        def fire() -> None:
            if getattr(self, f"_{which.lower()}_token", None) is not token:
                return
            setattr(self, f"_{which.lower()}", None)
            if which == "T200":
                exhausted = self.state in (S5, S6, S8) and self.rc >= int(self.timers["N200"])
                self._handle("T200 N200" if exhausted else "T200")
            else:
                self._handle("T203")

        setattr(self, f"_{which.lower()}", self.clock.call_later(delay, fire))

    def _stop(self, which: str) -> None:
        handle = getattr(self, f"_{which.lower()}")
        setattr(self, f"_{which.lower()}_token", None)
        if handle is not None:
            handle.cancel()
            setattr(self, f"_{which.lower()}", None)

    @property
    def t200_running(self) -> bool:
        return self._t200 is not None

    @property
    def t203_running(self) -> bool:
        return self._t203 is not None

    # ------------------------------------------------------------------ actions
    def _a_queue_i(self) -> None:
        self._queue.append(self._data)

    def _a_send_i_frames(self) -> None:
        k = int(self.timers["K"])
        while not self.peer_busy and (self.vs - self.va) % MOD < k:
            idx = (self.vs - self.va) % MOD
            if idx < len(self._outstanding):
                info = self._outstanding[idx]
                self.counters.retransmissions += 1
            elif self._queue:
                info = self._queue.popleft()
                self._outstanding.append(info)
            else:
                break
            self._send_i(info, self.vs, False)
            self.vs = (self.vs + 1) % MOD
            if self._t200 is None:
                self._stop("T203")
                self._start("T200")

    def _a_recover(self) -> None:
        """T200 expired: poll with the last I frame again, or with an enquiry."""
        if self.peer_busy or self.vs == self.va:
            self._a_send_enquiry()
            return
        self.vs = (self.vs - 1) % MOD
        idx = (self.vs - self.va) % MOD
        self.counters.retransmissions += 1
        self._send_i(self._outstanding[idx], self.vs, True)
        self.vs = (self.vs + 1) % MOD

    def _a_send_enquiry(self) -> None:
        self._ack_pending = False
        self._cmd(Kind.RR, True, nr=self.vr)

    def _a_enquiry_response(self) -> None:
        f = self._frame
        if f is not None and f.pf and is_command(self.peer, f.cr):
            self._ack_pending = False
            self._resp(Kind.RR, True, nr=self.vr)

    def _ack(self, nr: int) -> None:
        n = (nr - self.va) % MOD
        for _ in range(min(n, len(self._outstanding))):
            self._outstanding.popleft()
        self.va = nr

    def _a_ack_nr(self) -> None:
        """N(R) in multiple-frame-established: acknowledge, then T200/T203 as Q.921 5.6.3."""
        assert self._frame is not None
        nr = self._frame.nr
        if self.peer_busy:
            self._ack(nr)
            return
        if nr == self.vs:
            self._ack(nr)
            self._stop("T200")
            self._start("T203")
        elif nr != self.va:
            self._ack(nr)
            self._start("T200")

    def _a_ack_nr_stop_t200(self) -> None:
        assert self._frame is not None
        self._ack(self._frame.nr)
        self._stop("T200")
        self._start("T203")

    def _a_ack_nr_busy(self) -> None:
        assert self._frame is not None
        self._ack(self._frame.nr)
        self._stop("T203")
        self._start("T200")

    def _a_ack_nr_only(self) -> None:
        assert self._frame is not None
        self._ack(self._frame.nr)

    def _a_retransmit(self) -> None:
        self.vs = self.va

    def _a_receive_i(self) -> None:
        f = self._frame
        assert f is not None
        self.counters.i_in += 1
        if f.ns == self.vr:
            self.vr = (self.vr + 1) % MOD
            self.reject_exception = False
            self._ack_pending = True
            info = f.info
            self._up.append(lambda: self._deliver(info))
            if f.pf:
                self._ack_pending = False
                self._resp(Kind.RR, True, nr=self.vr)
            else:
                self._up.append(self._ack_if_pending)
        elif self.reject_exception:
            if f.pf:
                self._resp(Kind.RR, True, nr=self.vr)
        else:
            self.reject_exception = True
            self._resp(Kind.REJ, f.pf, nr=self.vr)

    def _ack_if_pending(self) -> None:
        """After layer 3 had the I frame: acknowledge it unless an I frame already did."""
        if self._ack_pending and self.state in (S7, S8):
            self._ack_pending = False
            self._resp(Kind.RR, False, nr=self.vr)

    def _deliver(self, info: bytes) -> None:
        if self.user is not None:
            self.user.dl_data(info)

    def _a_dm_if_polled(self) -> None:
        f = self._frame
        if f is not None and f.pf and is_command(self.peer, f.cr):
            self._resp(Kind.DM, True)

    def _a_reset_link(self) -> None:
        """SABME while established: unacknowledged I frames are lost (Q.921 5.5.3.2)."""
        if self.vs != self.va:
            self._outstanding.clear()
            self._queue.clear()
            self._up.append(lambda: self._indicate(True, False))

    def _indicate(self, established: bool, confirm: bool) -> None:
        if self.user is None:
            return
        if established:
            self.user.dl_established(confirm)
        else:
            self.user.dl_released(confirm)

    def _a_l3_establish(self) -> None:
        confirm = self.l3_initiated
        if not confirm and self.vs != self.va:
            self._outstanding.clear()
        self._up.append(lambda: self._indicate(True, confirm))

    def _a_clear_exceptions(self) -> None:
        self.peer_busy = False
        self.reject_exception = False

    def _a_reset_v(self) -> None:
        self.vs = self.va = self.vr = 0
        self._outstanding.clear()

    def _a_discard(self) -> None:
        self._outstanding.clear()
        self._queue.clear()

    def _a_rc_inc(self) -> None:
        self.rc += 1

    def _a_rc_zero(self) -> None:
        self.rc = 0


def _set(attr: str, value: object) -> Callable[[Q921Link], None]:
    return lambda link: setattr(link, attr, value)


ACTIONS: dict[str, Callable[[Q921Link], None]] = {
    "send SABME": lambda l: l._cmd(Kind.SABME, True),
    "send DISC": lambda l: l._cmd(Kind.DISC, True),
    "send UA": lambda l: l._resp(Kind.UA, l._polled()),
    "send DM": lambda l: l._resp(Kind.DM, l._polled()),
    "send enquiry": Q921Link._a_send_enquiry,
    "send I frames": Q921Link._a_send_i_frames,
    "queue I": Q921Link._a_queue_i,
    "discard I queue": Q921Link._a_discard,
    "recover": Q921Link._a_recover,
    "retransmit": Q921Link._a_retransmit,
    "receive I": Q921Link._a_receive_i,
    "enquiry response": Q921Link._a_enquiry_response,
    "ack N(R)": Q921Link._a_ack_nr,
    "ack N(R) stop T200": Q921Link._a_ack_nr_stop_t200,
    "ack N(R) busy": Q921Link._a_ack_nr_busy,
    "ack N(R) only": Q921Link._a_ack_nr_only,
    "DM if polled": Q921Link._a_dm_if_polled,
    "reset link": Q921Link._a_reset_link,
    "reset V": Q921Link._a_reset_v,
    "clear exceptions": Q921Link._a_clear_exceptions,
    "peer busy": _set("peer_busy", True),
    "peer not busy": _set("peer_busy", False),
    "L3 initiated": _set("l3_initiated", True),
    "L3 not initiated": _set("l3_initiated", False),
    "RC=0": Q921Link._a_rc_zero,
    "RC+1": Q921Link._a_rc_inc,
    "T200 start": lambda l: l._start("T200"),
    "T200 restart": lambda l: l._start("T200"),
    "T200 stop": lambda l: l._stop("T200"),
    "T203 start": lambda l: l._start("T203"),
    "T203 stop": lambda l: l._stop("T203"),
    "DL-ESTABLISH-IND": lambda l: l._up.append(lambda: l._indicate(True, False)),
    "DL-ESTABLISH-CONF or IND": Q921Link._a_l3_establish,
    "DL-RELEASE-IND": lambda l: l._up.append(lambda: l._indicate(False, False)),
    "DL-RELEASE-CONF": lambda l: l._up.append(lambda: l._indicate(False, True)),
    "ignore": lambda l: None,
}

STATES = tuple(L2State)
EVENTS = REQUESTS + TIMER_EVENTS + FRAME_EVENTS

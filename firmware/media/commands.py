"""The node's call engine: legs, conversations and the commands that act on them.

Runs on the node's main thread only (see ``node.py``). Each pjsua2 object it
creates is held in exactly one place (a ``NodeLeg``, ``self._recorders``, the tap
pool or the graveyard) so ``close()`` can drop all of them before
``libDestroy()``: one forgotten reference aborts the process there.

Capacity: an incoming INVITE reserves two legs (the caller and the agent leg
it will dial) as one conversation. ``dial`` uses the conversation's spare leg,
or one more free leg of the node. The daemon places calls only on nodes with
room, so a refusal is rare (no daemon connected, shutting down, an INVITE that
bypassed placement); it is answered 503 from the main loop *after* pjsua's
incoming-call callback returns, never inside it (hanging up inside that
callback aborted nodes under an INVITE flood, in pjsip_rx_data_free_cloned).

Each leg's state follows ``legstate.LEG``; every change is logged and reported
to the daemon as a ``leg_state`` event naming the event and the new state.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import pjsua2 as pj

from acd_core.clock import Clock, SystemClock
from firmware.media import frames, legstate, lineport
from firmware.media.legstate import ANSWERING, DIALING, ENDING, LEG, OFFERED
from firmware.media.paths import AudioPaths, CommandError
from firmware.media.protocol import Command, Event, ProtocolError, Reply
from firmware.media.recorders import Recorders
from firmware.media.rooms import Conversation, Rooms
from firmware.media.sipinfo import parse_invite
from firmware.timers import TIMERS

DEDUP_FRAMES = 50        # same digit from the other source within 1 s is the same press
_CALLER_ID = re.compile(r"^[0-9A-Za-z+*#._-]{1,64}$")
_DISPLAY_BAD = re.compile(r'["\\\x00-\x1f\x7f]')


def _guarded(method: Callable[..., None]) -> Callable[..., None]:
    """A pjsua2 callback must never raise: an exception crossing back into C++ can abort
    the process. Log it with the callback's name and carry on."""
    def wrapper(self: Any, prm: Any) -> None:
        try:
            method(self, prm)
        except Exception as exc:  # noqa: BLE001
            self.engine.callback_failed(method.__name__, exc)
    wrapper.__name__ = method.__name__
    return wrapper


class NodeCall(pj.Call):
    def __init__(self, engine: "NodeEngine", acc: Any, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(acc, call_id)
        self.engine = engine
        self.leg = 0

    @_guarded
    def onCallState(self, prm: Any) -> None:  # noqa: N802
        self.engine.on_call_state(self)

    @_guarded
    def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
        self.engine.on_media_state(self)

    @_guarded
    def onDtmfDigit(self, prm: Any) -> None:  # noqa: N802
        source = "rfc4733" if prm.method == pj.PJSUA_DTMF_METHOD_RFC2833 else "info"
        self.engine.post(("dtmf", self.leg, prm.digit, source, None))

    def onCallTransferRequest(self, prm: Any) -> None:  # noqa: N802
        """A phone's transfer button (REFER). pjsua would dial the target itself, outside
        the daemon's conversation and through an edge that routes node calls to seats
        only, so the node declines the REFER and the daemon carries out the transfer."""
        prm.statusCode = 603
        try:
            self.engine.on_refer(self, prm.dstUri)
        except Exception as exc:  # noqa: BLE001 - never raise into pjsua
            self.engine.callback_failed("onCallTransferRequest", exc)


class NodeAccount(pj.Account):
    def __init__(self, engine: "NodeEngine") -> None:
        super().__init__()
        self.engine = engine

    @_guarded
    def onIncomingCall(self, prm: Any) -> None:  # noqa: N802
        self.engine.on_incoming(prm)


@dataclass(eq=False)
class NodeLeg:
    no: int
    call: Any
    conv: Conversation
    direction: str                       # "in" | "out"
    state: str = OFFERED                 # legstate.LEG
    am: Any = None                       # the call's AudioMedia once media is active
    tap: Any = None
    player: Any = None
    play_token: int = 0
    feeds: set[int] = field(default_factory=set)     # legs that hear this one (paths.py)
    held: bool = False
    hold_player: Any = None
    recorders: set[str] = field(default_factory=set)
    last_digit: tuple[str, int, str] = ("", -10**9, "")
    hangup_pending: int | None = None    # BYE waits for the ACK of our 200 (RFC 3261 15.1.1)
    port: Any = None                     # a port leg's ``lineport.LinePort`` (no SIP call)


class NodeEngine(AudioPaths, Recorders, Rooms):
    def __init__(self, ep: Any, args: Any, send: Callable[[Any], None],
                 log: Callable[..., None], connected: Callable[[], bool] = lambda: True,
                 clock: Clock | None = None) -> None:
        self.ep = ep
        self._connected = connected
        self._clock: Clock = clock or SystemClock()
        self.args = args
        self._send = send
        self._log = log
        self.capacity = args.legs
        self.accepting = True            # False once the node is shutting down
        self.media_queue = frames.MediaQueue()   # the node loop sleeps on its fileno()
        self.post = self.media_queue.post
        self._detector_factory, self.inband = frames.load_detector_factory()
        if self._detector_factory is None:
            log("warning", "inband_dtmf", state=self.inband)
        self.legs: dict[int, NodeLeg] = {}
        self._next_leg = 1
        self._next_token = 1
        self._init_rooms()
        self._free_taps: list[Any] = []
        self._all_taps: list[Any] = []
        self._init_recorders()
        self._grave: list[tuple[float, Any]] = []
        self._calls: set[NodeCall] = set()   # every live pjsua2 Call, until DISCONNECTED
        self._refusals: list[tuple[NodeCall, int]] = []   # answered from the main loop
        self.acc: NodeAccount | None = NodeAccount(self)
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:media{args.id}@127.0.0.1:{args.sip_port}"
        mt = acfg.mediaConfig.transportConfig
        mt.port = args.rtp_port_base
        mt.portRange = args.rtp_port_range
        mt.boundAddress = mt.publicAddress = "127.0.0.1"
        acfg.natConfig.sdpNatRewriteUse = 0
        acfg.natConfig.contactRewriteUse = 0
        acfg.natConfig.viaRewriteUse = 0
        self.acc.create(acfg, True)

    def busy(self) -> bool:
        return bool(self.legs or self._finalizing or self._recorders)

    # -- pjsua2 callbacks (main thread) -----------------------------------------------------
    def on_incoming(self, prm: Any) -> None:
        call = NodeCall(self, self.acc, prm.callId)
        self._calls.add(call)
        try:
            info = parse_invite(prm.rdata.wholeMsg)
        except ProtocolError as exc:
            self._log("warning", "invite_refused", code=400, error=exc)
            self._refusals.append((call, 400))
            return
        refuse = ("shutting down" if not self.accepting else
                  "no daemon connected" if not self._connected() else
                  "node full" if self.capacity - self.used() < 2 else "")
        if refuse:
            self._log("info", "invite_refused", code=503, call_id=info.call_id, reason=refuse)
            self._refusals.append((call, 503))
            return
        conv = self._add_conversation(2)
        leg = self._new_leg(call, conv, "in", OFFERED)
        self._send(Event("incoming", {"leg": leg.no, "from": info.from_, "to": info.to,
                                      "did": info.did, "trunk": info.trunk, "seat": info.seat,
                                      "call_id": info.call_id}))
        self._log("info", "incoming", leg=leg.no, did=info.did, call_id=info.call_id,
                  trunk=info.trunk or "", seat=info.seat or "")

    def flush_refusals(self) -> None:
        """Answer the INVITEs refused in ``on_incoming``, now that pjsua's callback has
        returned (main loop, after ``libHandleEvents``)."""
        refusals, self._refusals = self._refusals, []
        for call, code in refusals:
            op = pj.CallOpParam()
            op.statusCode = code
            try:
                call.hangup(op)
            except pj.Error as exc:
                self._log("warning", "refuse_failed", code=code, error=exc.info())

    def on_call_state(self, call: NodeCall) -> None:
        ci = call.getInfo()
        state, code, reason = ci.state, ci.lastStatusCode, ci.lastReason
        if state == pj.PJSIP_INV_STATE_DISCONNECTED:
            # Release the Call now: pjsua2 frees it as the callback returns, which is its
            # intended use. Kept longer, its destructor would later hang up (and orphan)
            # whichever new call pjsua has given the same call id in the meantime.
            self._calls.discard(call)
        leg = self.legs.get(call.leg)
        if leg is None:
            return
        if state == pj.PJSIP_INV_STATE_EARLY and leg.direction == "out":
            self._change(leg, "early", code, reason)
        elif state == pj.PJSIP_INV_STATE_CONFIRMED:
            self._change(leg, "confirmed", code, reason)
            if leg.hangup_pending is not None:      # our BYE waited for this ACK
                code_, leg.hangup_pending = leg.hangup_pending, None
                op = pj.CallOpParam()
                op.statusCode = code_
                leg.call.hangup(op)
        elif state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._end_leg(leg, code, reason)

    def on_media_state(self, call: NodeCall) -> None:
        leg = self.legs.get(call.leg)
        if leg is None:
            return
        am = _active_audio(call)
        if am is None:
            return
        leg.am = am
        if leg.tap is None:
            leg.tap = self._take_tap()
            leg.tap.attach(leg.no, self._detector_factory() if self._detector_factory else None)
        self.reconcile(leg)

    def on_refer(self, call: NodeCall, target: str) -> None:
        leg = self.legs.get(call.leg)
        if leg is None:
            return
        self._log("info", "refer", leg=leg.no, target=target)
        self._send(Event("refer", {"leg": leg.no, "target": target[:2048]}))

    def callback_failed(self, name: str, exc: BaseException) -> None:
        self._log("error", "callback_failed", callback=name, error=repr(exc))

    # -- clock-thread results -------------------------------------------------------------
    def drain_media_queue(self) -> None:
        for item in self.media_queue.drain():
            kind = item[0]
            if kind == "dtmf":
                self._dtmf(*item[1:])
            elif kind == "eof":
                self._eof(item[1], item[2])
            elif kind == "tap_error":
                self._log("error", "inband_detector_failed", leg=item[1], error=item[2])

    def _dtmf(self, leg_no: int, digit: str, source: str, frame_no: int | None) -> None:
        leg = self.legs.get(leg_no)
        if leg is None:
            return
        if frame_no is None:
            frame_no = leg.tap.frames if leg.tap is not None else 0
        last_digit, last_frame, last_source = leg.last_digit
        leg.last_digit = (digit, frame_no, source)
        if (digit == last_digit and source != last_source
                and abs(frame_no - last_frame) <= DEDUP_FRAMES):
            self._log("debug", "dtmf_duplicate", leg=leg_no, digit=digit, source=source)
            return
        self._log("info", "dtmf", leg=leg_no, digit=digit, source=source)
        self._send(Event("dtmf", {"leg": leg_no, "digit": digit, "source": source}))

    def _eof(self, leg_no: int, token: int) -> None:
        leg = self.legs.get(leg_no)
        if leg is None or leg.player is None or leg.play_token != token:
            return
        self._stop_player(leg)
        self._send(Event("play_done", {"leg": leg_no}))

    # -- commands -----------------------------------------------------------------------
    def execute(self, cmd: Command) -> Reply:
        handler = getattr(self, "_cmd_" + cmd.cmd)
        try:
            data = handler(**cmd.args) or {}
        except CommandError as exc:
            self._log("info", "command_refused", cmd=cmd.cmd, error=exc)
            return Reply(cmd.id, False, error=str(exc))
        except pj.Error as exc:
            self._log("warning", "command_failed", cmd=cmd.cmd, error=exc.info())
            return Reply(cmd.id, False, error=f"{cmd.cmd}: {exc.reason} (status {exc.status})")
        return Reply(cmd.id, True, data)

    def _leg(self, no: int) -> NodeLeg:
        leg = self.legs.get(no)
        if leg is None:
            raise CommandError(f"leg {no} is not active on this node")
        return leg

    def _cmd_answer(self, leg: int, code: int = 200) -> None:
        lg = self._leg(leg)
        if lg.state != OFFERED:
            raise CommandError(f"leg {leg} is not an unanswered incoming leg (it is {lg.state})")
        if not 100 < code < 300:
            raise CommandError(f"answer code must be 101-299, got {code}")
        if lg.port is not None:              # a line: its signalling answered, audio flows
            self._change(lg, "answer", code)
            self._change(lg, "confirmed", code)
            return
        op = pj.CallOpParam()
        op.statusCode = code
        lg.call.answer(op)
        if code >= 200 and lg.state == OFFERED:     # pjsua may have confirmed it already
            self._change(lg, "answer", code)

    def _cmd_reject(self, leg: int, code: int, reason: str = "") -> None:
        """A final response other than the default phrase only when the daemon asks for one:
        the edge tells a flow's deliberate 503 from a failing node by it
        (``telephony.sip.REFUSED_REASON``)."""
        lg = self._leg(leg)
        if lg.state != OFFERED:
            raise CommandError(f"leg {leg} is not an unanswered incoming leg (it is {lg.state})")
        if not 300 <= code <= 699:
            raise CommandError(f"reject code must be 300-699, got {code}")
        self._hangup(lg, code, reason)

    def _cmd_hangup(self, leg: int, code: int = 0) -> None:
        self._hangup(self._leg(leg), code)

    def _hangup(self, leg: NodeLeg, code: int, reason: str = "") -> None:
        before = leg.state
        if before == ENDING:
            return                           # already on its way out
        self._change(leg, "hangup", code)
        if leg.port is not None:             # a line's port: nothing to wait for
            self._end_leg(leg, code, "port closed")
            return
        if before == ANSWERING:
            leg.hangup_pending = code        # BYE after the ACK of our 200 (RFC 3261 15.1.1)
            return
        op = pj.CallOpParam()
        op.statusCode = code
        if reason:
            op.reason = reason
        leg.call.hangup(op)

    def _cmd_talk(self, leg: int) -> None:
        """Remote answer: an in-dialog NOTIFY with ``Event: talk`` to the phone a dialled leg
        rings (the early dialog of its 18x). A phone with remote answer enabled answers;
        one without answers the NOTIFY with an error and keeps ringing."""
        lg = self._leg(leg)
        if lg.port is not None:
            raise CommandError(f"talk: leg {leg} is a line's port, not a SIP call")
        if lg.direction != "out" or lg.state != legstate.RINGING:
            raise CommandError(f"talk: leg {leg} is not a ringing call we made (it is "
                               f"{lg.state})")
        prm = pj.CallSendRequestParam()
        prm.method = "NOTIFY"
        for name, value in (("Event", "talk"), ("Subscription-State", "terminated")):
            h = pj.SipHeader()
            h.hName, h.hValue = name, value
            prm.txOption.headers.append(h)
        lg.call.sendRequest(prm)

    def _cmd_play(self, leg: int, path: str, loop: bool = False) -> None:
        lg = self._leg(leg)
        if not os.path.isfile(path):
            raise CommandError(f"play: no such file {path}")
        self._stop_player(lg)
        token, self._next_token = self._next_token, self._next_token + 1
        player = frames.Player(self.post, leg, token, loop)
        player.createPlayer(path, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        lg.player, lg.play_token = player, token
        self.reconcile(lg)

    def _cmd_stop_play(self, leg: int) -> None:
        self._stop_player(self._leg(leg))

    def _cmd_dial(self, uri: str, near_leg: int | None = None, conv: int | None = None,
                  caller_id: str | None = None, caller_name: str | None = None
                  ) -> dict[str, int]:
        room = self._leg(near_leg).conv if near_leg is not None else self._conversation(conv)
        grow = len(room.legs) >= room.reserved
        if grow and self.used() >= self.capacity:
            raise CommandError(f"node full: {self.used()} of {self.capacity} legs in use")
        target = uri if uri.startswith(("sip:", "sips:")) else f"sip:{uri}@{self.args.edge}"
        if not self._valid_uri(target):
            raise CommandError(f"dial: not a SIP URI: {target!r}")
        if caller_id is not None and not _CALLER_ID.match(caller_id):
            raise CommandError(f"dial: caller_id must be 1-64 of [0-9A-Za-z+*#._-], got {caller_id!r}")
        if caller_name is not None and (len(caller_name) > 64 or _DISPLAY_BAD.search(caller_name)):
            raise CommandError("dial: caller_name must be at most 64 characters without quotes, "
                               f"backslashes or control characters, got {caller_name!r}")
        call = NodeCall(self, self.acc)
        self._calls.add(call)
        op = pj.CallOpParam(True)
        op.opt.audioCount = 1
        op.opt.videoCount = 0
        if caller_id:
            # The seat's phone shows who is calling: From and P-Asserted-Identity carry the
            # caller's number and name (not the node's own account).
            identity = f"sip:{caller_id}@127.0.0.1:{self.args.sip_port}"
            if caller_name:
                identity = f'"{caller_name}" <{identity}>'
            op.txOption.localUri = identity
            pai = pj.SipHeader()
            pai.hName = "P-Asserted-Identity"
            pai.hValue = identity if caller_name else f"<{identity}>"
            op.txOption.headers.append(pai)
        if grow:
            room.reserved += 1
        leg = self._new_leg(call, room, "out", DIALING)
        try:
            call.makeCall(target, op)
        except pj.Error:
            self._forget(leg)
            self._calls.discard(call)
            raise
        self._log("info", "dial", leg=leg.no, near=near_leg or "", conv=room.id, uri=target)
        return {"leg": leg.no}

    def _cmd_port(self, path: str, direction: str, near_leg: int | None = None,
                  conv: int | None = None) -> dict[str, Any]:
        """A port leg: a line's audio (E1 B-channel, R2 timeslot, analog port) that the
        daemon relays as 20 ms A-law frames between the card and the datagram socket
        ``path`` (``lineport``). Without ``near_leg``/``conv`` it opens a conversation of
        its own holding 2 legs, as an incoming INVITE does; it counts toward the node's
        legs like any call."""
        if near_leg is not None:
            room = self._leg(near_leg).conv
        elif conv is not None:
            room = self._conversation(conv)
        else:
            if self.capacity - self.used() < 2:
                raise CommandError(f"node full: {self.used()} of {self.capacity} legs in use, "
                                   "2 wanted")
            room = self._add_conversation(2)
        if room.legs or near_leg is not None or conv is not None:
            grow = len(room.legs) >= room.reserved
            if grow and self.used() >= self.capacity:
                raise CommandError(f"node full: {self.used()} of {self.capacity} legs in use")
            if grow:
                room.reserved += 1
        no = self._next_leg
        address = lineport.node_address(self.args.id, os.getpid(), no)
        try:
            port = lineport.LinePort(address, path)
            fmt = pj.MediaFormatAudio()
            fmt.init(pj.PJMEDIA_FORMAT_PCM, 8000, 1, 20000, 16)
            port.createPort(f"line{no}", fmt)
        except OSError as exc:
            if not room.legs and not room.opened and room in self._convs:
                self._convs.remove(room)
            raise CommandError(f"port: cannot open the line socket: {exc}") from None
        self._next_leg += 1
        leg = NodeLeg(no, None, room, direction, OFFERED if direction == "in" else DIALING)
        leg.port = port
        self.legs[no] = leg
        room.legs.add(no)
        leg.am = port
        leg.tap = self._take_tap()
        leg.tap.attach(no, self._detector_factory() if self._detector_factory else None)
        self.reconcile(leg)
        self._log("info", "port", leg=no, conv=room.id, direction=direction)
        return {"leg": no, "path": address}

    def _cmd_port_event(self, leg: int, change: str) -> None:
        """The line's signalling moved the port leg on (``early``: the far end rings;
        ``confirmed``: it answered); reported like any leg change."""
        lg = self._leg(leg)
        if lg.port is None:
            raise CommandError(f"port_event: leg {leg} is not a line's port")
        try:
            self._change(lg, change)
        except Exception as exc:  # noqa: BLE001 - IllegalTransition: the daemon asked wrong
            raise CommandError(f"port_event: {exc}") from None

    def _valid_uri(self, uri: str) -> bool:
        try:
            self.ep.utilVerifySipUri(uri)
        except pj.Error:
            return False
        return True

    def _cmd_status(self) -> dict[str, Any]:
        return {"legs": [{"leg": lg.no, "state": lg.state, "direction": lg.direction,
                          "frames": lg.tap.frames if lg.tap is not None else 0,
                          **({"port": {"in": lg.port.frames_in, "out": lg.port.frames_out,
                                       "dropped": lg.port.dropped,
                                       "underruns": lg.port.underruns}}
                             if lg.port is not None else {})}
                         for lg in self.legs.values()],
                "capacity": self.capacity, "used": self.used(), "inband": self.inband,
                "recordings": sorted(self._recorders)}

    def _stop_player(self, leg: NodeLeg) -> None:
        player, leg.player = leg.player, None
        if player is None:
            return
        if leg.am is not None:
            _quiet(player.stopTransmit, leg.am)
        self._bury(player)

    # -- legs ---------------------------------------------------------------------------
    def _new_leg(self, call: NodeCall, conv: Conversation, direction: str,
                 state: str) -> NodeLeg:
        no, self._next_leg = self._next_leg, self._next_leg + 1
        call.leg = no
        leg = NodeLeg(no, call, conv, direction, state)
        self.legs[no] = leg
        conv.legs.add(no)
        return leg

    def _change(self, leg: NodeLeg, event: str, code: int = 0, reason: str = "") -> None:
        """One transition of ``legstate.LEG``: logged, and reported to the daemon."""
        before = leg.state
        leg.state = LEG.next(before, event, subject=str(leg.no))
        self._log("info", "leg", leg=leg.no, change=f"{before} -> {leg.state}", cause=event,
                  code=code, reason=reason)
        if event in legstate.REPORTED:
            self._send(Event("leg_state", {"leg": leg.no, "cause": event, "state": leg.state,
                                           "code": code, "reason": reason[:200]}))

    def _end_leg(self, leg: NodeLeg, code: int, reason: str) -> None:
        if leg.port is None:
            leg.am = None        # pjsua has already taken the call's port off the bridge
        self._stop_player(leg)
        self.forget_paths(leg)
        self._leg_left_recordings(leg)
        self._forget(leg)
        self._change(leg, "disconnected", code, reason)

    def _forget(self, leg: NodeLeg) -> None:
        self.legs.pop(leg.no, None)
        port, leg.port = leg.port, None
        if port is not None:                 # a line's port stays on the bridge: unwire it
            for other in [leg.tap, leg.player, leg.hold_player,
                          *(p.am for p in self.legs.values())]:
                if other is not None:
                    _quiet(port.stopTransmit, other)
                    _quiet(getattr(other, "stopTransmit", lambda _x: None), port)
        if leg.tap is not None:
            leg.tap.detach()
            self._free_taps.append(leg.tap)
            leg.tap = None
        leg.am = None
        self._leave_conversation(leg)
        if port is not None:
            port.close()
            self._bury(port)                 # destroyed later, never inside a callback
            return
        leg.call.leg = 0
        leg.call = None

    def _take_tap(self) -> Any:
        if self._free_taps:
            return self._free_taps.pop()
        tap = frames.FrameTap(self.post)
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, 8000, 1, 20000, 16)
        tap.createPort(f"tap{len(self._all_taps)}", fmt)
        self._all_taps.append(tap)
        return tap

    # -- deferred destruction and recordings ------------------------------------------------
    def _bury(self, obj: Any) -> None:
        """Destroy later, never inside the callback of the call that used it."""
        self._grave.append((self._clock.now() + TIMERS["media.grave"], obj))

    def reap(self) -> None:
        now = self._clock.now()
        if self._grave and self._grave[0][0] <= now:
            keep = [(t, o) for t, o in self._grave if t > now]
            self._grave = keep
        self._reap_recordings(now)

    # -- shutdown -------------------------------------------------------------------------
    def hangup_all(self) -> None:
        self.accepting = False
        for path in list(self._recorders):
            self._finish_recording(path)
        for leg in list(self.legs.values()):
            try:
                self._hangup(leg, 503 if leg.state == OFFERED else 0)
            except pj.Error as exc:
                self._log("warning", "hangup_failed", leg=leg.no, error=exc.info())

    def close(self) -> None:
        """Drop every pjsua2 object this engine holds (before libDestroy)."""
        for leg in list(self.legs.values()):
            self._stop_player(leg)
            self._drop_hold_player(leg)
            self._forget(leg)
        self._recorders.clear()
        self._calls.clear()
        self._grave.clear()
        self._free_taps.clear()
        for tap in self._all_taps:
            tap.detach()
        self._all_taps.clear()
        self.reap()
        if self.acc is not None:
            self.acc.shutdown()
            self.acc = None
        self.media_queue.close()


def _active_audio(call: NodeCall) -> Any:
    ci = call.getInfo()
    for i in range(len(ci.media)):
        mi = ci.media[i]
        if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
            return call.getAudioMedia(i)
    return None


def _quiet(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except pj.Error:
        pass

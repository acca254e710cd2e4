"""libpri (Debian ``libpri1.4``, 1.6.0) as an independent ISDN PRI peer, through ctypes.

libpri is the far end of our Q.921/Q.931 stack in the interop tests: it is
not our code, so it cannot share our misreadings of the recommendations.
One ``Pri`` is one D-channel of one libpri instance, joined to our stack over
a ``SOCK_SEQPACKET`` socket: one packet is one LAPD frame (address, control,
information), no flags, no FCS — the shape of the card's HDLC path.

libpri's I/O callback convention (measured, see docs/isdn.md): libpri was
written for DAHDI, whose HDLC device keeps the 2 FCS octets at the end of every
received frame and expects 2 spare octets at the end of every frame written.
So ``write_cb`` gets the frame plus 2 octets that are not part of it (we drop
them), and ``read_cb`` must return the frame plus 2 octets (we append two
zero octets: libpri does not check them). A read callback that returns the
bare frame makes libpri cut the last 2 octets of every frame.

Every callback object is kept on the instance (ctypes does not hold a
reference and a collected callback crashes the process). libpri's message and
error printers are process-global; they are installed once and route the text
to the ``Pri`` whose handle printed it (or to the module logger).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import socket
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)

# libpri.h constants --------------------------------------------------------
PRI_NETWORK = 1
PRI_CPE = 2
PRI_SWITCH_EUROISDN_E1 = 5

PRI_DEBUG_Q921_RAW = 1 << 0
PRI_DEBUG_Q921_DUMP = 1 << 1
PRI_DEBUG_Q921_STATE = 1 << 2
PRI_DEBUG_Q931_DUMP = 1 << 5
PRI_DEBUG_Q931_STATE = 1 << 6
PRI_DEBUG_Q931_ANOMALY = 1 << 7

PRI_TRANS_CAP_SPEECH = 0x0
PRI_LAYER_1_ALAW = 0x23
PRI_UNKNOWN = 0x0
PRI_INTERNATIONAL_ISDN = 0x11
PRI_NATIONAL_ISDN = 0x21
PRI_LOCAL_ISDN = 0x41
PRES_ALLOWED_USER_NUMBER_NOT_SCREENED = 0x00
PRES_ALLOWED_NETWORK_NUMBER = 0x03
PRES_PROHIB_USER_NUMBER_NOT_SCREENED = 0x20
PRI_REDIR_UNCONDITIONAL = 0xF

EVENT_NAMES = {
    1: "DCHAN_UP", 2: "DCHAN_DOWN", 3: "RESTART", 4: "CONFIG_ERR", 5: "RING", 6: "HANGUP",
    7: "RINGING", 8: "ANSWER", 9: "HANGUP_ACK", 10: "RESTART_ACK", 11: "FACILITY",
    12: "INFO_RECEIVED", 13: "PROCEEDING", 14: "SETUP_ACK", 15: "HANGUP_REQ", 16: "NOTIFY",
    17: "PROGRESS", 18: "KEYPAD_DIGIT", 19: "SERVICE", 20: "SERVICE_ACK", 21: "HOLD",
    22: "HOLD_ACK", 23: "HOLD_REJ", 24: "RETRIEVE", 25: "RETRIEVE_ACK", 26: "RETRIEVE_REJ",
    27: "CONNECT_ACK",
}

# libpri.h structures (only the event views the tests read; layouts as in 1.6.0) --------
c_call_p = ctypes.c_void_p        # q931_call * (opaque)
c_pri_p = ctypes.c_void_p         # struct pri * (opaque)
c_sr_p = ctypes.c_void_p          # struct pri_sr * (opaque)


class PartyName(ctypes.Structure):
    _fields_ = [("valid", ctypes.c_int), ("presentation", ctypes.c_int),
                ("char_set", ctypes.c_int), ("str", ctypes.c_char * 64)]


class PartyNumber(ctypes.Structure):
    _fields_ = [("valid", ctypes.c_int), ("presentation", ctypes.c_int),
                ("plan", ctypes.c_int), ("str", ctypes.c_char * 64)]


class PartySubaddress(ctypes.Structure):
    _fields_ = [("valid", ctypes.c_int), ("type", ctypes.c_int),
                ("odd_even_indicator", ctypes.c_int), ("length", ctypes.c_int),
                ("data", ctypes.c_ubyte * 32)]


class PartyId(ctypes.Structure):
    _fields_ = [("name", PartyName), ("number", PartyNumber), ("subaddress", PartySubaddress)]


class EvGeneric(ctypes.Structure):
    _fields_ = [("e", ctypes.c_int)]


class EvError(ctypes.Structure):
    _fields_ = [("e", ctypes.c_int), ("err", ctypes.c_char * 256)]


class EvRestart(ctypes.Structure):
    _fields_ = [("e", ctypes.c_int), ("channel", ctypes.c_int)]


class EvRinging(ctypes.Structure):     # also pri_event_answer
    _fields_ = [("e", ctypes.c_int), ("channel", ctypes.c_int), ("cref", ctypes.c_int),
                ("progress", ctypes.c_int), ("progressmask", ctypes.c_int),
                ("call", c_call_p), ("useruserinfo", ctypes.c_char * 260),
                ("subcmds", ctypes.c_void_p)]


class EvRing(ctypes.Structure):
    _fields_ = [("e", ctypes.c_int), ("channel", ctypes.c_int), ("callingpres", ctypes.c_int),
                ("callingplanani", ctypes.c_int), ("callingplan", ctypes.c_int),
                ("callingani", ctypes.c_char * 256), ("callingnum", ctypes.c_char * 256),
                ("callingname", ctypes.c_char * 256), ("calledplan", ctypes.c_int),
                ("ani2", ctypes.c_int), ("callednum", ctypes.c_char * 256),
                ("redirectingnum", ctypes.c_char * 256), ("redirectingname", ctypes.c_char * 256),
                ("redirectingreason", ctypes.c_int), ("callingplanrdnis", ctypes.c_int),
                ("useruserinfo", ctypes.c_char * 260), ("flexible", ctypes.c_int),
                ("cref", ctypes.c_int), ("ctype", ctypes.c_int), ("layer1", ctypes.c_int),
                ("complete", ctypes.c_int), ("call", c_call_p),
                ("callingsubaddr", ctypes.c_char * 256), ("progress", ctypes.c_int),
                ("progressmask", ctypes.c_int), ("origcalledname", ctypes.c_char * 256),
                ("origcallednum", ctypes.c_char * 256), ("callingplanorigcalled", ctypes.c_int),
                ("origredirectingreason", ctypes.c_int), ("reversecharge", ctypes.c_int),
                ("subcmds", ctypes.c_void_p), ("calling", PartyId),
                ("called_subaddress", PartySubaddress), ("keypad_digits", ctypes.c_char * 64)]


class EvHangup(ctypes.Structure):
    _fields_ = [("e", ctypes.c_int), ("channel", ctypes.c_int), ("cause", ctypes.c_int),
                ("cref", ctypes.c_int), ("call", c_call_p), ("aoc_units", ctypes.c_long),
                ("useruserinfo", ctypes.c_char * 260), ("subcmds", ctypes.c_void_p),
                ("call_held", c_call_p), ("call_active", c_call_p)]


class EvProceeding(ctypes.Structure):  # PROCEEDING and PROGRESS
    _fields_ = [("e", ctypes.c_int), ("channel", ctypes.c_int), ("cref", ctypes.c_int),
                ("progress", ctypes.c_int), ("progressmask", ctypes.c_int),
                ("cause", ctypes.c_int), ("call", c_call_p), ("subcmds", ctypes.c_void_p)]


class EvSetupAck(ctypes.Structure):
    _fields_ = [("e", ctypes.c_int), ("channel", ctypes.c_int), ("call", c_call_p),
                ("subcmds", ctypes.c_void_p), ("progressmask", ctypes.c_int)]


class EvKeypadDigit(ctypes.Structure):  # also INFO_RECEIVED uses the ring view
    _fields_ = [("e", ctypes.c_int), ("channel", ctypes.c_int), ("call", c_call_p),
                ("digits", ctypes.c_char * 64), ("subcmds", ctypes.c_void_p)]


class EvConnectAck(ctypes.Structure):
    _fields_ = [("e", ctypes.c_int), ("channel", ctypes.c_int), ("call", c_call_p),
                ("subcmds", ctypes.c_void_p)]


class PriEvent(ctypes.Union):
    _fields_ = [("e", ctypes.c_int), ("gen", EvGeneric), ("err", EvError),
                ("restart", EvRestart), ("ring", EvRing), ("hangup", EvHangup),
                ("ringing", EvRinging), ("answer", EvRinging), ("restartack", EvRestart),
                ("proceeding", EvProceeding), ("setup_ack", EvSetupAck),
                ("digit", EvKeypadDigit), ("connect_ack", EvConnectAck)]


class Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


IO_CB = ctypes.CFUNCTYPE(ctypes.c_int, c_pri_p, ctypes.c_void_p, ctypes.c_int)
PRINT_CB = ctypes.CFUNCTYPE(None, c_pri_p, ctypes.c_char_p)


def _load() -> ctypes.CDLL:
    name = ctypes.util.find_library("pri") or "libpri.so.1.4"
    lib = ctypes.CDLL(name)
    proto = {
        "pri_new_cb": (c_pri_p, [ctypes.c_int, ctypes.c_int, ctypes.c_int, IO_CB, IO_CB,
                                 ctypes.c_void_p]),
        "pri_set_debug": (None, [c_pri_p, ctypes.c_int]),
        "pri_set_message": (None, [PRINT_CB]),
        "pri_set_error": (None, [PRINT_CB]),
        "pri_check_event": (ctypes.POINTER(PriEvent), [c_pri_p]),
        "pri_schedule_next": (ctypes.POINTER(Timeval), [c_pri_p]),
        "pri_schedule_run": (ctypes.POINTER(PriEvent), [c_pri_p]),
        "pri_event2str": (ctypes.c_char_p, [ctypes.c_int]),
        "pri_new_call": (c_call_p, [c_pri_p]),
        "pri_destroycall": (None, [c_pri_p, c_call_p]),
        "pri_sr_new": (c_sr_p, []),
        "pri_sr_free": (None, [c_sr_p]),
        "pri_sr_set_channel": (ctypes.c_int, [c_sr_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]),
        "pri_sr_set_bearer": (ctypes.c_int, [c_sr_p, ctypes.c_int, ctypes.c_int]),
        "pri_sr_set_called": (ctypes.c_int, [c_sr_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]),
        "pri_sr_set_caller": (ctypes.c_int, [c_sr_p, ctypes.c_char_p, ctypes.c_char_p,
                                             ctypes.c_int, ctypes.c_int]),
        "pri_sr_set_redirecting": (ctypes.c_int, [c_sr_p, ctypes.c_char_p, ctypes.c_int,
                                                  ctypes.c_int, ctypes.c_int]),
        "pri_setup": (ctypes.c_int, [c_pri_p, c_call_p, c_sr_p]),
        "pri_proceeding": (ctypes.c_int, [c_pri_p, c_call_p, ctypes.c_int, ctypes.c_int]),
        "pri_acknowledge": (ctypes.c_int, [c_pri_p, c_call_p, ctypes.c_int, ctypes.c_int]),
        "pri_progress": (ctypes.c_int, [c_pri_p, c_call_p, ctypes.c_int, ctypes.c_int]),
        "pri_answer": (ctypes.c_int, [c_pri_p, c_call_p, ctypes.c_int, ctypes.c_int]),
        "pri_information": (ctypes.c_int, [c_pri_p, c_call_p, ctypes.c_char]),
        "pri_hangup": (ctypes.c_int, [c_pri_p, c_call_p, ctypes.c_int]),
        "pri_reset": (ctypes.c_int, [c_pri_p, ctypes.c_int]),
        "pri_restart": (ctypes.c_int, [c_pri_p]),
        "pri_set_timer": (ctypes.c_int, [c_pri_p, ctypes.c_int, ctypes.c_int]),
        "pri_timer2idx": (ctypes.c_int, [ctypes.c_char_p]),
        "pri_set_overlapdial": (None, [c_pri_p, ctypes.c_int]),
        "pri_get_userdata": (ctypes.c_void_p, [c_pri_p]),
    }
    for fname, (restype, argtypes) in proto.items():
        fn = getattr(lib, fname)
        fn.restype = restype
        fn.argtypes = argtypes
    # pri_new_cb returns a struct pri*; there is no pri_destroy in 1.6.0 (the
    # instance lives as long as the process; tests make a few dozen of them).
    return lib


LIB = _load()
_BY_HANDLE: dict[int, "Pri"] = {}


def _printer(level: int) -> Callable[[int | None, bytes | None], None]:
    def emit(handle: int | None, text: bytes | None) -> None:
        line = (text or b"").decode("latin-1").rstrip("\n")
        pri = _BY_HANDLE.get(handle or 0)
        if pri is not None:
            pri.debug_lines.append(line)
            if level >= logging.WARNING:
                pri.errors.append(line)
        log.log(level, "libpri: %s", line)
    return emit


_MESSAGE_CB = PRINT_CB(_printer(logging.DEBUG))
_ERROR_CB = PRINT_CB(_printer(logging.WARNING))
LIB.pri_set_message(_MESSAGE_CB)
LIB.pri_set_error(_ERROR_CB)


@dataclass
class PriEventView:
    """One libpri event, copied out of libpri's buffer (it is reused on the next call)."""

    kind: str
    channel: int = -1
    cause: int = 0
    call: int | None = None
    cref: int = 0
    calling: str = ""
    calling_plan: int = 0
    calling_pres: int = 0
    called: str = ""
    called_plan: int = 0
    redirecting: str = ""
    complete: bool = False
    digits: str = ""
    progress: int = 0


def _view(ev: PriEvent) -> PriEventView:
    kind = EVENT_NAMES.get(ev.e, f"EVENT_{ev.e}")
    if kind == "RING":
        r = ev.ring
        return PriEventView(kind, r.channel, call=r.call, cref=r.cref,
                            calling=r.callingnum.decode(), calling_plan=r.callingplan,
                            calling_pres=r.callingpres, called=r.callednum.decode(),
                            called_plan=r.calledplan, redirecting=r.redirectingnum.decode(),
                            complete=bool(r.complete))
    if kind in ("HANGUP", "HANGUP_REQ", "HANGUP_ACK"):
        h = ev.hangup
        return PriEventView(kind, h.channel, cause=h.cause, call=h.call, cref=h.cref)
    if kind in ("RINGING", "ANSWER"):
        a = ev.answer
        return PriEventView(kind, a.channel, call=a.call, cref=a.cref, progress=a.progress)
    if kind in ("PROCEEDING", "PROGRESS"):
        p = ev.proceeding
        return PriEventView(kind, p.channel, call=p.call, cref=p.cref, cause=p.cause,
                            progress=p.progress)
    if kind == "SETUP_ACK":
        return PriEventView(kind, ev.setup_ack.channel, call=ev.setup_ack.call)
    if kind == "INFO_RECEIVED":
        r = ev.ring
        return PriEventView(kind, r.channel, call=r.call, called=r.callednum.decode(),
                            complete=bool(r.complete))
    if kind == "KEYPAD_DIGIT":
        return PriEventView(kind, ev.digit.channel, call=ev.digit.call,
                            digits=ev.digit.digits.decode())
    if kind in ("RESTART", "RESTART_ACK"):
        return PriEventView(kind, ev.restart.channel)
    if kind == "CONNECT_ACK":
        return PriEventView(kind, ev.connect_ack.channel, call=ev.connect_ack.call)
    return PriEventView(kind)


def channel_ts(channel: int) -> int:
    """The B-channel number of libpri's packed channel word (bits 0-7; 0xFF = any)."""
    return channel & 0xFF if channel >= 0 else -1


class Pri:
    """One libpri D-channel on ``sock`` (our side has the other end of the pair).

    ``role`` is libpri's own node type: ``PRI_NETWORK`` or ``PRI_CPE``.
    """

    def __init__(self, sock: socket.socket, role: int, debug: int = 0,
                 auto_hangup: bool = True) -> None:
        self.sock = sock
        sock.setblocking(False)
        self.role = role
        self.debug_lines: list[str] = []
        self.errors: list[str] = []
        self.events: list[PriEventView] = []
        self.frames_in = 0
        self.frames_out = 0
        self.auto_hangup = auto_hangup
        self._ended: set[int] = set()
        self._read_cb = IO_CB(self._read)
        self._write_cb = IO_CB(self._write)
        self.handle = LIB.pri_new_cb(sock.fileno(), role, PRI_SWITCH_EUROISDN_E1,
                                     self._read_cb, self._write_cb, None)
        if not self.handle:
            raise RuntimeError("pri_new_cb failed")
        _BY_HANDLE[self.handle] = self
        if debug:
            LIB.pri_set_debug(self.handle, debug)

    # --- I/O callbacks (called from inside libpri) --------------------------------
    def _read(self, _pri: int, buf: int, buflen: int) -> int:
        try:
            data = self.sock.recv(max(0, buflen - 2))
        except (BlockingIOError, InterruptedError):
            return -1
        except OSError:
            return -1
        if not data:
            return -1
        frame = data + b"\x00\x00"           # where DAHDI would leave the FCS
        ctypes.memmove(buf, frame, len(frame))
        self.frames_in += 1
        return len(frame)

    def _write(self, _pri: int, buf: int, buflen: int) -> int:
        frame = ctypes.string_at(buf, buflen)[:-2]     # 2 spare octets for the FCS
        try:
            self.sock.send(frame)
        except OSError as exc:
            log.warning("libpri write failed: %s", exc)
            return -1
        self.frames_out += 1
        return buflen

    # --- driving -----------------------------------------------------------------
    def fileno(self) -> int:
        return self.sock.fileno()

    def check_event(self) -> PriEventView | None:
        """Read one frame from the socket (libpri's read callback) and process it."""
        ev = LIB.pri_check_event(self.handle)
        return self._keep(ev)

    def next_timer(self) -> float | None:
        """Seconds since the epoch of libpri's next timer (gettimeofday), or None."""
        tv = LIB.pri_schedule_next(self.handle)
        if not tv:
            return None
        return tv.contents.tv_sec + tv.contents.tv_usec / 1e6

    def run_timers(self) -> PriEventView | None:
        return self._keep(LIB.pri_schedule_run(self.handle))

    def _keep(self, ev: "ctypes._Pointer[PriEvent]") -> PriEventView | None:
        if not ev:
            return None
        view = _view(ev.contents)
        self.events.append(view)
        if view.kind == "RING" and view.call:
            self._ended.discard(view.call)        # libpri reuses freed call memory
        log.debug("libpri(%s) event %s", "net" if self.role == PRI_NETWORK else "cpe", view)
        if self.auto_hangup and view.call and view.kind in ("HANGUP_REQ", "HANGUP"):
            # What chan_dahdi does: DISCONNECT received -> hang up (libpri sends RELEASE);
            # RELEASE received -> hang up (libpri sends RELEASE COMPLETE, frees the call).
            if view.call not in self._ended:
                if view.kind == "HANGUP":
                    self._ended.add(view.call)
                LIB.pri_hangup(self.handle, view.call, view.cause if view.cause > 0 else 16)
        elif view.kind == "HANGUP_ACK" and view.call:
            self._ended.add(view.call)
        return view

    # --- commands ------------------------------------------------------------------
    def set_timer(self, name: str, ms: int) -> None:
        idx = LIB.pri_timer2idx(name.encode())
        if idx < 0 or LIB.pri_set_timer(self.handle, idx, ms) != 0:
            raise ValueError(f"libpri refused timer {name}={ms}")

    def call(self, called: str, calling: str = "", channel: int = 1, exclusive: bool = True,
             called_plan: int = PRI_UNKNOWN, calling_plan: int = PRI_UNKNOWN,
             calling_pres: int = PRES_ALLOWED_USER_NUMBER_NOT_SCREENED,
             redirecting: str = "", complete: bool = True) -> int:
        """pri_new_call + pri_sr_* + pri_setup; returns the opaque call pointer."""
        call = LIB.pri_new_call(self.handle)
        if not call:
            raise RuntimeError("pri_new_call failed")
        self._ended.discard(call)                  # libpri reuses freed call memory
        sr = LIB.pri_sr_new()
        try:
            LIB.pri_sr_set_channel(sr, channel, 1 if exclusive else 0, 0)
            LIB.pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, PRI_LAYER_1_ALAW)
            LIB.pri_sr_set_called(sr, called.encode(), called_plan, 1 if complete else 0)
            if calling:
                LIB.pri_sr_set_caller(sr, calling.encode(), None, calling_plan, calling_pres)
            if redirecting:
                LIB.pri_sr_set_redirecting(sr, redirecting.encode(), PRI_UNKNOWN,
                                           PRES_ALLOWED_USER_NUMBER_NOT_SCREENED,
                                           PRI_REDIR_UNCONDITIONAL)
            if LIB.pri_setup(self.handle, call, sr) != 0:
                raise RuntimeError("pri_setup failed")
        finally:
            LIB.pri_sr_free(sr)
        return call

    def proceeding(self, call: int, channel: int) -> None:
        _check(LIB.pri_proceeding(self.handle, call, channel, 0), "pri_proceeding")

    def alerting(self, call: int, channel: int) -> None:
        _check(LIB.pri_acknowledge(self.handle, call, channel, 0), "pri_acknowledge")

    def answer(self, call: int, channel: int) -> None:
        _check(LIB.pri_answer(self.handle, call, channel, 0), "pri_answer")

    def information(self, call: int, digits: str) -> None:
        for d in digits:
            _check(LIB.pri_information(self.handle, call, d.encode()), "pri_information")

    def hangup(self, call: int, cause: int) -> None:
        if call in self._ended:
            raise RuntimeError("libpri has already freed this call")
        _check(LIB.pri_hangup(self.handle, call, cause), "pri_hangup")

    def reset(self, channel: int) -> None:
        _check(LIB.pri_reset(self.handle, channel), "pri_reset")

    def restart(self) -> None:
        _check(LIB.pri_restart(self.handle), "pri_restart")

    def set_overlapdial(self, on: bool) -> None:
        LIB.pri_set_overlapdial(self.handle, 1 if on else 0)

    def close(self) -> None:
        """Forget the handle (libpri 1.6.0 has no destructor) and close our socket end."""
        _BY_HANDLE.pop(self.handle, None)
        self.sock.close()


def _check(rc: int, what: str) -> None:
    if rc != 0:
        raise RuntimeError(f"{what} failed ({rc})")


__all__ = ["Pri", "PriEventView", "PRI_NETWORK", "PRI_CPE", "channel_ts", "LIB"]

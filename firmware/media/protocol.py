"""The media-node control protocol: JSON objects, one per line, as values.

The daemon sends ``Command``s, a node answers each with a ``Reply`` (same id)
and volunteers ``Event``s. Every message is checked against the table below
when decoded, on both ends, so a malformed line is one ``ProtocolError``
naming the field (or the byte offset for broken JSON) instead of a KeyError
deep in a call flow. The receive loops count and log such errors and keep
serving (docs/style.md#bad-input-raises-one-typed-error-that-says-where).

``decode(encode(m)) == m`` for every valid message.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from acd_core.errors import DecodeError
from firmware.media import legstate

MAX_LINE = 64 * 1024
DIGITS = frozenset("0123456789*#ABCD")
DTMF_SOURCES = ("rfc4733", "inband", "info")


def sockaddr(address: str) -> str:
    """``@name`` (as written in the control protocol, which carries no NUL) is the
    abstract Unix address ``\\0name``; anything else is a path."""
    return "\0" + address[1:] if address.startswith("@") else address


class ProtocolError(DecodeError):
    """A control line that is not a valid message; carries ``field`` or ``offset``."""


# Field kinds: a type check and a one-line description used in error messages.
def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _leg(v: Any) -> bool:
    return _int(v) and 0 < v < 2**31


def _code(v: Any) -> bool:
    return _int(v) and 0 <= v <= 699


def _str(v: Any) -> bool:
    return isinstance(v, str) and "\x00" not in v and len(v) <= 2048


def _opt_str(v: Any) -> bool:
    return v is None or _str(v)


def _abs_path(v: Any) -> bool:
    return _str(v) and v.startswith("/") and "/../" not in v + "/" and not v.endswith("/")


def _wav_path(v: Any) -> bool:
    return _abs_path(v) and v.endswith(".wav")


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _legs(v: Any) -> bool:
    return isinstance(v, list) and 1 <= len(v) <= 4 and all(_leg(x) for x in v)


def _num(v: Any) -> bool:
    return (_int(v) or isinstance(v, float)) and v >= 0


def _room(v: Any) -> bool:
    return _int(v) and 1 <= v <= 4


def _reason(v: Any) -> bool:
    """A SIP reason phrase: it goes on the status line, so printable ASCII only."""
    return isinstance(v, str) and 1 <= len(v) <= 64 and all(" " <= c <= "~" for c in v)


KINDS = {
    _int: "an integer", _leg: "a leg number 1..2^31-1", _code: "a SIP code 0-699",
    _str: "a string (no NUL, at most 2048 characters)", _opt_str: "a string or null",
    _abs_path: "an absolute path without '..'", _wav_path: "an absolute path ending in .wav",
    _bool: "true or false", _legs: "a list of 1-4 leg numbers", _num: "a number >= 0",
    _room: "a number of legs 1-4", _reason: "a reason phrase of 1-64 printable ASCII characters",
}


def _one_of(*options: str) -> Any:
    def check(v: Any) -> bool:
        return v in options
    KINDS[check] = "one of " + ", ".join(options)
    return check


def _digit(v: Any) -> bool:
    return isinstance(v, str) and len(v) == 1 and v in DIGITS


KINDS[_digit] = "one DTMF digit 0-9 * # A-D"

# name -> {field: (check, required)}
COMMANDS: dict[str, dict[str, tuple[Any, bool]]] = {
    "answer": {"leg": (_leg, True), "code": (_code, False)},
    "reject": {"leg": (_leg, True), "code": (_code, True), "reason": (_reason, False)},
    "hangup": {"leg": (_leg, True), "code": (_code, False)},
    "play": {"leg": (_leg, True), "path": (_abs_path, True), "loop": (_bool, False)},
    "stop_play": {"leg": (_leg, True)},
    # exactly one of near_leg (its conversation) and conv (an opened one): checked in decode
    "dial": {"uri": (_str, True), "near_leg": (_leg, False), "conv": (_leg, False),
             "caller_id": (_opt_str, False), "caller_name": (_opt_str, False)},
    "bridge": {"a": (_leg, True), "b": (_leg, True)},
    "unbridge": {"a": (_leg, True), "b": (_leg, True)},
    # one-way audio: what ``src`` receives from its far end is sent to ``dst``'s far end
    "connect": {"src": (_leg, True), "dst": (_leg, True)},
    "disconnect": {"src": (_leg, True), "dst": (_leg, True)},
    # the held leg hears ``path`` looping and nobody hears it; resume restores its paths
    "hold": {"leg": (_leg, True), "path": (_abs_path, True)},
    # ask a ringing phone we dialled to answer (in-dialog NOTIFY, Event: talk)
    "talk": {"leg": (_leg, True)},
    "resume": {"leg": (_leg, True)},
    # room for a conversation that has no leg yet (click-to-call): -> {conv}
    "open": {"legs": (_room, True)},
    "close": {"conv": (_leg, True)},
    # stereo: legs[0] into <path>.left.wav, legs[1] into <path>.right.wav (2 legs)
    "record_start": {"legs": (_legs, True), "path": (_wav_path, True), "stereo": (_bool, False)},
    "record_stop": {"path": (_wav_path, True)},
    # a line's audio as a leg (firmware/media/lineport.py): -> {leg, path}; at most one of
    # near_leg and conv, neither for a conversation of its own
    "port": {"path": (_str, True), "direction": (_one_of("in", "out"), True),
             "near_leg": (_leg, False), "conv": (_leg, False)},
    # the line's signalling moved a port leg on: early (far end rings), confirmed (answered)
    "port_event": {"leg": (_leg, True), "change": (_one_of("early", "confirmed"), True)},
    "status": {},
}

EVENTS: dict[str, dict[str, tuple[Any, bool]]] = {
    "hello": {"node": (_int, True), "pid": (_int, True), "sip_port": (_int, False),
              "capacity": (_int, False), "inband": (_opt_str, False)},
    "incoming": {"leg": (_leg, True), "from": (_str, True), "to": (_str, True),
                 "did": (_str, True), "trunk": (_opt_str, False), "seat": (_opt_str, False),
                 "call_id": (_str, True)},
    "leg_state": {"leg": (_leg, True), "cause": (_one_of(*sorted(legstate.REPORTED)), True),
                  "state": (_one_of(*legstate.STATES), True),
                  "code": (_code, False), "reason": (_str, False)},
    "dtmf": {"leg": (_leg, True), "digit": (_digit, True),
             "source": (_one_of(*DTMF_SOURCES), True)},
    "play_done": {"leg": (_leg, True)},
    # the far end of ``leg`` asked (REFER) to be put through to ``target`` (a SIP URI); the
    # node declined the REFER itself and leaves the transfer to the daemon
    "refer": {"leg": (_leg, True), "target": (_str, True)},
    "recording_done": {"path": (_wav_path, True), "seconds": (_num, True)},
}


@dataclass(frozen=True)
class Command:
    id: int
    cmd: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def __bytes__(self) -> bytes:
        return _dump({"id": self.id, "cmd": self.cmd, **self.args})


@dataclass(frozen=True)
class Reply:
    id: int
    ok: bool
    data: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    def __bytes__(self) -> bytes:
        body: dict[str, Any] = {"id": self.id, "ok": self.ok, **self.data}
        if not self.ok:
            body["error"] = self.error or "failed"
        return _dump(body)


@dataclass(frozen=True)
class Event:
    event: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __bytes__(self) -> bytes:
        return _dump({"event": self.event, **self.data})


Message = Union[Command, Reply, Event]


def _dump(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True).encode() + b"\n"


def encode(msg: Message) -> bytes:
    """One line (with ``\\n``); validated, so a node never sends what the pool would refuse."""
    line = bytes(msg)
    decode(line)
    return line


def _check(table: dict[str, dict[str, tuple[Any, bool]]], name: str, body: dict[str, Any],
           what: str) -> dict[str, Any]:
    if name not in table:
        raise ProtocolError(f"unknown {what} {name!r}", field=what)
    spec = table[name]
    for key, value in body.items():
        if key not in spec:
            raise ProtocolError(f"{what} {name}: unexpected field {key!r}", field=key)
        check, _ = spec[key]
        if not check(value):
            raise ProtocolError(f"{what} {name}: {key} must be {KINDS[check]}, got {value!r:.60}",
                                field=key)
    for key, (_, required) in spec.items():
        if required and key not in body:
            raise ProtocolError(f"{what} {name}: missing field {key!r}", field=key)
    return body


def decode(line: bytes) -> Message:
    """Parse and validate one line (trailing newline optional)."""
    if len(line) > MAX_LINE:
        raise ProtocolError(f"line of {len(line)} bytes exceeds {MAX_LINE}", offset=MAX_LINE)
    try:
        obj = json.loads(line)
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"not UTF-8: {exc.reason}", offset=exc.start) from None
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {exc.msg}", offset=exc.pos) from None
    except RecursionError:
        raise ProtocolError("JSON nested too deeply", offset=0) from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"expected a JSON object, got {type(obj).__name__}", offset=0)
    if "event" in obj:
        name = obj.pop("event")
        if not isinstance(name, str):
            raise ProtocolError("event must be a string", field="event")
        return Event(name, _check(EVENTS, name, obj, "event"))
    if "id" not in obj:
        raise ProtocolError("message has neither 'event' nor 'id'", field="id")
    mid = obj.pop("id")
    if not _int(mid) or mid <= 0:
        raise ProtocolError(f"id must be a positive integer, got {mid!r:.40}", field="id")
    if "cmd" in obj:
        name = obj.pop("cmd")
        if not isinstance(name, str):
            raise ProtocolError("cmd must be a string", field="cmd")
        body = _check(COMMANDS, name, obj, "command")
        if name == "dial" and ("near_leg" in body) == ("conv" in body):
            raise ProtocolError("command dial: needs exactly one of near_leg and conv",
                                field="near_leg")
        if name == "port" and "near_leg" in body and "conv" in body:
            raise ProtocolError("command port: at most one of near_leg and conv",
                                field="near_leg")
        if name == "record_start" and body.get("stereo") and len(body["legs"]) != 2:
            raise ProtocolError("command record_start: stereo needs exactly 2 legs",
                                field="legs")
        return Command(mid, name, body)
    if "ok" not in obj or not _bool(obj["ok"]):
        raise ProtocolError("reply needs 'ok': true or false", field="ok")
    ok = obj.pop("ok")
    error = obj.pop("error", None)
    if not ok and not isinstance(error, str):
        raise ProtocolError("failed reply needs an 'error' string", field="error")
    if ok and error is not None:
        raise ProtocolError("successful reply carries an 'error'", field="error")
    return Reply(mid, ok, obj, error)


class LineBuffer:
    """Splits a byte stream into lines; refuses a line longer than ``MAX_LINE``.

    The node reads its control socket non-blocking, so lines arrive in pieces.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        lines = []
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                break
            lines.append(bytes(self._buf[:nl]))
            del self._buf[:nl + 1]
        if len(self._buf) > MAX_LINE:
            size = len(self._buf)
            self._buf.clear()
            raise ProtocolError(f"unterminated line of {size} bytes exceeds {MAX_LINE}",
                                offset=MAX_LINE)
        return lines

"""The control protocol as values: round trips, and hostile lines named after the attack."""
from __future__ import annotations

import pytest

from firmware.media.protocol import (
    COMMANDS, EVENTS, MAX_LINE, Command, Event, LineBuffer, ProtocolError, Reply, decode, encode,
)

VALID = [
    Command(1, "answer", {"leg": 1}),
    Command(2, "reject", {"leg": 3, "code": 486}),
    Command(3, "hangup", {"leg": 3}),
    Command(4, "play", {"leg": 1, "path": "/var/prompts/ivr.wav", "loop": True}),
    Command(5, "stop_play", {"leg": 1}),
    Command(6, "dial", {"uri": "sip:201@127.0.0.1:5060", "near_leg": 1, "caller_id": "5551234"}),
    Command(7, "bridge", {"a": 1, "b": 2}),
    Command(8, "unbridge", {"a": 1, "b": 2}),
    Command(9, "record_start", {"legs": [1, 2], "path": "/var/recordings/.incoming/c1.wav"}),
    Command(10, "record_stop", {"path": "/var/recordings/.incoming/c1.wav"}),
    Command(11, "status", {}),
    Command(12, "connect", {"src": 1, "dst": 3}),
    Command(13, "disconnect", {"src": 1, "dst": 3}),
    Command(14, "hold", {"leg": 1, "path": "/var/prompts/moh.wav"}),
    Command(15, "resume", {"leg": 1}),
    Command(20, "talk", {"leg": 2}),
    Command(21, "port", {"path": "@callbox-1-line-e1-1-5-1", "direction": "in"}),
    Command(22, "port", {"path": "@callbox-1-line-e1-1-5-2", "direction": "out", "near_leg": 1}),
    Command(23, "port_event", {"leg": 4, "change": "early"}),
    Command(16, "open", {"legs": 2}),
    Command(17, "dial", {"uri": "sip:201@127.0.0.1:5060", "conv": 3, "caller_name": "Sales"}),
    Command(18, "close", {"conv": 3}),
    Command(19, "record_start", {"legs": [1, 2], "path": "/var/recordings/.incoming/c2.wav",
                                 "stereo": True}),
    Reply(6, True, {"leg": 2}),
    Reply(7, False, {}, "leg 2 is not active on this node"),
    Event("hello", {"node": 1, "pid": 4242, "sip_port": 5070, "capacity": 4, "inband": "enabled"}),
    Event("incoming", {"leg": 1, "from": '"A" <sip:555@10.0.0.1>', "to": "<sip:100@box>",
                       "did": "100", "trunk": "demo", "seat": None, "call_id": "abc@h"}),
    Event("leg_state", {"leg": 2, "cause": "disconnected", "state": "ended", "code": 486,
                        "reason": "Busy Here"}),
    Event("dtmf", {"leg": 1, "digit": "#", "source": "inband"}),
    Event("play_done", {"leg": 1}),
    Event("refer", {"leg": 2, "target": "<sip:202@192.0.2.1>"}),
    Event("recording_done", {"path": "/var/recordings/.incoming/c1.wav", "seconds": 12.5}),
]


@pytest.mark.parametrize("msg", VALID, ids=lambda m: getattr(m, "cmd", getattr(m, "event", "reply")))
def test_every_message_round_trips(msg: object) -> None:
    line = encode(msg)  # type: ignore[arg-type]
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line) == msg
    assert bytes(decode(line)) == line  # type: ignore[arg-type]


def test_every_command_and_event_in_the_tables_has_a_valid_example() -> None:
    assert {m.cmd for m in VALID if isinstance(m, Command)} == set(COMMANDS)
    assert {m.event for m in VALID if isinstance(m, Event)} == set(EVENTS)


@pytest.mark.parametrize("line, field, text", [
    (b'{"id":1,"cmd":"answer"}', "leg", "missing field 'leg'"),
    (b'{"id":1,"cmd":"answer","leg":"1"}', "leg", "leg must be a leg number"),
    (b'{"id":1,"cmd":"answer","leg":true}', "leg", "leg must be a leg number"),
    (b'{"id":1,"cmd":"answer","leg":0}', "leg", "leg must be a leg number"),
    (b'{"id":1,"cmd":"answer","leg":1,"x":2}', "x", "unexpected field 'x'"),
    (b'{"id":1,"cmd":"format_disk"}', "command", "unknown command 'format_disk'"),
    (b'{"id":1,"cmd":"port","path":"@x","direction":"sideways"}', "direction",
     "direction must be"),
    (b'{"id":1,"cmd":"port","path":"@x","direction":"out","near_leg":1,"conv":2}',
     "near_leg", "at most one of near_leg and conv"),
    (b'{"id":1,"cmd":"port_event","leg":1,"change":"hangup"}', "change", "change must be"),
    (b'{"id":0,"cmd":"status"}', "id", "id must be a positive integer"),
    (b'{"id":1.5,"cmd":"status"}', "id", "id must be a positive integer"),
    (b'{"cmd":"status"}', "id", "neither 'event' nor 'id'"),
    (b'{"id":1,"ok":false}', "error", "failed reply needs an 'error'"),
    (b'{"id":1,"ok":"yes"}', "ok", "reply needs 'ok'"),
    (b'{"event":"dtmf","leg":1,"digit":"12","source":"inband"}', "digit", "one DTMF digit"),
    (b'{"event":"dtmf","leg":1,"digit":"1","source":"psychic"}', "source", "one of rfc4733"),
    (b'{"event":"leg_state","leg":1,"cause":"early","state":"exploded"}', "state",
     "one of offered, dialing, ringing"),
    (b'{"event":"leg_state","leg":1,"cause":"vanished","state":"ended"}', "cause",
     "one of answer, confirmed"),
    (b'{"id":1,"cmd":"dial","uri":"sip:1@h"}', "near_leg", "exactly one of near_leg and conv"),
    (b'{"id":1,"cmd":"dial","uri":"sip:1@h","near_leg":1,"conv":2}', "near_leg",
     "exactly one of near_leg and conv"),
    (b'{"id":1,"cmd":"open","legs":5}', "legs", "a number of legs 1-4"),
    (b'{"id":1,"cmd":"record_start","legs":[1],"path":"/r/a.wav","stereo":true}', "legs",
     "stereo needs exactly 2 legs"),
    (b'{"id":1,"cmd":"hold","leg":1,"path":"moh.wav"}', "path", "an absolute path"),
])
def test_malformed_message_names_the_field(line: bytes, field: str, text: str) -> None:
    with pytest.raises(ProtocolError) as err:
        decode(line)
    assert err.value.field == field
    assert text in str(err.value)


def test_path_traversal_in_record_path_is_refused() -> None:
    line = b'{"id":1,"cmd":"record_start","legs":[1],"path":"/var/recordings/../../etc/x.wav"}'
    with pytest.raises(ProtocolError, match="path must be an absolute path ending in .wav"):
        decode(line)


def test_relative_play_path_is_refused() -> None:
    with pytest.raises(ProtocolError, match="absolute path") as err:
        decode(b'{"id":1,"cmd":"play","leg":1,"path":"prompts/x.wav"}')
    assert err.value.field == "path"


def test_recording_into_a_non_wav_name_is_refused() -> None:
    """pjsua picks the format from the extension: '.wav.part' fails inside the node."""
    with pytest.raises(ProtocolError, match="ending in .wav"):
        decode(b'{"id":1,"cmd":"record_start","legs":[1],"path":"/r/.incoming/x.wav.part"}')


def test_nul_byte_in_uri_is_refused() -> None:
    with pytest.raises(ProtocolError, match="uri must be a string"):
        decode(b'{"id":1,"cmd":"dial","uri":"sip:1\\u0000@x","near_leg":1}')


def test_broken_json_reports_the_offset() -> None:
    with pytest.raises(ProtocolError, match="not JSON") as err:
        decode(b'{"id":1,"cmd":')
    assert err.value.offset == 14


def test_invalid_utf8_is_refused_with_offset() -> None:
    with pytest.raises(ProtocolError, match="not UTF-8|not JSON") as err:
        decode(b'{"id":1,"cmd":"\xff"}')
    assert err.value.offset is not None


def test_json_array_is_not_a_message() -> None:
    with pytest.raises(ProtocolError, match="expected a JSON object, got list"):
        decode(b"[1,2]")


def test_oversized_line_is_refused_before_parsing() -> None:
    with pytest.raises(ProtocolError, match="exceeds") as err:
        decode(b'{"id":1,"cmd":"status","pad":"' + b"x" * MAX_LINE + b'"}')
    assert err.value.offset == MAX_LINE


def test_line_buffer_joins_pieces_and_splits_lines() -> None:
    buf = LineBuffer()
    assert buf.feed(b'{"id":1,') == []
    assert buf.feed(b'"cmd":"status"}\n{"id":2,"cmd":"status"}\n{"id"') == [
        b'{"id":1,"cmd":"status"}', b'{"id":2,"cmd":"status"}']
    assert buf.feed(b':3,"cmd":"status"}\n') == [b'{"id":3,"cmd":"status"}']


def test_endless_line_without_newline_is_cut_off() -> None:
    """A peer that never sends a newline cannot make the node buffer without limit."""
    buf = LineBuffer()
    with pytest.raises(ProtocolError, match="unterminated line"):
        for _ in range(MAX_LINE // 1024 + 2):
            buf.feed(b"x" * 1024)
    assert buf.feed(b'{"id":1,"cmd":"status"}\n')[-1] == b'{"id":1,"cmd":"status"}'


def test_encode_refuses_an_invalid_message() -> None:
    with pytest.raises(ProtocolError, match="missing field 'leg'"):
        encode(Command(1, "answer", {}))

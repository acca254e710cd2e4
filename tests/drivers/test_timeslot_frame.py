"""The timeslot door's 164-octet frame: vectors round-trip, every bad field is named."""
from pathlib import Path

import pytest

from acd_core.errors import DecodeError
from drivers.sim.timeslot_frame import (FRAME_OCTETS, SILENCE, FrameDecodeError, TimeslotFrame,
                                        next_seq)

VECTORS = Path(__file__).resolve().parents[1] / "data" / "timeslot_frames"


def vector(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


@pytest.mark.parametrize("name", ["idle_itu_seq0_silence.bin", "seize_cn_seq65535_ramp.bin"])
def test_vectors_round_trip(name):
    raw = vector(name)
    assert len(raw) == FRAME_OCTETS
    assert bytes(TimeslotFrame.parse(raw)) == raw


def test_fields_of_a_vector():
    f = TimeslotFrame.parse(vector("seize_cn_seq65535_ramp.bin"))
    assert (f.abcd, f.seq, f.audio) == (0b0011, 0xFFFF, bytes(range(160)))
    assert next_seq(f.seq) == 0
    idle = TimeslotFrame.parse(vector("idle_itu_seq0_silence.bin"))
    assert (idle.abcd, idle.seq, idle.audio) == (0b1001, 0, SILENCE)


def test_header_layout():
    raw = bytes(TimeslotFrame(0b1101, 0x0102, SILENCE))
    assert raw[:4] == bytes([0x10, 0x0D, 0x01, 0x02]) and raw[4:] == SILENCE


@pytest.mark.parametrize("name, field, offset, text", [
    ("truncated_163.bin", "length", 163, "163 octets, expected 164"),
    ("oversize_165.bin", "length", 164, "165 octets, expected 164"),
    ("version2.bin", "version", 0, "version 2, expected 1"),
    ("type1_hdlc.bin", "type", 0, "type 1, expected 0"),
    ("abcd_high_nibble.bin", "abcd", 1, "0x19 has high-nibble bits set"),
])
def test_hostile_frames_raise_one_typed_error_naming_the_field(name, field, offset, text):
    with pytest.raises(FrameDecodeError, match=text) as info:
        TimeslotFrame.parse(vector(name))
    assert isinstance(info.value, DecodeError)
    assert (info.value.field, info.value.offset) == (field, offset)
    assert f"field='{field}'" in str(info.value)


def test_empty_packet_is_a_length_error():
    with pytest.raises(FrameDecodeError, match="0 octets"):
        TimeslotFrame.parse(b"")


@pytest.mark.parametrize("kwargs, text", [
    ({"abcd": 16, "seq": 0}, "ABCD bits"),
    ({"abcd": 0, "seq": 65536}, "sequence number"),
    ({"abcd": 0, "seq": 0, "audio": b"\xd5" * 159}, "160 A-law samples"),
])
def test_frames_we_build_are_checked(kwargs, text):
    with pytest.raises(ValueError, match=text):
        TimeslotFrame(**kwargs)

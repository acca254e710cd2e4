"""HDLC line codec against published check values and a bit-level reference."""
import random

import pytest

from drivers.sim.hdlc import GOOD_RESIDUE, HdlcDecoder, HdlcEncoder, fcs16, fcs_ok, with_fcs


def reference_bits(frame: bytes) -> list[int]:
    """ISO 13239 by the book: flag, LSB-first octets with a 0 after five 1s, FCS, flag."""
    bits, ones = [0, 1, 1, 1, 1, 1, 1, 0], 0
    for octet in with_fcs(frame):
        for i in range(8):
            bit = (octet >> i) & 1
            bits.append(bit)
            ones = ones + 1 if bit else 0
            if ones == 5:
                bits.append(0)
                ones = 0
    return bits + [0, 1, 1, 1, 1, 1, 1, 0]


def test_fcs_matches_the_crc16_x25_check_value():
    assert fcs16(b"123456789") ^ 0xFFFF == 0x906E
    assert fcs16(with_fcs(b"123456789")) == GOOD_RESIDUE


def test_encoder_output_is_the_reference_bit_stream():
    frame = bytes([0x7E, 0xFF, 0x3F, 0x7C, 0x00, 0xF8])
    enc = HdlcEncoder()
    enc.send(frame)
    want = reference_bits(frame)
    line = enc.take((len(want) + 8 + 7) // 8)
    bits = [(b >> (7 - i)) & 1 for b in line for i in range(8)]
    start = next(k for k in range(len(bits)) if bits[k:k + len(want)] == want)
    assert start <= 8                       # at most one idle flag before it


@pytest.mark.parametrize("idle_flags", [True, False])
def test_random_frames_round_trip(idle_flags):
    rnd = random.Random(5)
    frames = [bytes(rnd.randrange(256) for _ in range(rnd.randrange(3, 270))) for _ in range(40)]
    frames += [b"\xff" * 64, b"\x7e" * 16, b"\x00\x01\x7f"]
    enc, dec = HdlcEncoder(idle_flags=idle_flags), HdlcDecoder()
    for f in frames:
        enc.send(f)
    line = enc.take(30000)
    for i in range(0, len(line), 16):        # fed a multiframe's TS16 at a time
        dec.feed(line[i:i + 16])
    assert [f.data[:-2] for f in dec.frames] == frames
    assert all(f.fcs_good for f in dec.frames)


def test_flipped_bit_gives_bad_fcs():
    enc, dec = HdlcEncoder(), HdlcDecoder()
    enc.send(b"\x02\x01\x00\x00hello")
    line = bytearray(enc.take(20))
    line[4] ^= 0x01
    dec.feed(bytes(line))
    assert [f.fcs_good for f in dec.frames] == [False] and dec.bad_fcs == 1
    assert not fcs_ok(dec.frames[0].data)


def test_underrun_mid_frame_goes_out_as_an_abort():
    enc, dec = HdlcEncoder(), HdlcDecoder()
    enc.feed(b"x" * 32, end=False)
    dec.feed(enc.take(48))
    assert enc.underruns == 1
    assert [f.aborted for f in dec.frames] == [True] and dec.aborts == 1


def test_seven_ones_inside_a_frame_abort_it():
    dec = HdlcDecoder()
    dec.feed(bytes([0x7E, 0x41, 0x42, 0x43, 0x44, 0xFF, 0xFF, 0x7E]))
    assert [f.aborted for f in dec.frames] == [True]


def test_runt_between_flags_is_ignored():
    dec = HdlcDecoder()
    dec.feed(bytes([0x7E, 0x41, 0x7E, 0x7E]))
    assert list(dec.frames) == []

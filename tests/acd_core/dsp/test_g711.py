"""acd_core.g711 against CPython's audioop on every input (the spandsp g711_tests way)."""
from __future__ import annotations

import array
import struct

import pytest

from tests.support.builds import is_compiled, load
from tests.support.oracles import audioop

ALL_SAMPLES = struct.pack("<65536h", *range(-32768, 32768))
ALL_CODES = bytes(range(256))


@pytest.fixture
def g711(build):
    return load("acd_core.g711", build)


def test_compiled_build_is_really_compiled():
    mod = load("acd_core.g711", "compiled")
    assert is_compiled(mod), mod.__file__


def test_alaw_encode_all_65536_inputs_match_audioop(g711):
    assert g711.linear_to_alaw(ALL_SAMPLES) == audioop.lin2alaw(ALL_SAMPLES, 2)


def test_ulaw_encode_all_65536_inputs_match_audioop(g711):
    assert g711.linear_to_ulaw(ALL_SAMPLES) == audioop.lin2ulaw(ALL_SAMPLES, 2)


def test_alaw_decode_all_256_codes_match_audioop(g711):
    assert g711.alaw_to_linear(ALL_CODES) == audioop.alaw2lin(ALL_CODES, 2)


def test_ulaw_decode_all_256_codes_match_audioop(g711):
    assert g711.ulaw_to_linear(ALL_CODES) == audioop.ulaw2lin(ALL_CODES, 2)


@pytest.mark.parametrize("law", ["alaw", "ulaw"])
def test_round_trip_of_every_code_is_the_identity(g711, law):
    # decode -> encode is exact for every code except µ-law's negative zero
    # (0x7F decodes to 0, which encodes as 0xFF), as in audioop.
    encode = getattr(g711, f"linear_to_{law}")
    decode = getattr(g711, f"{law}_to_linear")
    back = encode(decode(ALL_CODES))
    expected = bytes(0xFF if (law == "ulaw" and c == 0x7F) else c for c in range(256))
    assert back == expected


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, "array"])
def test_every_buffer_type_gives_the_same_octets(g711, kind):
    pcm = ALL_SAMPLES[:4000]
    buf = array.array("h", struct.unpack("<2000h", pcm)) if kind == "array" else kind(pcm)
    assert g711.linear_to_alaw(buf) == audioop.lin2alaw(pcm, 2)
    codes = audioop.lin2ulaw(pcm, 2)
    assert g711.ulaw_to_linear(memoryview(codes) if kind is memoryview else codes) == \
        audioop.ulaw2lin(codes, 2)


def test_empty_input_gives_empty_output(g711):
    assert g711.linear_to_alaw(b"") == b""
    assert g711.alaw_to_linear(b"") == b""


def test_odd_byte_count_is_refused_with_its_length(g711):
    with pytest.raises(ValueError, match="got 3 bytes"):
        g711.linear_to_ulaw(b"\x00\x01\x02")

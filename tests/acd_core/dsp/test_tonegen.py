"""Tone generator: frequencies and levels measured with a plain DFT, cadences
measured on the output, and every signal decoded by the matching detector."""
from __future__ import annotations

import cmath
import math

import pytest

from acd_core import tonegen
from acd_core.callerid import CallerIdMessage, CallerIdReceiver
from acd_core.dtmf import DtmfDetector
from acd_core.progress import ProgressDetector
from acd_core.r2tones import R2ToneDetector
from tests.support.audio import pcm16 as samples
from tests.support.builds import is_compiled, load

DBM0_PEAK = 32767.0 * 10.0 ** (-3.14 / 20.0)


def level_dbm0(x: list[int], f: float) -> float:
    """Level of the component at f, by a DFT over the whole signal."""
    acc = sum(v * cmath.exp(-2j * math.pi * f * n / 8000) for n, v in enumerate(x))
    amp = 2 * abs(acc) / len(x)
    return 20 * math.log10(amp / DBM0_PEAK)


@pytest.fixture
def osc(build):
    return load("acd_core.tonegen._osc", build)


def test_compiled_build_is_really_compiled():
    assert is_compiled(load("acd_core.tonegen._osc", "compiled"))


def test_dtmf_digit_frequencies_and_levels():
    x = samples(tonegen.dtmf_digit("5", 100.0, low_dbm0=-11.0, high_dbm0=-9.0))
    assert len(x) == 800
    assert level_dbm0(x, 770.0) == pytest.approx(-11.0, abs=0.1)
    assert level_dbm0(x, 1336.0) == pytest.approx(-9.0, abs=0.1)
    assert level_dbm0(x, 697.0) < -30 and level_dbm0(x, 1209.0) < -30


def test_every_dtmf_key_is_decoded():
    keys = "0123456789*#ABCD"
    got = DtmfDetector().process(tonegen.dtmf(keys, 50, 50))
    assert "".join(d for _, d in got) == keys


def test_bad_dtmf_key_is_refused():
    with pytest.raises(ValueError, match="'E'"):
        tonegen.dtmf_digit("E")


def test_oscillator_is_phase_continuous_across_frames(osc):
    whole = osc.Oscillator().tones((350.0, 440.0), (5000.0, 5000.0), 1600)
    o = osc.Oscillator()
    framed = b"".join(o.tones((350.0, 440.0), (5000.0, 5000.0), 160) for _ in range(10))
    assert framed == whole


def test_oscillator_clips_instead_of_wrapping(osc):
    x = samples(osc.Oscillator().tones((1000.0,), (40000.0,), 80))
    assert max(x) == 32767 and min(x) == -32768


def test_tone_stream_cadence_matches_the_zone_table():
    stream = tonegen.ToneStream(tonegen.zone("us")["busy"])
    pcm = b"".join(stream.read(160) for _ in range(100))        # 2 s in 20 ms frames
    x = samples(pcm)
    on = [sum(v * v for v in x[i:i + 80]) > 0 for i in range(0, len(x), 80)]   # 10 ms cells
    assert on[:50] == [True] * 50 and on[50:100] == [False] * 50 and on[100:150] == [True] * 50


@pytest.mark.parametrize("zone", ["us", "uk", "eu", "cn"])
@pytest.mark.parametrize("kind", ["dial", "ringback", "busy", "congestion", "sit"])
def test_progress_tones_are_recognised_by_the_detector(zone, kind):
    got = ProgressDetector(zone).process(tonegen.progress(zone, kind, 9.0))
    assert [k for _, k in got] == [kind]


def test_progress_level_override():
    x = samples(tonegen.progress("eu", "dial", 0.5, level_dbm0=-20.0))
    assert level_dbm0(x, 425.0) == pytest.approx(-20.0, abs=0.1)


def test_r2_tones_are_the_q441_pairs_at_minus_8_dbm0():
    x = samples(tonegen.r2(11, "forward", 100.0))      # tone 11 = f0 + f5
    assert level_dbm0(x, 1380.0) == pytest.approx(-8.0, abs=0.1)
    assert level_dbm0(x, 1980.0) == pytest.approx(-8.0, abs=0.1)
    sig = b"".join(tonegen.r2(t, "backward", 60) + tonegen.silence(40) for t in range(1, 16))
    assert [t for _, t in R2ToneDetector("backward").process(sig) if t] == list(range(1, 16))


@pytest.mark.parametrize("standard", ["bell202", "v23"])
def test_fsk_caller_id_transmit_is_received(standard):
    msg = CallerIdMessage(date_time="03151415", number="01099998888", name="LI NA")
    pcm = tonegen.silence(100) + tonegen.fsk_callerid(bytes(msg), standard) + tonegen.silence(100)
    got = CallerIdReceiver(standard).process(pcm)
    assert [m for _, m in got] == [msg]


def test_fsk_burst_length_follows_the_bit_count():
    body = bytes(20)
    pcm = tonegen.fsk_callerid(body, "bell202")
    bits = 300 + 180 + 10 * len(body) + 60
    assert abs(len(pcm) // 2 - bits * 8000 / 1200) <= 1
    x = samples(pcm)
    assert level_dbm0(x[2200:2800], 1200.0) == pytest.approx(-13.5, abs=0.3)   # in the marks


def test_pure_and_compiled_oscillators_give_identical_samples():
    """The functions above run the compiled oscillator; this pins the pure
    build to the same output, sample for sample."""
    compiled = load("acd_core.tonegen._osc", "compiled").Oscillator()
    pure = load("acd_core.tonegen._osc", "pure").Oscillator()
    for freqs, amps, n in (((697.0, 1209.0), (9000.0, 11000.0), 800), ((), (), 100),
                           ((425.0,), (20000.0,), 333)):
        assert compiled.tones(freqs, amps, n) == pure.tones(freqs, amps, n)
    bits = tonegen.uart_bits(b"\x80\x05hello") * 3
    assert compiled.fsk(bits, 1200.0, 2200.0, 1200.0, 7000.0) == \
        pure.fsk(bits, 1200.0, 2200.0, 1200.0, 7000.0)

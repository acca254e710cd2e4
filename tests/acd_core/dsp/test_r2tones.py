"""MFC-R2 tone detector (Q.441 tones, Q.455 receiver), ITU and China No.1.

Frequencies are written out here from Q.441 (forward 1380 + 120 k Hz, backward
1140 - 120 k Hz, tone n = the pair listed below), not read from acd_core.
"""
from __future__ import annotations

import pytest

from tests.support.builds import is_compiled, load
from tests.support.oracles import audioop
from tests.support.signals import add_noise, digit_train, ms, silence, to_pcm, tones

Q441 = {1: (0, 1), 2: (0, 2), 3: (1, 2), 4: (0, 3), 5: (1, 3), 6: (2, 3), 7: (0, 4), 8: (1, 4),
        9: (2, 4), 10: (3, 4), 11: (0, 5), 12: (1, 5), 13: (2, 5), 14: (3, 5), 15: (4, 5)}
FREQS = {"forward": [1380.0 + 120 * k for k in range(6)],
         "backward": [1140.0 - 120 * k for k in range(6)]}


def r2(tone, direction, on_ms=60.0, level=-8.0, dev_hz=0.0, level_b=None, seed=0):
    a, b = Q441[tone]
    f = FREQS[direction]
    lb = level if level_b is None else level_b
    return tones([(f[a] + dev_hz, level), (f[b] + dev_hz, lb)], ms(on_ms), seed)


@pytest.fixture
def rx(build):
    return load("acd_core.r2tones._detector", build)


def ons(rx, direction, x):
    return [t for _, t in rx.R2ToneDetector(direction).process(to_pcm(x)) if t]


def test_compiled_build_is_really_compiled():
    assert is_compiled(load("acd_core.r2tones._detector", "compiled"))


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_all_15_tones_each_way(rx, direction):
    x = []
    for t in range(1, 16):
        x += r2(t, direction, seed=t) + silence(ms(40))
    assert ons(rx, direction, x) == list(range(1, 16))


@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("level,level_b,dev_hz", [(-35.0, -30.0, 10.0), (-30.0, -35.0, -10.0),
                                                  (-5.0, -10.0, 10.0), (-10.0, -5.0, -10.0)])
def test_q455_envelope(rx, direction, level, level_b, dev_hz):
    # -35..-5 dBm0 per frequency, 5 dB between them, ±10 Hz.
    for t in range(1, 16):
        x = silence(ms(20)) + r2(t, direction, level=level, level_b=level_b, dev_hz=dev_hz,
                                 seed=t) + silence(ms(40))
        assert ons(rx, direction, x) == [t], t


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_noise_at_20_db_snr(rx, direction):
    x = []
    for t in range(1, 16):
        x += r2(t, direction, level=-20.0, seed=t) + silence(ms(40))
    assert ons(rx, direction, add_noise(x, -17.0 - 20.0, seed=5)) == list(range(1, 16))


def test_recognised_after_20_ms_and_released_10_ms_after_the_end(rx):
    start, length = ms(50), ms(80)
    x = silence(start) + r2(7, "forward", on_ms=80) + silence(ms(60))
    events = rx.R2ToneDetector("forward").process(to_pcm(x))
    (on_at, tone), (off_at, zero) = events
    assert tone == 7 and zero == 0
    assert start + ms(20) <= on_at <= start + ms(25)
    assert start + length < off_at <= start + length + ms(15)


def test_china_no1_compelled_sequence_seen_by_each_side(rx):
    # docs/reference/r2.md#china-no1-sequence: fwd I-1, bwd A-6, fwd II-1, bwd A-1, ... bwd B-1.
    steps = [("forward", 1), ("backward", 6), ("forward", 1), ("backward", 1), ("forward", 8),
             ("backward", 1), ("forward", 15), ("backward", 1), ("forward", 3),
             ("backward", 3), ("forward", 1), ("backward", 1)]
    line = []
    for i, (direction, tone) in enumerate(steps):   # one compelled step each: 40 ms on
        line += r2(tone, direction, on_ms=40, seed=i) + silence(ms(10))
    fwd = ons(rx, "forward", line)
    bwd = ons(rx, "backward", line)
    assert fwd == [t for d, t in steps if d == "forward"]
    assert bwd == [t for d, t in steps if d == "backward"]


def test_the_other_direction_and_dtmf_and_noise_give_nothing(rx):
    back = []
    for t in range(1, 16):
        back += r2(t, "backward", seed=t) + silence(ms(40))
    assert ons(rx, "forward", back) == []
    x = digit_train("0123456789*#ABCD", 80, 80) + add_noise(silence(ms(2000)), -25.0, 2)
    assert ons(rx, "forward", x) == [] and ons(rx, "backward", x) == []


def test_a_single_frequency_is_not_a_tone(rx):
    for f in FREQS["forward"]:
        assert ons(rx, "forward", tones([(f, -8.0)], ms(200))) == []


def test_frames_whole_and_alaw_agree(rx):
    x = []
    for t in (3, 9, 15):
        x += r2(t, "backward", seed=t) + silence(ms(30))
    pcm = to_pcm(add_noise(x, -45.0, 1))
    whole = rx.R2ToneDetector("backward").process(pcm)
    det = rx.R2ToneDetector("backward")
    assert [e for i in range(0, len(pcm), 320) for e in det.process(pcm[i:i + 320])] == whole
    alaw = rx.R2ToneDetector("backward").process_alaw(audioop.lin2alaw(pcm, 2))
    assert [t for _, t in alaw if t] == [3, 9, 15]


def test_bad_direction_is_refused(rx):
    with pytest.raises(ValueError, match="'sideways'"):
        rx.R2ToneDetector("sideways")

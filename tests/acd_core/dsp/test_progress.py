"""Call-progress tone detector: every tone of every zone, from spec values.

The tone definitions below are written out from
docs/reference/tones-and-callerid.md#call-progress-tones
(zonedata.c), E.180/Q.35 and BT SIN 350, not read from acd_core's table, so a
wrong table row fails here.
"""
from __future__ import annotations

import functools

import pytest

from tests.support import talkoff
from tests.support.builds import is_compiled, load
from tests.support.oracles import audioop
from tests.support.signals import (add_noise, digit_train, ms, silence, to_pcm,
                                   tones)

SIT = [((950.0,), 330), ((1400.0,), 330), ((1800.0,), 330), ((), 1000)]

SPEC = {  # zone -> kind -> (steps, level per frequency)
    "us": {"dial": ([((350.0, 440.0), 0)], -13), "ringback": ([((440.0, 480.0), 2000), ((), 4000)], -19),
           "busy": ([((480.0, 620.0), 500), ((), 500)], -24),
           "congestion": ([((480.0, 620.0), 250), ((), 250)], -24), "sit": (SIT, -24)},
    "uk": {"dial": ([((350.0, 440.0), 0)], -22),
           "ringback": ([((400.0, 450.0), 400), ((), 200), ((400.0, 450.0), 400), ((), 2000)], -19),
           "busy": ([((400.0,), 375), ((), 375)], -19),
           "congestion": ([((400.0,), 400), ((), 350), ((400.0,), 225), ((), 525)], -19),
           "sit": (SIT, -24)},
    "eu": {"dial": ([((425.0,), 0)], -10), "ringback": ([((425.0,), 1000), ((), 4000)], -10),
           "busy": ([((425.0,), 500), ((), 500)], -10), "congestion": ([((425.0,), 250), ((), 250)], -10),
           "sit": (SIT, -24)},
    "cn": {"dial": ([((450.0,), 0)], -10), "ringback": ([((450.0,), 1000), ((), 4000)], -10),
           "busy": ([((450.0,), 350), ((), 350)], -10), "congestion": ([((450.0,), 700), ((), 700)], -10),
           "sit": ([((450.0,), 100), ((), 100)] * 3 + [((450.0,), 400), ((), 400)], -10)},
}
CASES = [(z, k) for z in SPEC for k in SPEC[z]]


def render(steps, level, seconds, freq_scale=1.0, time_scale=1.0, seed=0):
    n, out = ms(seconds * 1000), []
    while len(out) < n:
        for freqs, t in steps:
            dur = ms(t * time_scale) if t else n
            part = tones([(f * freq_scale, level) for f in freqs], dur, seed + len(out)) if freqs \
                else silence(dur)
            out += part
    return out[:n]


@functools.lru_cache(maxsize=None)
def case_pcm(zone, kind, variant):
    """The test signal of a case as PCM, built once for both builds."""
    steps, level = SPEC[zone][kind]
    if variant == 0:
        return to_pcm(silence(ms(300)) + render(steps, level, 9.0))
    dev = 0.025 if kind == "sit" and zone != "cn" else 0.02
    fs, ts = ((1 + dev, 0.9), (1 - dev, 1.1))[variant - 1]
    x = silence(ms(300)) + render(steps, level - 12, 9.0, fs, ts)
    return to_pcm(add_noise(x, level - 12 - 20, seed=variant))


@pytest.fixture
def pd(build):
    return load("acd_core.progress._detector", build)


def kinds(pd, zone, x):
    return [k for _, k in pd.ProgressDetector(zone).process(to_pcm(x))]


def test_compiled_build_is_really_compiled():
    assert is_compiled(load("acd_core.progress._detector", "compiled"))


@pytest.mark.parametrize("zone,kind", CASES)
def test_each_tone_of_each_zone_is_recognised_once(pd, zone, kind):
    got = pd.ProgressDetector(zone).process(case_pcm(zone, kind, 0))
    assert [k for _, k in got] == [kind]


@pytest.mark.parametrize("zone,kind", CASES)
def test_off_nominal_tones_in_noise_at_low_level(pd, zone, kind):
    # ±2 % frequency (SIT: ±2.5 %, inside Q.35's ±50 Hz), ±10 % cadence (E.180),
    # 12 dB of line loss (US busy arrives at -36 dBm0), 20 dB SNR.
    for variant in (1, 2):
        got = pd.ProgressDetector(zone).process(case_pcm(zone, kind, variant))
        assert [k for _, k in got] == [kind], variant


def test_busy_is_not_congestion_and_back(pd):
    busy, lv = SPEC["uk"]["busy"]
    cong, _ = SPEC["uk"]["congestion"]
    assert kinds(pd, "uk", render(busy, lv, 4.0)) == ["busy"]
    assert kinds(pd, "uk", render(cong, lv, 4.0)) == ["congestion"]


def test_ringback_then_busy_reports_both_in_order(pd):
    ring, lv = SPEC["cn"]["ringback"]
    busy, _ = SPEC["cn"]["busy"]
    x = render(ring, lv, 11.0) + silence(ms(500)) + render(busy, lv, 4.0)
    got = pd.ProgressDetector("cn").process(to_pcm(x))
    assert [k for _, k in got] == ["ringback", "busy"]
    assert got[1][0] > ms(11500)


def test_another_zones_tone_is_not_recognised(pd):
    steps, level = SPEC["us"]["busy"]
    assert kinds(pd, "cn", render(steps, level, 5.0)) == []


def test_dtmf_and_silence_and_noise_give_nothing(pd):
    x = digit_train("0123456789*#", 100, 100) + silence(ms(2000)) + add_noise(silence(ms(3000)), -30, 1)
    for zone in SPEC:
        assert kinds(pd, zone, x) == [], zone


@pytest.mark.skipif(not talkoff.have_speech_tools(), reason="espeak-ng and sox are needed")
def test_speech_gives_no_progress_tone(pd):
    clips = [talkoff.speech(lang, voice, pitch, wpm) for lang in ("en-us", "cmn", "lt")
             for voice, pitch, wpm in talkoff.VOICES[1:2]]
    for zone in SPEC:
        for clip in clips:
            assert pd.ProgressDetector(zone).process(clip.pcm) == [], (zone, clip.name)


def test_frames_and_whole_buffer_agree_and_alaw_works(pd):
    steps, level = SPEC["eu"]["busy"]
    pcm = to_pcm(add_noise(render(steps, level, 4.0), -45, 3))
    whole = pd.ProgressDetector("eu").process(pcm)
    det = pd.ProgressDetector("eu")
    framed = [e for i in range(0, len(pcm), 320) for e in det.process(pcm[i:i + 320])]
    assert framed == whole and [k for _, k in whole] == ["busy"]
    alaw = pd.ProgressDetector("eu").process_alaw(audioop.lin2alaw(pcm, 2))
    assert [k for _, k in alaw] == ["busy"]


def test_unknown_zone_is_refused_by_name(pd):
    with pytest.raises(ValueError, match="unknown tone zone 'xx'"):
        pd.ProgressDetector("xx")

"""MF tones on 20 ms A-law frames: what we send is what the detector hears, one frame later at most."""
import math

import pytest

from acd_core.g711 import alaw_to_linear
from acd_core.r2tones import frequencies
from firmware.telephony.r2.mf import SILENCE, MfReceiver, MfSender
from tests.support.audio import goertzel_power, pcm16

DBM0_PEAK = 32767.0 * 10.0 ** (-3.14 / 20.0)


@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("tone", range(1, 16))
def test_each_tone_is_heard_within_its_first_frame_and_its_end_within_the_next(direction, tone):
    tx, rx = MfSender(direction), MfReceiver(direction)
    assert rx.feed(tx.frame()) == []
    tx.set(tone)
    assert rx.feed(tx.frame()) == [tone]
    assert rx.feed(tx.frame()) == []
    tx.set(0)
    assert rx.feed(tx.frame()) == [0]


def test_the_sending_level_is_minus_8_dbm0_per_frequency():
    tx = MfSender("forward")
    tx.set(7)
    pcm = alaw_to_linear(b"".join(tx.frame() for _ in range(10)))
    x = pcm16(pcm)
    for f in frequencies(7, "forward"):
        amp = (4 * goertzel_power(x, 8000, f) / len(x)) ** 0.5
        level = 20 * math.log10(amp / DBM0_PEAK)
        assert level == pytest.approx(-8.0, abs=0.5)


def test_silence_is_a_law_idle():
    assert MfSender("backward").frame() == SILENCE == b"\xd5" * 160

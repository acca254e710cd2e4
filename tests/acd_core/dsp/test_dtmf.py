"""DTMF receiver acceptance, Mitel-tape style (spandsp dtmf_rx_tests.c is the model).

Every signal is built here from the spec values (tests.support.signals, fixed
seeds), not by our own tone generator. Envelope under test (Q.24 / ES 201 235-3):
±1.5 % accepted / ±3.5 % rejected, twist 8 dB normal / 4 dB reverse, −36..0 dBm0,
40 ms accepted / 20 ms rejected, 40 ms pauses, noise; talk-off is in
test_dtmf_talkoff.py.
"""
from __future__ import annotations


import pytest

from tests.support.builds import is_compiled, load
from tests.support.oracles import audioop
from tests.support.signals import (DTMF_KEYS, add_noise, digit_train, dtmf, ms, silence,
                                   to_array, to_pcm, tones)


@pytest.fixture
def rx(build):
    return load("acd_core.dtmf._receiver", build)


def digits(rx, x) -> str:
    return "".join(d for _, d in rx.DtmfDetector().process(to_pcm(x)))


def press(key, on_ms=60.0, **kw):
    """One key press with silence either side."""
    return silence(ms(30)) + dtmf(key, ms(on_ms), **kw) + silence(ms(60))


def test_compiled_build_is_really_compiled():
    assert is_compiled(load("acd_core.dtmf._receiver", "compiled"))


def test_package_exports_the_compiled_detector():
    from acd_core.dtmf import DtmfDetector
    assert DtmfDetector is load("acd_core.dtmf._receiver", "compiled").DtmfDetector


def test_all_16_digits_in_a_train(rx):
    assert digits(rx, digit_train(DTMF_KEYS, 50, 50)) == DTMF_KEYS


@pytest.mark.parametrize("row_dev,col_dev", [(-0.015, -0.015), (-0.015, 0.015),
                                             (0.015, -0.015), (0.015, 0.015)])
def test_tones_within_1_5_percent_are_accepted(rx, row_dev, col_dev):
    for i, key in enumerate(DTMF_KEYS):
        assert digits(rx, press(key, row_dev=row_dev, col_dev=col_dev, phase_seed=i)) == key, key


@pytest.mark.parametrize("row_dev,col_dev", [(-0.035, 0), (0.035, 0), (0, -0.035), (0, 0.035)])
def test_a_tone_3_5_percent_off_is_rejected(rx, row_dev, col_dev):
    for i, key in enumerate(DTMF_KEYS):
        assert digits(rx, press(key, row_dev=row_dev, col_dev=col_dev, phase_seed=i)) == "", key


@pytest.mark.parametrize("twist_db", [8.0, -4.0])
def test_twist_up_to_8_db_normal_and_4_db_reverse_is_accepted(rx, twist_db):
    for i, key in enumerate(DTMF_KEYS):
        for row_dev in (-0.015, 0.015):
            for col_dev in (-0.015, 0.015):
                x = press(key, twist_db=twist_db, row_dev=row_dev, col_dev=col_dev, phase_seed=i)
                assert digits(rx, x) == key, (key, row_dev, col_dev)


@pytest.mark.parametrize("twist_db", [10.0, -6.0])
def test_twist_beyond_the_limits_is_rejected(rx, twist_db):
    for i, key in enumerate(DTMF_KEYS):
        for row_dev in (-0.015, 0.015):
            for col_dev in (-0.015, 0.015):
                x = press(key, twist_db=twist_db, row_dev=row_dev, col_dev=col_dev, phase_seed=i)
                assert digits(rx, x) == "", (key, row_dev, col_dev)


@pytest.mark.parametrize("level", [0.0, -36.0])
def test_levels_from_minus_36_to_0_dbm0_are_accepted(rx, level):
    for i, key in enumerate(DTMF_KEYS):
        for twist_db in (-4.0, 0.0, 8.0):
            assert digits(rx, press(key, level_dbm0=level, twist_db=twist_db, phase_seed=i)) == key


def test_a_digit_far_below_the_sensitivity_limit_is_ignored(rx):
    for i, key in enumerate(DTMF_KEYS):
        assert digits(rx, press(key, level_dbm0=-48.0, phase_seed=i)) == ""


def test_40_ms_tones_are_accepted_at_every_alignment(rx):
    # The lead-in moves the tone across the detector's 5 ms sub-blocks.
    for lead in range(0, 40, 3):
        for i, key in enumerate(DTMF_KEYS[::3]):
            x = silence(lead) + press(key, on_ms=40, phase_seed=lead + i)
            assert digits(rx, x) == key, (lead, key)


def test_20_ms_tones_are_rejected_at_every_alignment(rx):
    for lead in range(0, 40, 3):
        for i, key in enumerate(DTMF_KEYS[::3]):
            x = silence(lead) + press(key, on_ms=20, phase_seed=lead + i)
            assert digits(rx, x) == "", (lead, key)


def test_40_ms_on_40_ms_off_repeats_of_one_key_are_each_reported(rx):
    assert digits(rx, digit_train("5555599999", 40, 40)) == "5555599999"


def test_a_10_ms_break_inside_a_press_is_not_a_second_press(rx):
    x = silence(200) + dtmf("7", ms(100)) + silence(ms(10)) + dtmf("7", ms(100), phase_seed=3)
    assert digits(rx, x + silence(400)) == "7"


def test_a_long_press_is_reported_once(rx):
    assert digits(rx, press("#", on_ms=2000)) == "#"


def test_offset_is_where_the_digit_was_confirmed(rx):
    start = ms(100)
    x = silence(start) + dtmf("8", ms(100)) + silence(ms(100))
    [(offset, digit)] = rx.DtmfDetector().process(to_pcm(x))
    assert digit == "8"
    # confirmed within the tone, after at least 25 ms of it and before 40 ms
    assert start + ms(25) <= offset <= start + ms(40)


@pytest.mark.parametrize("snr_db", [10.0, 15.0])
def test_all_digits_in_white_noise(rx, snr_db):
    x = digit_train(DTMF_KEYS, 50, 50, level_dbm0=-20.0)
    for seed in range(2):
        assert digits(rx, add_noise(x, -20.0 - snr_db, seed)) == DTMF_KEYS


def test_noise_alone_gives_nothing(rx):
    for level, seed in ((-10.0, 1), (-25.0, 2), (-40.0, 3)):
        assert digits(rx, add_noise(silence(ms(3000)), level, seed)) == ""


def test_state_carries_across_frames_of_any_size(rx):
    x = to_pcm(add_noise(digit_train("0123456789*#ABCD", 45, 45), -40.0, 5))
    whole = rx.DtmfDetector().process(x)
    assert "".join(d for _, d in whole) == "0123456789*#ABCD"
    for frame in (320, 2, 14, 1000):   # bytes: 160 samples = the media node's 20 ms
        det = rx.DtmfDetector()
        got = []
        for i in range(0, len(x), frame):
            got += det.process(x[i:i + frame])
        assert got == whole, frame


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "array"])
def test_every_int16_buffer_type_is_accepted(rx, kind):
    x = digit_train("159D", 50, 50)
    pcm = to_pcm(x)
    buf = {"bytes": pcm, "bytearray": bytearray(pcm), "memoryview": memoryview(pcm),
           "array": to_array(x)}[kind]
    assert [d for _, d in rx.DtmfDetector().process(buf)] == list("159D")


@pytest.mark.parametrize("law", ["alaw", "ulaw"])
def test_g711_input_gives_the_same_digits(rx, law):
    x = add_noise(digit_train(DTMF_KEYS, 45, 45, level_dbm0=-30.0), -50.0, 4)
    encoded = getattr(audioop, f"lin2{law}")(to_pcm(x), 2)
    got = getattr(rx.DtmfDetector(), f"process_{law}")(encoded)
    assert "".join(d for _, d in got) == DTMF_KEYS


def test_odd_byte_count_is_refused(rx):
    with pytest.raises(ValueError, match="got 3 bytes"):
        rx.DtmfDetector().process(b"\x00\x00\x00")


def test_only_8_khz_is_supported(rx):
    with pytest.raises(ValueError, match="16000 Hz"):
        rx.DtmfDetector(sample_rate=16000)


def test_reset_restarts_offsets(rx):
    det = rx.DtmfDetector()
    pcm = to_pcm(press("3"))
    first = det.process(pcm)
    det.reset()
    assert det.process(pcm) == first


# Other signalling tones must not talk off the receiver: progress tones of the
# four zones (docs/reference/tones-and-callerid.md#call-progress-tones), MFC-R2 forward and
# backward pairs (Q.441:
# 540..1980 Hz in 120 Hz steps), SIT (Q.35 913.8/1370.6/1776.7 Hz), fax CNG/CED.
SIGNALLING = {
    "us dial 350+440": [(350, -13), (440, -13)],
    "us ringback 440+480": [(440, -19), (480, -19)],
    "us busy 480+620": [(480, -24), (620, -24)],
    "uk ringback 400+450": [(400, -19), (450, -19)],
    "eu 425": [(425, -10)],
    "cn 450": [(450, -10)],
    "uk busy 400": [(400, -10)],
    "sit 913.8": [(913.8, -14)],
    "sit 1370.6": [(1370.6, -14)],
    "sit 1776.7": [(1776.7, -14)],
    "fax cng 1100": [(1100, -10)],
    "fax ced 2100": [(2100, -10)],
    "v23 mark 1300": [(1300, -10)],
    "bell202 space 2200": [(2200, -10)],
}
R2_FREQS = [540 + 120 * i for i in range(6)] + [1380 + 120 * i for i in range(6)]
for group, freqs in (("backward", R2_FREQS[:6]), ("forward", R2_FREQS[6:])):
    for i, f1 in enumerate(freqs):
        for f2 in freqs[i + 1:]:
            SIGNALLING[f"r2 {group} {f1}+{f2}"] = [(f1, -11), (f2, -11)]


def test_other_signalling_tones_give_no_digit(rx):
    for seed, (name, parts) in enumerate(SIGNALLING.items()):
        x = silence(ms(20)) + tones([(float(f), float(lv)) for f, lv in parts], ms(400), seed)
        assert digits(rx, x + silence(ms(20))) == "", name



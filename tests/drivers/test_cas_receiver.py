"""CAS receive debounce: a state counts once it held for the recognition time,
whether the line is seen per 2 ms multiframe (framer) or per 20 ms frame (door)."""
import pytest

from drivers.e1.cas import VOICE_TIMESLOTS, CasReceiver


def test_voice_timeslots_skip_ts0_and_ts16():
    assert len(VOICE_TIMESLOTS) == 30 and 0 not in VOICE_TIMESLOTS and 16 not in VOICE_TIMESLOTS


def test_first_bits_are_recognised_after_the_debounce_in_multiframes():
    rx = CasReceiver(0.020)
    got = [rx.feed(0b1001, 0.002) for _ in range(10)]
    assert got[:9] == [None] * 9 and got[9] == 0b1001
    assert rx.value == 0b1001


def test_one_frame_of_the_door_is_twenty_ms_of_line():
    rx = CasReceiver(0.020)
    assert rx.feed(0b1001, 0.020) == 0b1001
    assert rx.feed(0b0001, 0.020) == 0b0001
    assert rx.feed(0b0001, 0.020) is None          # no change, no news


def test_a_blip_shorter_than_the_recognition_time_is_not_a_signal():
    rx = CasReceiver(0.020)
    rx.feed(0b1001, 0.020)
    for _ in range(9):                              # 18 ms of seize, then idle again
        assert rx.feed(0b0001, 0.002) is None
    assert rx.feed(0b1001, 0.002) is None
    assert rx.value == 0b1001
    for _ in range(9):                              # the blip's time does not carry over
        assert rx.feed(0b0001, 0.002) is None


def test_a_longer_debounce_needs_two_door_frames():
    rx = CasReceiver(0.030)
    assert rx.feed(0b1101, 0.020) is None
    assert rx.feed(0b1101, 0.020) == 0b1101


def test_reset_makes_the_next_bits_news_again():
    rx = CasReceiver(0.020)
    rx.feed(0b1001, 0.020)
    rx.reset()
    assert rx.value is None and rx.feed(0b1001, 0.020) == 0b1001


@pytest.mark.parametrize("bad", [-1, 16])
def test_bits_out_of_range_are_refused(bad):
    with pytest.raises(ValueError, match="0-15"):
        CasReceiver(0.02).feed(bad, 0.02)

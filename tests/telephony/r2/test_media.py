"""The audio hand-off of a timeslot: the media path's only while through-connected."""
import logging

import pytest

from firmware.telephony.r2.media import MAX_QUEUED, MediaPath
from firmware.telephony.r2.mf import SILENCE


def test_nothing_moves_before_through_connection():
    m = MediaPath(3)
    got = []
    m.attach(got.append)
    m.send(b"\x01" * 160)
    m.deliver(b"\x02" * 160)
    assert got == [] and m.next_frame() == SILENCE and m.underruns == 0


def test_frames_both_ways_while_connected():
    m = MediaPath(3)
    got = []
    m.attach(got.append)
    m.connect()
    m.send(b"\x01" * 160)
    assert m.next_frame() == b"\x01" * 160
    assert m.next_frame() == SILENCE and m.underruns == 1
    m.deliver(b"\x02" * 160)
    assert got == [b"\x02" * 160]
    m.disconnect()
    m.deliver(b"\x03" * 160)
    assert len(got) == 1


def test_a_sender_running_ahead_loses_its_oldest_frames():
    m = MediaPath(3)
    m.connect()
    for i in range(MAX_QUEUED + 2):
        m.send(bytes([i]) * 160)
    assert m.overflows == 2 and m.next_frame() == bytes([2]) * 160


def test_a_frame_is_160_octets():
    with pytest.raises(ValueError, match="160 A-law octets"):
        MediaPath(1).send(b"\x00" * 80)


def test_a_failing_consumer_is_logged_not_raised(caplog):
    m = MediaPath(5)
    m.connect()
    m.attach(lambda frame: 1 / 0)
    with caplog.at_level(logging.ERROR):
        m.deliver(SILENCE)
    assert "ts=5 media consumer failed" in caplog.text

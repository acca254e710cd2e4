"""The simulated card's timeslot door, driven by plain SOCK_SEQPACKET peers on a manual clock."""
from __future__ import annotations

import logging
import os
import socket
import struct

import pytest

from acd_core.clock import ManualClock
from drivers.errors import DriverError
from drivers.sim.timeslot_door import FRAME_SECONDS, TimeslotDoor, socket_path

SILENCE = b"\xd5" * 160


def packet(abcd: int, seq: int, audio: bytes = SILENCE, head: int = 0x10) -> bytes:
    return bytes((head, abcd)) + struct.pack(">H", seq) + audio


class Recorder:
    """A handler that writes down what the door tells it."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.out = bytes(range(160))

    def line_up(self, ts):
        self.calls.append(("up", ts))

    def line_down(self, ts, reason):
        self.calls.append(("down", ts, reason))

    def cas_received(self, ts, abcd):
        self.calls.append(("cas", ts, abcd))

    def audio_received(self, ts, frame):
        self.calls.append(("audio", ts, frame[:2]))

    def audio_to_send(self, ts):
        return self.out

    def kinds(self, kind):
        return [c for c in self.calls if c[0] == kind]


@pytest.fixture
def door(tmp_path_factory):
    clock = ManualClock()
    pattern = str(tmp_path_factory.mktemp("door") / "run" / "e1-ts{ts}.sock")
    handler = Recorder()
    d = TimeslotDoor(clock, pattern, handler=handler, timeslots=(1, 2, 17, 31), idle_abcd=0b1001)
    d.start()
    peers: list[socket.socket] = []

    def connect(ts: int) -> socket.socket:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(d.path(ts))
        s.settimeout(1.0)
        peers.append(s)
        return s
    d.test_clock, d.test_handler, d.test_connect = clock, handler, connect
    yield d
    for s in peers:
        s.close()
    d.close()


def tick(d, n: int = 1) -> None:
    d.test_clock.advance(FRAME_SECONDS * n)


def frames(sock: socket.socket) -> list[bytes]:
    out = []
    sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(4096))
    except BlockingIOError:
        pass
    sock.settimeout(1.0)
    return out


def test_one_socket_per_voice_timeslot_from_the_pattern(door):
    for ts in (1, 2, 17, 31):
        assert door.path(ts).endswith(f"e1-ts{ts}.sock")
        assert os.path.exists(door.path(ts))
    with pytest.raises(ValueError, match="no {ts}"):
        socket_path("var/run/e1.sock", 1)
    with pytest.raises(ValueError, match="not a voice timeslot"):
        TimeslotDoor(ManualClock(), "x{ts}", timeslots=(16,))


def test_idle_bits_at_once_then_a_frame_every_20_ms_on_the_door_clock(door):
    peer = door.test_connect(1)
    tick(door)                                   # the door accepts on its tick
    got = frames(peer)
    assert [g[:4] for g in got] == [bytes([0x10, 0b1001, 0, 0]), bytes([0x10, 0b1001, 0, 1])]
    assert door.test_handler.kinds("up") == [("up", 1)]
    tick(door, 5)
    got = frames(peer)
    assert [struct.unpack(">H", g[2:4])[0] for g in got] == [2, 3, 4, 5, 6]
    assert all(len(g) == 164 and g[4:] == bytes(range(160)) for g in got)
    door.set_cas(1, 0b1101)
    tick(door)
    assert frames(peer)[0][1] == 0b1101
    other = door.test_connect(31)
    tick(door)
    assert len(frames(other)) == 2 and len(frames(peer)) == 1


def test_received_frames_feed_cas_recognition_and_audio(door):
    peer = door.test_connect(2)
    tick(door)
    peer.send(packet(0b1001, 0))
    peer.send(packet(0b0001, 1, b"\x01\x02" + SILENCE[2:]))
    door.pump(1.0)
    h = door.test_handler
    assert h.kinds("cas") == [("cas", 2, 0b1001), ("cas", 2, 0b0001)]
    assert h.kinds("audio")[-1] == ("audio", 2, b"\x01\x02")
    assert door.rx_cas(2) == 0b0001
    assert door.stats(2).frames_in == 2


def test_malformed_packets_are_counted_logged_with_the_timeslot_and_dropped(door, caplog):
    peer = door.test_connect(17)
    tick(door)
    peer.send(packet(0b1001, 0)[:100])
    peer.send(packet(0b1001, 1, head=0x20))
    peer.send(packet(0b1001, 2, head=0x13))
    peer.send(packet(0b11001, 3))
    peer.send(packet(0b1001, 4))
    with caplog.at_level(logging.WARNING):
        door.pump(1.0)
    st = door.stats(17)
    assert (st.malformed, st.frames_in) == (4, 1)
    bad = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(bad) == 4 and all("ts=17" in m for m in bad)
    assert "field='length'" in bad[0] and "field='version'" in bad[1]
    assert "field='type'" in bad[2] and "field='abcd'" in bad[3]
    assert door.connected(17)


def test_a_sequence_gap_is_logged_and_the_call_goes_on(door, caplog):
    peer = door.test_connect(1)
    tick(door)
    with caplog.at_level(logging.WARNING):
        for seq in (0, 1, 5, 6):
            peer.send(packet(0b1001, seq))
        door.pump(1.0)
    assert door.stats(1).gaps == 1 and door.stats(1).frames_in == 4
    assert any("expected 2 got 5" in r.getMessage() and "ts=1" in r.getMessage()
               for r in caplog.records)
    assert door.connected(1)


def test_peer_gone_is_a_line_failure_and_a_new_peer_brings_the_line_back(door):
    peer = door.test_connect(1)
    tick(door)
    peer.send(packet(0b1001, 0))
    door.pump(1.0)
    peer.close()
    tick(door)
    h = door.test_handler
    assert h.kinds("down") == [("down", 1, "peer disconnected")]
    assert not door.connected(1) and door.rx_cas(1) is None
    again = door.test_connect(1)
    tick(door)
    assert h.kinds("up") == [("up", 1), ("up", 1)]
    assert struct.unpack(">H", frames(again)[0][2:4])[0] == 0       # numbering starts again
    again.send(packet(0b1001, 0))
    door.pump(1.0)
    assert h.kinds("cas")[-1] == ("cas", 1, 0b1001)                    # recognised afresh


def test_a_second_peer_on_a_busy_timeslot_is_refused(door):
    door.test_connect(1)
    tick(door)
    second = door.test_connect(1)
    tick(door)
    assert door.stats(1).rejected_peers == 1
    assert second.recv(4096) == b""          # closed by the door


def test_a_stale_socket_is_replaced_but_another_file_is_not(tmp_path):
    pattern = str(tmp_path / "ts{ts}.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    stale.bind(socket_path(pattern, 1))
    stale.close()
    d = TimeslotDoor(ManualClock(), pattern, timeslots=(1,))
    d.start()
    d.close()
    (tmp_path / "ts2.sock").write_text("not a socket")
    d = TimeslotDoor(ManualClock(), pattern, timeslots=(2,))
    with pytest.raises(DriverError, match="exists and is not a socket") as info:
        d.start()
    assert info.value.ts == 2
    d.close()
    assert (tmp_path / "ts2.sock").read_text() == "not a socket"


def test_close_removes_the_sockets(door):
    path = door.path(1)
    door.close()
    assert not os.path.exists(path)


def test_a_failing_handler_is_logged_and_the_frames_keep_coming(door, caplog):
    def broken(ts, frame):
        raise RuntimeError("stack bug")
    door.test_handler.audio_received = broken
    peer = door.test_connect(2)
    tick(door)
    peer.send(packet(0b1001, 0))
    with caplog.at_level(logging.ERROR):
        tick(door)
        tick(door)
    assert "ts=2: handler audio_received failed" in caplog.text
    assert len(frames(peer)) == 4 and door.connected(2)


def test_a_socket_another_process_listens_on_is_not_taken(tmp_path):
    pattern = str(tmp_path / "ts{ts}.sock")
    first = TimeslotDoor(ManualClock(), pattern, timeslots=(1,))
    first.start()
    second = TimeslotDoor(ManualClock(), pattern, timeslots=(1,))
    with pytest.raises(DriverError, match="is in use: another process listens on it") as info:
        second.start()
    assert info.value.ts == 1
    second.close()
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    peer.connect(socket_path(pattern, 1))    # the first door's socket is still there
    peer.close()
    first.close()

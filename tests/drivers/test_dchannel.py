"""The simulated span's D-channel bridged to a SOCK_SEQPACKET peer (one LAPD frame per packet)."""
import socket

import pytest

from acd_core.errors import DecodeError
from drivers.board_profile import build
from drivers.sim.dchannel import LapdFrame
from acd_core.clock import ManualClock

SABME = bytes([0x00, 0x01, 0x7F])
UA = bytes([0x02, 0x01, 0x73])
I_SETUP = bytes([0x02, 0x01, 0x00, 0x00, 0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90, 0xA3])


def test_lapd_frames_round_trip():
    for raw, clen in ((SABME, 1), (I_SETUP, 2)):
        f = LapdFrame.parse(raw)
        assert bytes(f) == raw and len(f.control) == clen
    assert LapdFrame.parse(I_SETUP).sapi == 0 and LapdFrame.parse(I_SETUP).tei == 0


def test_lapd_frame_with_bad_address_extension_is_refused():
    with pytest.raises(DecodeError, match="address extension"):
        LapdFrame.parse(bytes([0x01, 0x01, 0x7F]))
    with pytest.raises(DecodeError, match="shorter than address"):
        LapdFrame.parse(b"\x00\x01")


@pytest.fixture
def bridged(tmp_path):
    path = str(tmp_path / "run" / "e1-dchan.sock")
    clock = ManualClock()
    board = build("sim", clock, dchannel_socket=path, fxo_ports=0)
    span = board.spans[0]
    span.configure()
    board.wait(3.0)
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    peer.connect(path)
    peer.settimeout(0)
    yield board, span, peer
    peer.close()
    board.close()


def test_frames_from_the_peer_reach_our_span(bridged):
    board, span, peer = bridged
    peer.send(SABME)
    peer.send(I_SETUP)
    board.wait(0.1)
    assert list(span.received) == [SABME, I_SETUP]
    assert span.counters.hdlc_bad_fcs == 0


def test_frames_from_our_span_reach_the_peer_one_per_packet(bridged):
    board, span, peer = bridged
    board.wait(0.01)                 # the bridge accepts the peer on its next step
    span.send_frame(UA)
    span.send_frame(I_SETUP)
    board.wait(0.1)
    assert peer.recv(4096) == UA
    assert peer.recv(4096) == I_SETUP
    with pytest.raises(BlockingIOError):
        peer.recv(4096)


def test_peer_can_leave_and_a_new_one_connect(bridged, tmp_path):
    board, span, peer = bridged
    board.wait(0.01)
    peer.close()
    board.wait(0.01)
    peer2 = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    peer2.connect(str(tmp_path / "run" / "e1-dchan.sock"))
    peer2.settimeout(0)
    board.wait(0.01)
    peer2.send(SABME)
    span.send_frame(UA)
    board.wait(0.1)
    assert list(span.received) == [SABME]
    assert peer2.recv(4096) == UA
    peer2.close()


def test_oversize_packet_from_peer_is_dropped_not_truncated(bridged):
    board, span, peer = bridged
    board.wait(0.01)
    peer.send(bytes([0x02, 0x01, 0x00, 0x00]) + bytes(5000))
    peer.send(SABME)
    board.wait(0.1)
    assert list(span.received) == [SABME]
    assert board.sim.bridge.bad_packets == 1


def test_runt_packet_from_peer_is_dropped(bridged):
    board, span, peer = bridged
    board.wait(0.01)
    peer.send(b"\x00")
    peer.send(SABME)
    board.wait(0.1)
    assert list(span.received) == [SABME]
    assert board.sim.bridge.bad_packets == 1


def test_bridge_refuses_to_replace_a_file_that_is_not_a_socket(tmp_path):
    from drivers.errors import DriverError
    victim = tmp_path / "e1-dchan.sock"
    victim.write_text("not a socket")
    with pytest.raises(DriverError, match="exists and is not a socket"):
        build("sim", ManualClock(), dchannel_socket=str(victim), fxo_ports=0)
    assert victim.read_text() == "not a socket"


def test_bridge_refuses_a_socket_another_process_listens_on_and_leaves_it_working(tmp_path):
    """A second daemon with the same config must not unlink the first one's socket."""
    from drivers.errors import DriverError
    path = str(tmp_path / "e1-dchan.sock")
    first = build("sim", ManualClock(), dchannel_socket=path, fxo_ports=0)
    with pytest.raises(DriverError, match="is in use: another process listens on it"):
        build("sim", ManualClock(), dchannel_socket=path, fxo_ports=0)
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    peer.connect(path)                       # still the first bridge's
    peer.send(SABME)
    first.wait(0.05)
    assert first.sim.bridge.frames_in == 1
    peer.close()
    first.close()


def test_bridge_directory_that_is_a_file_is_a_driver_error_naming_the_path(tmp_path):
    from drivers.errors import DriverError
    (tmp_path / "run").write_text("a file where the directory should be")
    with pytest.raises(DriverError, match=r"cannot use .*/run/d\.sock: "):
        build("sim", ManualClock(), dchannel_socket=str(tmp_path / "run" / "d.sock"), fxo_ports=0)

"""Our stack over the card's HDLC path: the PEF2256 driver on the simulated span,
libpri on the simulated exchange's D-channel bridge (``[e1.sim] dchannel_socket``).

Frames go: our Q.921 -> ``Pef2256.send_frame`` -> XFIFO -> simulated framer ->
flags, bit stuffing and FCS on TS16 of the simulated cable -> exchange HDLC ->
bridge socket -> libpri; and back through ``Pef2256.on_frame``. The board and
our stack run on a ManualClock; libpri runs in real time beside it.
"""
from __future__ import annotations

import select
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from acd_core.clock import ManualClock
from drivers.board_profile import build
from firmware.telephony.isdn import Connected, IncomingCall, LinkUp, Q921Link, Q931, Released
from firmware.telephony.isdn.messages import MT, Message
from firmware.telephony.isdn.pcap import LapdPcapWriter
from tests.support.libpri import PRI_CPE, PRI_NETWORK, Pri
from tests.telephony.isdn.bench import LIBPRI_DEBUG, Wire, tshark_check


class SpanBench:
    """Our stack on the driver of span 1 of a simulated board; libpri on its bridge."""

    def __init__(self, tmp_path: Path, our_role: str) -> None:
        self.clock = ManualClock()
        path = str(tmp_path / "run" / "e1-dchan.sock")
        self.board = build("sim", self.clock, dchannel_socket=path, fxo_ports=0, fxs_ports=0)
        self.span = self.board.spans[0]
        self.span.configure()
        self.board.wait(3.0)                       # frame alignment, alarms clear
        self.pcap_path = tmp_path / "span-dchannel.pcap"
        self._pcap_file = open(self.pcap_path, "wb")
        self.pcap = LapdPcapWriter(self._pcap_file, we_network=our_role == "network")
        self.wire = Wire()
        self.drop_from_libpri = None
        self.events: list[Any] = []
        self.messages: list[tuple[str, Message]] = []
        self.link = Q921Link(our_role, self.clock, self._send_frame, name="span1")
        self.q931 = Q931(our_role, self.link, self.clock, self.events.append, name="span1",
                         on_message=lambda d, m: self.messages.append((d, m)))
        self.span.on_frame = self._received
        peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        peer.connect(path)
        self.pri = Pri(peer, PRI_CPE if our_role == "network" else PRI_NETWORK,
                       debug=LIBPRI_DEBUG)

    def _send_frame(self, frame: bytes) -> None:
        self.pcap.write(frame, outgoing=True)
        self.wire.frames.append((True, frame))
        self.span.send_frame(frame)

    def _received(self, frame: bytes) -> None:
        self.pcap.write(frame, outgoing=False)
        self.wire.frames.append((False, frame))
        self.link.receive(frame)

    def run_until(self, what: str, predicate: Any, timeout: float = 20.0) -> Any:
        end = time.monotonic() + timeout
        while not (value := predicate()):
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what}: ours "
                                     f"{[type(e).__name__ for e in self.events]}, libpri "
                                     f"{[e.kind for e in self.pri.events]}")
            self.board.wait(0.01)
            while select.select([self.pri.sock], [], [], 0)[0]:
                self.pri.check_event()
            due = self.pri.next_timer()
            if due is not None and due <= time.time():
                self.pri.run_timers()
        return value

    def libpri_event(self, kind: str) -> Any:
        found = [e for e in self.pri.events if e.kind == kind]
        return found[-1] if found else None

    def our(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def close(self) -> None:
        self.pri.close()
        self.board.close()
        self._pcap_file.close()


@pytest.mark.parametrize("role", ["user", "network"])
def test_call_through_the_pef2256_driver_and_the_simulated_span(tmp_path, role):
    b = SpanBench(tmp_path, role)
    try:
        b.q931.start()
        b.run_until("D-channel up both ends", lambda: b.our(LinkUp) and b.libpri_event("DCHAN_UP"))
        b.pri.call("4001", "5551234", channel=17)
        inc = b.run_until("IncomingCall", lambda: b.our(IncomingCall))[0]
        assert inc.channel_ts == 17 and inc.called.digits == "4001"
        inc.call.alerting()
        inc.call.answer()
        b.run_until("libpri ANSWER", lambda: b.libpri_event("ANSWER"))
        b.run_until("our Connected", lambda: b.our(Connected))
        inc.call.hangup(16)
        rel = b.run_until("Released", lambda: b.our(Released))[0]
        assert (rel.cause, rel.summary.cleared_by) == (16, "local")
        call = b.q931.place_call("5550100", "4000", ts=2)
        ring = b.run_until("libpri RING", lambda: b.libpri_event("RING"))
        b.pri.answer(ring.call, ring.channel)
        b.run_until("outgoing call Connected", lambda: len(b.our(Connected)) == 2)
        b.pri.hangup(ring.call, 16)
        b.run_until("outgoing call Released", lambda: len(b.our(Released)) == 2)
        assert call.released and b.span.counters.hdlc_bad_fcs == 0
        assert b.link.counters.decode_errors == 0 and b.q931.counters["decode_errors"] == 0
        seen = tshark_check(b)
        assert seen["rx"][0] == MT.SETUP and MT.SETUP in seen["tx"]
    finally:
        b.close()

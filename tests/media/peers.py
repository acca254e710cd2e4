"""Real peers for the media-node tests: sipp processes and a loopback packet tap.

sipp plays the caller (UAC) and the dialled phone (UAS) against a node's SIP
port directly (no Kamailio needed: a node accepts INVITEs from 127.0.0.1). The
RTP each side sends is a pcap built with ``tests.support.rtp`` (one coherent
PCMA stream with RFC 4733 events where asked). What the node sends back is
read off the loopback interface with an AF_PACKET socket and decoded with the
G.711 A-law table below (written from the ITU-T G.711 definition, not ours).

Media starts as an action of the ACK itself, not in a following <nop>: a BYE
that arrives right after the ACK would otherwise find sipp still at the nop and
abort the call as "unexpected BYE".
"""
from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

from tests.support.net import free_port, sipp_media_port
from tests.support.sipp import SDP

# The caller: INVITE, then plays its pcap and waits for the node's BYE.
UAC = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="media test caller">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Media Test" <sip:5551234@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:5551234@[local_ip]:[local_port]>
      Max-Forwards: 70
      {headers}Content-Type: application/sdp
      Content-Length: [len]

      {sdp}
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Media Test" <sip:5551234@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:5551234@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]><action>{play}</action></send>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
</scenario>
"""

# A caller that must be turned away with 503 (the node is full).
UAC_503 = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="media test refused caller">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:5559999@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:5559999@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      {sdp}
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="503"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:5559999@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
</scenario>
"""

# The dialled phone: rings, answers, plays its pcap, waits for BYE.
UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="media test phone">
  <recv request="INVITE"/>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag02[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:phone@[local_ip]:[local_port]>
      Content-Length: 0

    ]]></send>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag02[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:phone@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      {sdp}
    ]]></send>
  <recv request="ACK"><action>{play}</action></recv>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
</scenario>
"""


class Sipp:
    """One sipp process; stopped by its PID."""

    def __init__(self, workdir: Path, name: str, scenario: str, pcap: bytes | None = None,
                 headers: str = "", alaw: bytes | None = None) -> None:
        """``pcap``: played once with play_pcap_audio (one RTP stream, may carry RFC 4733);
        ``alaw``: raw A-law looped with rtp_stream instead. sipp 3.6.1 cancels pcap-play
        threads by a stale thread id when a call ends, which can cut another call's
        stream short, so tests with overlapping calls use ``alaw``."""
        workdir.mkdir(parents=True, exist_ok=True)
        self.dir = workdir
        self.name = name
        self.port = free_port()
        self.media_port = sipp_media_port()
        pcap_path = workdir / f"{name}.pcap"
        if pcap is not None:
            pcap_path.write_bytes(pcap)
        self.scenario = workdir / f"{name}.xml"
        play = f'<exec play_pcap_audio="{pcap_path}"/>'
        if alaw is not None:
            raw = workdir / f"{name}.al"
            raw.write_bytes(alaw)
            play = f'<exec rtp_stream="{raw},-1,8"/>'
        self.scenario.write_text(scenario.format(play=play, sdp=SDP, headers=headers))
        self.proc: subprocess.Popen[bytes] | None = None
        self.extra: list[str] = []

    def _cmd(self) -> list[str]:
        return ["sipp", "-sf", str(self.scenario), "-i", "127.0.0.1", "-p", str(self.port),
                "-mi", "127.0.0.1", "-mp", str(self.media_port), "-m", "1", "-l", "1",
                "-timeout", "90s", "-timeout_error", "-nostdin", "-trace_err",
                "-error_file", str(self.dir / f"{self.name}-errors.log"), *self.extra]

    def call(self, node_port: int, did: str = "100") -> "Sipp":
        return self._start(self._cmd() + ["-s", did, f"127.0.0.1:{node_port}"])

    def answer(self) -> "Sipp":
        return self._start(self._cmd())

    def _start(self, cmd: list[str]) -> "Sipp":
        self.out = open(self.dir / f"{self.name}.out", "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT)
        return self

    def wait(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        if self.proc is not None:
            self.out.close()

    def errors(self) -> str:
        path = self.dir / f"{self.name}-errors.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def _alaw_table() -> list[int]:
    """G.711 A-law expansion: invert even bits, sign in bit 7, 3-bit segment, 4-bit step."""
    table = []
    for code in range(256):
        a = code ^ 0x55
        seg = (a >> 4) & 0x07
        step = a & 0x0F
        mag = (step << 4) + 8 if seg == 0 else ((step << 4) + 0x108) << (seg - 1)
        table.append(mag if a & 0x80 else -mag)
    return table


ALAW = _alaw_table()


class LoopTap:
    """Records UDP payloads sent to ``dst_port`` on loopback (RTP the node sends a peer)."""

    def __init__(self, dst_ports: set[int]) -> None:
        self.ports = dst_ports
        self.packets: dict[int, list[bytes]] = {p: [] for p in dst_ports}
        self.times: dict[int, list[float]] = {p: [] for p in dst_ports}
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, name="loop-tap", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, addr = self._sock.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] != socket.PACKET_OUTGOING or len(frame) < 42:
                continue
            ip = frame[14:]
            if ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 0x0F) * 4
            _src, dst = struct.unpack_from("!HH", ip, ihl)
            if dst in self.packets:
                self.times[dst].append(time.monotonic())
                self.packets[dst].append(bytes(ip[ihl + 8:]))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def pcma_samples(self, port: int) -> list[int]:
        """Decoded PCMA payloads (payload type 8) received on ``port``, in arrival order."""
        out: list[int] = []
        for rtp in self.packets[port]:
            if len(rtp) > 12 and rtp[1] & 0x7F == 8:
                cc = rtp[0] & 0x0F
                out.extend(ALAW[b] for b in rtp[12 + 4 * cc:])
        return out

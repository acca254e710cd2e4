"""The attacker's side of the edge security tests: raw SIP from any 127.0.0.x, and
tshark counting what an address sent and got, decoded by tshark's own SIP dissector
(an independent ear: not our parser, not the peer's log).
"""
from __future__ import annotations

import signal
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import wait_for


@dataclass(frozen=True)
class Packet:
    t: float                    # seconds since the capture started
    src: str
    dst: str
    method: str                 # a request's method, "" for a response
    status: int | None          # a response's status code
    call_id: str
    cseq: int | None

    @property
    def line(self) -> str:
        return self.method or str(self.status)


class SipCapture:
    """tshark on ``lo`` for UDP to/from ``port``, SIP decoded; use as a context manager."""

    def __init__(self, path: Path, port: int) -> None:
        self.path = path
        self.port = port
        self._err = path.with_suffix(".log")
        self.proc: subprocess.Popen[bytes] | None = None
        self._packets: list[Packet] | None = None

    def __enter__(self) -> "SipCapture":
        self._log = open(self._err, "wb")
        self.proc = subprocess.Popen(
            ["tshark", "-i", "lo", "-f", f"udp port {self.port}", "-w", str(self.path), "-q"],
            stdout=subprocess.DEVNULL, stderr=self._log)
        wait_for(lambda: b"Capturing on" in self._err.read_bytes(), 20,
                 "tshark to start capturing")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()

    def packets(self) -> list[Packet]:
        """Every SIP message captured (decoded once, after the capture stopped)."""
        if self._packets is None:
            self._packets = self._decode()
        return self._packets

    def _decode(self) -> list[Packet]:
        assert self.proc is not None and self.proc.returncode is not None, "still capturing"
        out = subprocess.run(
            ["tshark", "-r", str(self.path), "-d", f"udp.port=={self.port},sip", "-Y", "sip",
             "-T", "fields", "-E", "separator=|", "-e", "frame.time_relative", "-e", "ip.src",
             "-e", "ip.dst", "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "sip.Call-ID",
             "-e", "sip.CSeq.seq"],
            capture_output=True, text=True, timeout=60, check=True)
        packets = []
        for row in out.stdout.splitlines():
            t, src, dst, method, status, call_id, cseq = (row.split("|") + [""] * 7)[:7]
            packets.append(Packet(float(t), src, dst, method if not status else "",
                                  int(status) if status else None, call_id,
                                  int(cseq) if cseq.isdigit() else None))
        return packets

    def got(self, ip: str) -> list[Packet]:
        """What the edge sent to ``ip``."""
        return [p for p in self.packets() if p.dst == ip]

    def sent(self, ip: str) -> list[Packet]:
        return [p for p in self.packets() if p.src == ip]


class RawSip:
    """A UDP socket at ``ip`` that sends hand-written SIP and collects the answers."""

    def __init__(self, ip: str) -> None:
        self.ip = ip
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, 0))
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def send(self, text: str, to: tuple[str, int]) -> None:
        self.sock.sendto(text.replace("\n", "\r\n").encode(), to)

    def answers(self, wait: float = 1.0, expect: int | None = None) -> list[str]:
        """Every datagram that arrives within ``wait`` seconds of the last one (or the
        first ``expect`` of them, without waiting longer)."""
        self.sock.settimeout(wait)
        got: list[str] = []
        try:
            while expect is None or len(got) < expect:
                got.append(self.sock.recv(65535).decode(errors="replace"))
        except socket.timeout:
            pass
        return got

    def request(self, method: str, ruri: str, to: tuple[str, int], *, user_agent: str = "Zoiper",
                to_tag: str = "", call_id: str | None = None, from_tag: str | None = None,
                route: str = "", extra: str = "", cseq: int = 1, aor: str | None = None,
                branch: str | None = None) -> str:
        """A request as a phone would send it (no body); returns its Call-ID. ``aor``: the
        From and To URI (a REGISTER's address of record); else From is the attacker and
        To the Request-URI. The same ``call_id``, ``from_tag`` and ``branch`` again: a
        retransmission."""
        call_id = call_id or uuid.uuid4().hex
        branch = branch or uuid.uuid4().hex[:12]
        self.send(
            f"{method} {ruri} SIP/2.0\n"
            f"Via: SIP/2.0/UDP {self.ip}:{self.port};branch=z9hG4bK{branch};rport\n"
            f"Max-Forwards: 70\n"
            + (f"Route: {route}\n" if route else "")
            + f"From: <{aor or 'sip:attacker@' + self.ip}>;tag={from_tag or uuid.uuid4().hex[:8]}\n"
            f"To: <{aor or ruri}>{';tag=' + to_tag if to_tag else ''}\n"
            f"Call-ID: {call_id}\nCSeq: {cseq} {method}\n"
            f"Contact: <sip:attacker@{self.ip}:{self.port}>\nUser-Agent: {user_agent}\n"
            f"{extra}Content-Length: 0\n\n", to)
        return call_id


def status_of(message: str) -> int | None:
    first = message.split("\r\n", 1)[0]
    parts = first.split(" ")
    return int(parts[1]) if first.startswith("SIP/2.0 ") and len(parts) > 1 else None


def header_values(message: str, name: str) -> list[str]:
    head = message.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    return [line.split(":", 1)[1].strip() for line in head
            if line.split(":", 1)[0].strip().lower() == name.lower()]

"""The node program on its own: control socket hostility, shutdown paths, stdout silence.

These drive ``python -m firmware.media.node`` through a plain Unix socket the
test owns (no pool), the way the daemon does, and a sipp caller where a call
is needed.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from firmware.media import wavfile
from tests.media.peers import UAC, Sipp
from tests.support.net import free_port, free_port_range
from tests.support.rtp import RtpStream, tone

pytestmark = [pytest.mark.network]
ROOT = Path(__file__).resolve().parents[2]


def udp_sockets(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every UDP socket the process holds, from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[9] in inodes:
                addr, port = cols[1].split(":")
                ip = ".".join(str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0)) \
                    if len(addr) == 8 else addr
                found.append((ip, int(port, 16)))
    return found


class RawNode:
    """A node process connected to a socket this test reads and writes line by line."""

    def __init__(self, tmp: Path) -> None:
        self.path = str(tmp / "ctl.sock")
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(1)
        self.srv.settimeout(20)
        self.sip_port = free_port()
        self.stderr = open(tmp / "node.err", "w+b")
        self.stdout = open(tmp / "node.out", "w+b")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "firmware.media.node", "--id", "7", "--sip-port",
             str(self.sip_port), "--rtp-port-base", str(free_port_range(40)),
             "--control", self.path], cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=self.stdout, stderr=self.stderr)
        self.conn, _ = self.srv.accept()
        self.conn.settimeout(20)
        self.file = self.conn.makefile("rb")
        self.hello = self.read()

    def send(self, raw: bytes) -> None:
        self.conn.sendall(raw)

    def read(self) -> dict[str, Any]:
        line = self.file.readline()
        assert line, "node closed the control connection"
        return json.loads(line)

    def read_until(self, pred: Any, limit: int = 50) -> dict[str, Any]:
        for _ in range(limit):
            msg = self.read()
            if pred(msg):
                return msg
        raise AssertionError("expected message never came")

    def command(self, mid: int, cmd: str, **args: Any) -> dict[str, Any]:
        self.send(json.dumps({"id": mid, "cmd": cmd, **args}).encode() + b"\n")
        return self.read_until(lambda m: m.get("id") == mid)

    def log(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.file.close()
        self.conn.close()
        self.srv.close()
        self.stderr.close()
        self.stdout.close()


@pytest.fixture
def node(tmp_path: Path) -> Any:
    n = RawNode(tmp_path)
    yield n
    n.close()


def test_hello_names_node_pid_and_capacity(node: RawNode) -> None:
    assert node.hello["event"] == "hello"
    assert node.hello["node"] == 7 and node.hello["pid"] == node.proc.pid
    assert node.hello["capacity"] == 4 and node.hello["sip_port"] == node.sip_port


def test_garbage_on_the_control_socket_is_answered_and_survived(node: RawNode) -> None:
    node.send(b"this is not json\n")
    node.send(b"[1,2,3]\n")
    node.send(b'{"id":41,"cmd":"answer","leg":"one"}\n')
    assert node.read() == {"id": 41, "ok": False,
                           "error": "command answer: leg must be a leg number 1..2^31-1, "
                                    "got 'one' (field='leg')"}
    node.send(b'{"id":42,"cmd":"rm_rf"}\n')
    assert "unknown command 'rm_rf'" in node.read()["error"]
    node.send(b'{"id":43,"cmd":"status","pad":"' + b"x" * 70000 + b'"}\n')
    reply = node.command(44, "status")
    assert reply["ok"] and reply["capacity"] == 4 and reply["legs"] == []
    assert node.log().count("event=bad_") >= 4
    assert "event=event_loop wake_on_sip=True" in node.log()   # found pjsip's SIP socket


def test_commands_on_unknown_legs_are_refused_not_fatal(node: RawNode) -> None:
    assert node.command(1, "answer", leg=5) == {"id": 1, "ok": False,
                                                 "error": "leg 5 is not active on this node"}
    assert node.command(2, "record_stop", path="/tmp/none.wav")["error"] == \
        "record_stop: not recording /tmp/none.wav"
    assert node.command(3, "status")["ok"]


def test_node_exits_when_the_daemon_goes_away(node: RawNode) -> None:
    node.conn.shutdown(socket.SHUT_RDWR)
    assert node.proc.wait(20) == 0
    assert "reason=\"control connection closed\"" in node.log()
    assert "event=node_down" in node.log()
    node.stdout.seek(0)
    assert node.stdout.read() == b"", "the node wrote to stdout"


def test_sigterm_mid_call_hangs_up_and_finishes_the_recording_on_loopback_only(node: RawNode,
                                                              tmp_path: Path) -> None:
    caller = Sipp(tmp_path / "caller", "caller", UAC,
                  RtpStream().audio(tone((700.0,), 6.0)).pcap()).call(node.sip_port)
    try:
        inc = node.read_until(lambda m: m.get("event") == "incoming")
        leg = inc["leg"]
        assert node.command(1, "answer", leg=leg)["ok"]
        node.read_until(lambda m: m.get("event") == "leg_state" and m["state"] == "answered")
        sockets = udp_sockets(node.proc.pid)
        assert ("127.0.0.1", node.sip_port) in sockets and len(sockets) >= 3   # SIP, RTP, RTCP
        assert {ip for ip, _ in sockets} == {"127.0.0.1"}, f"reachable beyond loopback: {sockets}"
        rec = str(tmp_path / "rec.wav")
        assert node.command(2, "record_start", legs=[leg], path=rec)["ok"]
        # The recorder fills as frames arrive; wait until some have been written.
        deadline = time.monotonic() + 10
        while os.path.getsize(rec) < 8000 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(node.proc.pid, signal.SIGTERM)
        seen: dict[str, dict[str, Any]] = {}
        while len(seen) < 2:
            msg = node.read()
            if msg.get("event") == "recording_done" or msg.get("state") == "ended":
                seen[msg["event"]] = msg
        done = seen["recording_done"]
        assert done["path"] == rec and done["seconds"] > 0.2
        assert seen["leg_state"]["leg"] == leg
        assert node.proc.wait(20) == 0
        assert wavfile.final_seconds(rec) == pytest.approx(done["seconds"], abs=0.01)
        assert caller.wait(20) == 0, caller.errors()   # it got the node's BYE
    finally:
        caller.stop()

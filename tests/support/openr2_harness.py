"""The test side of the libopenr2 peer: find the library, build the shim, drive the process.

``make openr2`` (a dependency of ``make test``) unpacks Debian's ``libopenr2-3``
and ``libopenr2-dev`` into ``.cache/openr2/`` without installing them (the
package depends on ``dahdi``, which pulls a kernel-module build). The shim is
compiled here with gcc. ``PeerProcess`` runs ``tests/support/openr2_peer.py``
with the shim preloaded; ``Lockstep`` steps the box's ``ManualClock`` one 20 ms
frame at a time and waits for the peer's answer to every frame, so a call runs
as fast as the two processes can compute it, with both sides' timers exact.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from acd_core.clock import ManualClock
from drivers.sim.timeslot_door import FRAME_SECONDS, TimeslotDoor
from firmware.telephony.r2.transcript import Transcript

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "openr2"
SHIM_SOURCE = Path(__file__).with_name("openr2_shim.c")
REPLY_TIMEOUT = 10.0


class PeerError(AssertionError):
    """The peer process failed or did not answer; the message carries its log."""


def library() -> Path:
    found = sorted(glob.glob(str(CACHE / "root" / "usr" / "lib" / "*" / "libopenr2.so.3")))
    if not found:
        raise FileNotFoundError(f"libopenr2 is not unpacked in {CACHE}: run `make openr2`")
    return Path(found[0])


def build_shim(directory: Path) -> Path:
    """Compile the shim (once per source version) into ``directory``."""
    digest = hashlib.sha256(SHIM_SOURCE.read_bytes()).hexdigest()[:12]
    out = directory / f"openr2_shim-{digest}.so"
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", str(tmp),
                        str(SHIM_SOURCE), "-ldl"], check=True, capture_output=True, text=True)
        tmp.rename(out)
    return out


class PeerProcess:
    """One libopenr2 peer process serving ``timeslots`` of the box's timeslot door."""

    def __init__(self, lib: Path, shim: Path, pattern: str, timeslots: list[int], variant: str,
                 log_path: Path, *, max_ani: int = 20, max_dnis: int = 4,
                 advanced: str = "") -> None:
        self.variant = variant
        self.timeslots = timeslots
        self.log_path = log_path
        self.events: list[dict[str, Any]] = []
        self.closed = False
        self._next_id = 1
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        args = [sys.executable, "-m", "tests.support.openr2_peer", "--lib", str(lib),
                "--shim", str(shim), "--control-fd", str(theirs.fileno()), "--variant", variant,
                "--pattern", pattern, "--max-ani", str(max_ani), "--max-dnis", str(max_dnis)]
        for ts in timeslots:
            args += ["--ts", str(ts)]
        if advanced:
            args += ["--advanced", advanced]
        env = dict(os.environ, LD_PRELOAD=str(shim), PYTHONPATH=str(ROOT))
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, pass_fds=[theirs.fileno()],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        theirs.close()
        self.ready = self.wait_event(lambda e: e["ev"] == "ready", REPLY_TIMEOUT, "peer ready")

    def log_text(self) -> str:
        self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        ready, _, _ = select.select([self.control], [], [], timeout)
        if not ready:
            return None
        data = self.control.recv(65536)
        if not data:
            raise PeerError(f"the libopenr2 peer exited (rc={self.proc.poll()}):\n{self.log_text()}")
        msg = json.loads(data)
        if "ev" in msg:
            self.events.append(msg)
        return msg

    def poll(self) -> None:
        """Take in every event the peer has sent so far."""
        while not self.closed and self._receive(0.0) is not None:
            pass

    def wait_event(self, match: Callable[[dict[str, Any]], bool], timeout: float,
                   what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for e in self.events[seen:]:
                if match(e):
                    return e
            seen = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise PeerError(f"no {what} from the libopenr2 peer:\n{self.log_text()}")
            self._receive(left)

    def command(self, cmd: str, **fields: Any) -> dict[str, Any]:
        ident = self._next_id
        self._next_id += 1
        self.control.send(json.dumps({"cmd": cmd, "id": ident, **fields}).encode())
        deadline = time.monotonic() + REPLY_TIMEOUT
        while True:
            msg = self._receive(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise PeerError(f"the libopenr2 peer did not answer {cmd}:\n{self.log_text()}")
            if msg.get("reply") == ident:
                return msg

    def find(self, ev: str, ts: int | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e["ev"] == ev and (ts is None or e["ts"] == ts)]

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.proc.poll() is None:
            try:
                self.control.send(json.dumps({"cmd": "quit", "id": 0}).encode())
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.control.close()
        self._log.close()


class Lockstep:
    """The box's manual clock and the peer, one 20 ms frame at a time."""

    def __init__(self, clock: ManualClock, door: TimeslotDoor, peer: PeerProcess,
                 transcript: Transcript) -> None:
        self.clock = clock
        self.door = door
        self.peer = peer
        self.transcript = transcript
        self.frame_times: dict[int, list[float]] = {}
        self._peer_seen = 0
        door.on_tick = self._ticked

    def _ticked(self) -> None:
        now = self.clock.now()
        for ts in self.door.peers():
            stats = self.door.stats(ts)
            times = self.frame_times.setdefault(ts, [])
            if len(times) > stats.sent_this_peer:       # a new peer: its frames count from 1
                times.clear()
            while len(times) < stats.sent_this_peer:
                times.append(now)

    def step(self, frames: int = 1) -> None:
        for _ in range(frames):
            self.clock.advance(FRAME_SECONDS)
            deadline = time.monotonic() + REPLY_TIMEOUT
            while any(self.door.stats(ts).frames_out > self.door.stats(ts).frames_in
                      + self.door.stats(ts).malformed for ts in self.door.peers()):
                if time.monotonic() > deadline:
                    raise PeerError(f"the libopenr2 peer (rc={self.peer.proc.poll()}) stopped "
                                    "answering frames:\n" + self.peer.log_text())
                self.door.pump(0.5)     # a peer that exited is seen here (EOF): line failure
            self.peer.poll()
            self._record_peer()

    def _record_peer(self) -> None:
        for e in self.peer.events[self._peer_seen:]:
            ts, frame = e.get("ts"), e.get("frame")
            times = self.frame_times.get(ts, []) if ts is not None else []
            t = times[frame - 1] if frame and frame <= len(times) else self.clock.now()
            name = e["ev"]
            if name == "log":
                text = e["text"]
                if "CAS" in text or "MF" in text or "rror" in text:
                    self.transcript.add(t, ts or 0, "libopenr2", "log", text)
            elif name == "cas":
                self.transcript.add(t, ts or 0, "libopenr2", f"CAS {e['dir']}", e["bits"])
            elif name not in ("ready", "dnis_digit", "ani_digit"):
                fields = {k: v for k, v in e.items() if k not in ("ev", "ts", "frame")}
                self.transcript.add(t, ts or 0, "libopenr2", "event", f"{name} {fields}")
        self._peer_seen = len(self.peer.events)

    def until(self, condition: Callable[[], bool], seconds: float, what: str) -> float:
        """Step until ``condition`` holds; returns the box time it took. Fails after
        ``seconds`` of line time."""
        start = self.clock.now()
        while not condition():
            if self.clock.now() - start > seconds:
                raise AssertionError(f"{what}: not within {seconds:g} s of line time")
            self.step()
        return self.clock.now() - start

    def peer_event(self, ev: str, ts: int, seconds: float = 10.0, **match: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for e in self.peer.find(ev, ts):
                if all(e.get(k) == v for k, v in match.items()):
                    return e
            return None
        self.until(lambda: found() is not None, seconds, f"libopenr2 {ev} on ts {ts}")
        e = found()
        assert e is not None
        return e

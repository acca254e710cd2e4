"""Our Q.921/Q.931 stack and libpri on one SOCK_SEQPACKET pair, in one thread.

``Bench`` runs both ends in real time: a ``LoopClock`` (monotonic time, timers
run by the bench's own loop, no threads) drives our stack; libpri's timers
are its own (``pri_schedule_next``/``pri_schedule_run``). Every frame our
stack sends or receives is written to a pcap in the test's tmp_path, and
``tshark_check`` decodes that file independently.

``drop`` cuts the line: frames are then lost both ways (ours are still in
the capture, since we did send them; libpri's never reach us).
"""
from __future__ import annotations

import heapq
import itertools
import re
import select
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from firmware.telephony.isdn import TIMERS, Q921Link, Q931
from firmware.telephony.isdn.messages import Message, type_label
from firmware.telephony.isdn.pcap import LapdPcapWriter
from tests.support.libpri import (
    PRI_CPE, PRI_DEBUG_Q921_STATE, PRI_DEBUG_Q931_ANOMALY, PRI_DEBUG_Q931_STATE, PRI_NETWORK,
    Pri, PriEventView,
)

LIBPRI_DEBUG = PRI_DEBUG_Q921_STATE | PRI_DEBUG_Q931_STATE | PRI_DEBUG_Q931_ANOMALY


class _Timer:
    __slots__ = ("deadline", "seq", "callback", "cancelled")

    def __init__(self, deadline: float, seq: int, callback: Callable[[], None]) -> None:
        self.deadline, self.seq, self.callback, self.cancelled = deadline, seq, callback, False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: "_Timer") -> bool:
        return (self.deadline, self.seq) < (other.deadline, other.seq)


class LoopClock:
    """Real monotonic time; timers fire when the owning loop calls ``run_due``."""

    def __init__(self) -> None:
        self._heap: list[_Timer] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        t = _Timer(self.now() + max(0.0, delay), next(self._seq), callback)
        heapq.heappush(self._heap, t)
        return t

    def next_deadline(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].deadline if self._heap else None

    def run_due(self) -> None:
        while True:
            d = self.next_deadline()
            if d is None or d > self.now():
                return
            heapq.heappop(self._heap).callback()


@dataclass
class Wire:
    """What crossed our end of the D-channel, in order: (outgoing, frame)."""

    frames: list[tuple[bool, bytes]] = field(default_factory=list)


class Bench:
    def __init__(self, tmp_path: Path, our_role: str, *, timers: dict[str, float] | None = None,
                 libpri_timers: dict[str, int] | None = None, start_libpri: bool = True,
                 name: str = "bench", **q931_options: Any) -> None:
        self.ours, self.theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.ours.setblocking(False)
        self.clock = LoopClock()
        self.events: list[Any] = []
        self.messages: list[tuple[str, Message]] = []
        self.wire = Wire()
        self.drop = False
        self.drop_from_libpri: Callable[[bytes], bool] | None = None
        self.pcap_path = tmp_path / f"{name}-dchannel.pcap"
        self._pcap_file = open(self.pcap_path, "wb")
        self.pcap = LapdPcapWriter(self._pcap_file, we_network=our_role == "network")
        self.link = Q921Link(our_role, self.clock, self._send_frame,
                              TIMERS.with_overrides(timers or {}), name="ours")
        self.q931 = Q931(our_role, self.link, self.clock, self.events.append, name="ours",
                         on_message=lambda d, m: self.messages.append((d, m)), **q931_options)
        self.libpri_role = PRI_CPE if our_role == "network" else PRI_NETWORK
        self.libpri_timers = libpri_timers or {}
        self.pri: Pri | None = None
        if start_libpri:
            self.start_libpri()

    def start_libpri(self) -> Pri:
        self.pri = Pri(self.theirs, self.libpri_role, debug=LIBPRI_DEBUG)
        for timer, ms in self.libpri_timers.items():
            self.pri.set_timer(timer, ms)
        return self.pri

    # ------------------------------------------------------------------ the line
    def _send_frame(self, frame: bytes) -> None:
        self.pcap.write(frame, outgoing=True)
        self.wire.frames.append((True, frame))
        if not self.drop:
            self.ours.send(frame)

    def _from_libpri(self) -> None:
        while True:
            try:
                frame = self.ours.recv(4096)
            except BlockingIOError:
                return
            if self.drop or (self.drop_from_libpri is not None and self.drop_from_libpri(frame)):
                continue
            self.pcap.write(frame, outgoing=False)
            self.wire.frames.append((False, frame))
            self.link.receive(frame)

    # ------------------------------------------------------------------ the loop
    def step(self, max_wait: float = 0.05) -> None:
        now_wall = time.time()
        deadlines = [max_wait]
        ours = self.clock.next_deadline()
        if ours is not None:
            deadlines.append(ours - self.clock.now())
        pri = self.pri
        if pri is not None:
            theirs = pri.next_timer()
            if theirs is not None:
                deadlines.append(theirs - now_wall)
        wait = max(0.0, min(deadlines))
        fds = [self.ours] + ([pri.sock] if pri is not None else [])
        readable, _, _ = select.select(fds, [], [], wait)
        if self.ours in readable:
            self._from_libpri()
        if pri is not None and pri.sock in readable:
            while True:
                pri.check_event()
                if not select.select([pri.sock], [], [], 0)[0]:
                    break
        self.clock.run_due()
        if pri is not None:
            theirs = pri.next_timer()
            if theirs is not None and theirs <= time.time():
                pri.run_timers()

    def run_until(self, what: str, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        end = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > end:
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {what}; our events "
                    f"{[type(e).__name__ for e in self.events]}; libpri events "
                    f"{[e.kind for e in (self.pri.events if self.pri else [])]}")
            self.step()

    def run_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.step(min(0.05, max(0.0, end - time.monotonic())))

    # ------------------------------------------------------------------ lookups
    def our(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def libpri_event(self, kind: str) -> PriEventView | None:
        assert self.pri is not None
        found = [e for e in self.pri.events if e.kind == kind]
        return found[-1] if found else None

    def link_up(self) -> None:
        from firmware.telephony.isdn import LinkUp
        self.run_until("both ends' D-channel up",
                       lambda: self.our(LinkUp) and self.libpri_event("DCHAN_UP"))

    def close(self) -> None:
        if self.pri is not None:
            self.pri.close()
        else:
            self.theirs.close()
        self.ours.close()
        self._pcap_file.close()


# ---------------------------------------------------------------------- tshark
def _dedupe_retransmissions(frames: list[tuple[bool, bytes]]) -> list[bool]:
    """True for each frame that is the first sending of its content (I frames repeat on loss)."""
    first: list[bool] = []
    seen: dict[bool, set[tuple[int, bytes]]] = {True: set(), False: set()}
    for outgoing, frame in frames:
        control = frame[2] if len(frame) > 2 else 0
        if control & 0xEF == 0x6F:                 # SABME: sequence numbers start again
            seen = {True: set(), False: set()}
        if control & 0x01 == 0 and len(frame) > 4:
            key = (frame[2] >> 1, frame[4:])
            first.append(key not in seen[outgoing])
            seen[outgoing].add(key)
        else:
            first.append(True)
    return first


def tshark_check(bench: Bench, *, outage: bool = False) -> dict[str, list[int]]:
    """Decode the capture with ``tshark -V``; fail on any malformed frame or error-level
    expert info; return the Q.931 message types per direction, retransmissions left out, and
    check they are the messages our stack logged.

    ``outage``: the line was cut during the test. Some of libpri's I frames then
    reach us while our link is being re-established, and Q.921 discards I frames
    outside the multiple-frame-established state (seen under load: a STATUS twice
    on the wire, once logged). What we received must then contain what we
    logged, in order, rather than equal it."""
    path = str(bench.pcap_path)
    verbose = subprocess.run(["tshark", "-r", path, "-V"], capture_output=True, text=True,
                             timeout=120)
    assert verbose.returncode == 0, verbose.stderr
    assert "[Malformed" not in verbose.stdout, _excerpt(verbose.stdout, "[Malformed")
    assert "Expert Info (Error" not in verbose.stdout, _excerpt(verbose.stdout, "Expert Info (Error")
    rows = []
    for block in re.split(r"^Frame ", verbose.stdout, flags=re.M)[1:]:
        number = block.split(":", 1)[0]
        sapi = re.search(r"= SAPI: .*\((\d+)\)$", block, re.M)
        mtype = re.search(r"^    Message type: (.*) \((0x[0-9a-f]+)\)$", block, re.M)
        if mtype:
            assert mtype.group(1) == type_label(int(mtype.group(2), 0)), \
                f"frame {number}: tshark names it {mtype.group(1)}"
        rows.append((number, sapi.group(1) if sapi else "", mtype.group(2) if mtype else ""))
    assert len(rows) == len(bench.wire.frames), "tshark saw a different number of frames"
    first = _dedupe_retransmissions(bench.wire.frames)
    seen: dict[str, list[int]] = {"tx": [], "rx": []}
    for (number, sapi, mtype), (outgoing, _), keep in zip(rows, bench.wire.frames, first):
        assert sapi == "0", f"frame {number}: tshark read SAPI {sapi!r}"
        if mtype and keep:
            seen["tx" if outgoing else "rx"].append(int(mtype, 0))
    logged = {d: [m.mtype for (dd, m) in bench.messages if dd == d] for d in ("tx", "rx")}
    if outage:
        rest = iter(seen["rx"])
        assert all(m in rest for m in logged["rx"]), (seen, logged)
    elif not bench.drop_from_libpri:
        assert seen["rx"] == logged["rx"], (seen, logged)
    assert seen["tx"] == logged["tx"], (seen, logged)
    return seen


def _excerpt(text: str, needle: str) -> str:
    i = text.index(needle)
    return text[max(0, i - 1500):i + 300]

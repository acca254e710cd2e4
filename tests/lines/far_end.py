"""The far ends of the simulated card's lines, for daemon tests.

``TimeslotPeer`` is the exchange's side of one B-channel: it fills the timeslot
of every multiframe the simulated exchange sends with queued A-law (silence
when nothing is queued) and keeps what our framer sent in that timeslot. It
uses the exchange's ``payload`` hook, called in the drivers' thread once per
2 ms multiframe. ``PriPeer`` runs libpri (tests/support/libpri.py) on the
D-channel bridge's socket as an asyncio task beside the daemon.
"""
from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from typing import Any

from acd_core.g711 import alaw_to_linear, linear_to_alaw
from drivers.sim.e1cable import ExchangeSim
from drivers.sim.e1frame import FRAME
from tests.support.libpri import PRI_NETWORK, Pri, PriEventView
from tests.support.rtp import tone


class TimeslotPeer:
    def __init__(self, exchange: ExchangeSim, ts: int) -> None:
        self.exchange = exchange
        self.ts = ts
        self._lock = threading.Lock()
        self._out = bytearray()
        self.heard = bytearray()
        exchange.payload = self._fill

    def _fill(self, mf: bytearray) -> None:
        n = len(mf) // FRAME
        with self._lock:
            chunk = bytes(self._out[:n])
            del self._out[:n]
            self.heard += bytes(self.exchange.last_mf[self.ts::FRAME])
        mf[self.ts::FRAME] = chunk + b"\xd5" * (n - len(chunk))

    def send_pcm(self, pcm: bytes) -> None:
        with self._lock:
            self._out += linear_to_alaw(pcm)

    def send_tone(self, freqs: tuple[float, ...], seconds: float, amplitude: float = 0.2) -> None:
        self.send_pcm(tone(freqs, seconds, amplitude))

    def send_digit(self, digit: str) -> None:
        low, high = DTMF[digit]
        self.send_pcm(tone((low, high), 0.12, 0.15) + bytes(2 * 8 * 100))

    def samples(self, last_s: float | None = None) -> list[int]:
        with self._lock:
            data = bytes(self.heard if last_s is None else self.heard[-int(8000 * last_s):])
        pcm = alaw_to_linear(data)
        return [int.from_bytes(pcm[i:i + 2], "little", signed=True)
                for i in range(0, len(pcm), 2)]

    def close(self) -> None:
        self.exchange.payload = None


DTMF = {"1": (697.0, 1209.0), "2": (697.0, 1336.0), "3": (697.0, 1477.0),
        "4": (770.0, 1209.0), "5": (770.0, 1336.0), "6": (770.0, 1477.0),
        "7": (852.0, 1209.0), "8": (852.0, 1336.0), "9": (852.0, 1477.0),
        "*": (941.0, 1209.0), "0": (941.0, 1336.0), "#": (941.0, 1477.0)}


class PriPeer:
    """libpri, network side, on the span's D-channel socket; served by an asyncio task."""

    def __init__(self, path: str, role: int = PRI_NETWORK) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.connect(path)
        self.pri = Pri(sock, role)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> "PriPeer":
        self._task = asyncio.get_running_loop().create_task(self._serve())
        return self

    async def _serve(self) -> None:
        pri = self.pri
        while True:
            for _ in range(64):
                if not select.select([pri.sock], [], [], 0)[0]:
                    break
                if pri.sock.recv(1, socket.MSG_PEEK) == b"":
                    return                    # the box closed the bridge
                pri.check_event()
            due = pri.next_timer()
            if due is not None and due <= time.time():
                pri.run_timers()
            await asyncio.sleep(0.005)

    def event(self, kind: str) -> PriEventView | None:
        found = [e for e in self.pri.events if e.kind == kind]
        return found[-1] if found else None

    def kinds(self) -> list[str]:
        return [e.kind for e in self.pri.events]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.pri.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pri, name)

"""The TDM highway cut into per-timeslot audio: 20 ms A-law chunks in, queued chunks out.

One reader owns the stream (:class:`~drivers.bus.tdm.TdmStream`): each
:meth:`TdmSwitch.pump` reads the frames that have arrived, hands every listened
timeslot its bytes in chunks of 160 (20 ms, the media node's frame), and writes
as many frames back, each slot carrying what was queued for it with
:meth:`TdmSwitch.send` (A-law silence where nothing was). Reading and writing
the same number of frames keeps the transmit side in step with the card's clock
without a timer of our own, as DAHDI's chunk loop does.

The slots are the frame's bytes: 1-15 and 17-31 are E1 B-channels, 32 and up
the analog ports (their PCM timeslot registers say which). Listeners run in the
thread that pumps (the drivers' thread on the simulator, the TDM thread on the
box): they must only hand the chunk over (e.g. ``loop.call_soon_threadsafe``).
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from drivers.bus.tdm import TdmStream

log = logging.getLogger(__name__)

CHUNK = 160                  # samples per chunk handed to a listener (20 ms)
SILENCE = 0xD5               # A-law idle
PUMP_FRAMES = 160            # frames asked for per read on the box (20 ms)
READ_TIMEOUT = 0.1           # longest wait for them

Listener = Callable[[bytes], None]


class TdmSwitch:
    def __init__(self, tdm: TdmStream) -> None:
        self.tdm = tdm
        self.frame_size = tdm.frame_size
        self._lock = threading.Lock()
        self._listeners: dict[int, Listener] = {}
        self._rx: dict[int, bytearray] = {}
        self._tx: dict[int, bytearray] = {}
        self.frames_in = 0
        self.frames_out = 0
        self.tx_underruns = 0         # chunks a sender queued too late to fill their frames

    def _check(self, slot: int) -> None:
        if not 0 <= slot < self.frame_size:
            raise ValueError(f"timeslot {slot} is not in the {self.frame_size}-byte TDM frame")

    def listen(self, slot: int, listener: Listener | None) -> None:
        """Hand ``slot``'s received bytes to ``listener`` in 160-byte chunks (None: stop)."""
        self._check(slot)
        with self._lock:
            if listener is None:
                self._listeners.pop(slot, None)
                self._rx.pop(slot, None)
            else:
                self._listeners[slot] = listener
                self._rx[slot] = bytearray()

    def send(self, slot: int, alaw: bytes) -> None:
        """Queue A-law bytes for ``slot``; they go out in order, one per frame."""
        self._check(slot)
        with self._lock:
            self._tx.setdefault(slot, bytearray()).extend(alaw)

    def active(self) -> bool:
        """Audio is flowing (someone listens or has queued bytes): poll the card fast."""
        with self._lock:
            return bool(self._listeners or any(self._tx.values()))

    def queued(self, slot: int) -> int:
        """Bytes of ``slot`` not yet on the highway (a sender keeps this small)."""
        with self._lock:
            return len(self._tx.get(slot, b""))

    def flush(self, slot: int) -> None:
        """Drop what is queued for ``slot`` (a prompt stopped, a call ended)."""
        with self._lock:
            self._tx.pop(slot, None)

    def pump(self, count: int = 1 << 16, timeout: float = 0.0) -> int:
        """Read up to ``count`` frames (waiting at most ``timeout`` on the box), dispatch
        them, write as many back. Returns the number of frames moved."""
        frames = self.tdm.read_frames(count, timeout)
        n = len(frames)
        if not n:
            return 0
        self.frames_in += n
        with self._lock:
            listeners = list(self._listeners.items())
            out_cols: list[bytes | None] = []
            for slot in range(self.frame_size):
                q = self._tx.get(slot)
                if q:
                    col = bytes(q[:n])
                    del q[:n]
                    if len(col) < n:
                        col += bytes([SILENCE]) * (n - len(col))
                    out_cols.append(col)
                else:
                    out_cols.append(None)
        chunks: list[tuple[Listener, bytes]] = []
        for slot, listener in listeners:
            buf = self._rx.get(slot)
            if buf is None:
                continue
            buf.extend(f[slot] for f in frames)
            while len(buf) >= CHUNK:
                chunks.append((listener, bytes(buf[:CHUNK])))
                del buf[:CHUNK]
        for listener, chunk in chunks:
            try:
                listener(chunk)
            except Exception:  # one port's consumer must not stop the highway
                log.exception("tdm listener failed")
        idle = bytes([SILENCE]) * n
        cols = [c if c is not None else idle for c in out_cols]
        self.tdm.write_frames([bytes(f) for f in zip(*cols)])
        self.frames_out += n
        return n

    def run_forever(self, stop: threading.Event) -> None:
        """The TDM thread on the box: bounded reads, so ``stop`` is seen within 0.1 s."""
        while not stop.is_set():
            try:
                self.pump(PUMP_FRAMES, READ_TIMEOUT)
            except Exception as exc:  # a failing stream is reported by the card's health
                log.error("tdm pump failed: %s", exc)
                stop.wait(1.0)

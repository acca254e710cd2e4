"""TDM (PCM highway) stream: A-law frames, one per 125 µs.

A frame is 32 bytes for the E1 span (timeslots 0-31 as on the line; TS0 and the
D-channel are carried but ignored) followed by one byte per analog port. The real
back end is the card's character device, read and written in whole frames; the
simulated one takes frames from and gives frames to the simulated framer and
ports as the injected clock passes.

``read_frames(count, timeout)`` returns at most ``count`` whole frames and waits
at most ``timeout`` seconds for them: a reader asking for a large backlog, or a
card whose clock stopped, gets what there is instead of blocking for minutes.
``drain()`` takes what is waiting without waiting.
"""
from __future__ import annotations

import os
import select
import time
from typing import Protocol

from drivers.bus import exclusive
from drivers.bus.errors import TdmError

E1_SLOTS = 32


class TdmStream(Protocol):
    device: str
    frame_size: int

    def read_frames(self, count: int, timeout: float = 0.1) -> list[bytes]: ...

    def drain(self) -> int: ...

    def write_frames(self, frames: list[bytes]) -> None: ...

    def close(self) -> None: ...


class CharDevTdm:
    """``/dev/callbox-tdm`` style device, opened non-blocking and read with ``poll``.

    A partial frame at the deadline is kept for the next read, so frames never
    shift. The deadline is the real monotonic time: this is the real bus.
    """

    def __init__(self, device: str, analog_ports: int) -> None:
        self.device = device
        self.frame_size = E1_SLOTS + analog_ports
        try:
            self._fd = os.open(device, os.O_RDWR | os.O_NONBLOCK)
        except OSError as exc:
            raise TdmError.wrap("open", device, exc) from exc
        try:
            exclusive.claim(self._fd, device, TdmError)
        except TdmError:
            os.close(self._fd)
            raise
        self._poll = select.poll()
        self._poll.register(self._fd, select.POLLIN)
        self._buf = bytearray()

    def read_frames(self, count: int, timeout: float = 0.1) -> list[bytes]:
        fs = self.frame_size
        want = count * fs
        deadline = time.monotonic() + timeout
        try:
            while len(self._buf) < want:
                chunk = self._read(want - len(self._buf))
                if chunk is None:
                    left = deadline - time.monotonic()
                    if left <= 0 or not self._poll.poll(left * 1000.0):
                        break
                    continue
                if not chunk:
                    if len(self._buf) >= fs:
                        break         # hand out what came before the end first
                    raise TdmError("read", self.device, 5, "stream ended")
                self._buf += chunk
        except OSError as exc:
            raise TdmError.wrap("read", self.device, exc) from exc
        n = min(count, len(self._buf) // fs)
        out = [bytes(self._buf[i:i + fs]) for i in range(0, n * fs, fs)]
        del self._buf[:n * fs]
        return out

    def _read(self, size: int) -> bytes | None:
        try:
            return os.read(self._fd, size)
        except BlockingIOError:
            return None

    def drain(self) -> int:
        """Drop the frames waiting now; returns how many."""
        dropped = 0
        while True:
            got = len(self.read_frames(1 << 12, 0.0))
            dropped += got
            if got < 1 << 12:
                return dropped

    def write_frames(self, frames: list[bytes], timeout: float = 1.0) -> None:
        """Write whole frames; waits (``poll``) while the card's buffer is full, at most
        ``timeout`` seconds without progress."""
        data = b"".join(frames)
        view = memoryview(data)
        out = select.poll()
        out.register(self._fd, select.POLLOUT)
        try:
            while view:
                try:
                    n = os.write(self._fd, view)
                except BlockingIOError:
                    if not out.poll(timeout * 1000.0):
                        raise TdmError("write", self.device, 110,
                                       f"card took no data for {timeout} s") from None
                    continue
                view = view[n:]
        except OSError as exc:
            raise TdmError.wrap("write", self.device, exc) from exc

    def close(self) -> None:
        os.close(self._fd)


class TdmSource(Protocol):
    """Simulation side: the framer's system interface."""

    system_capture: bool

    def system_rx(self, count: int) -> list[bytes]: ...

    def system_tx(self, frames: list[bytes]) -> None: ...

    def sync(self) -> None: ...


class SimTdm:
    """Simulated highway: E1 slots from the framer model, analog bytes from the ports."""

    def __init__(self, framer: TdmSource | None, analog_ports: int = 0,
                 device: str = "sim-tdm") -> None:
        self.device = device
        self.framer = framer
        self.analog_ports = analog_ports
        self.frame_size = E1_SLOTS + analog_ports
        self.analog_tx: list[bytearray] = [bytearray() for _ in range(analog_ports)]
        if framer is not None:
            framer.system_capture = True   # the framer keeps received frames for us from now on

    def read_frames(self, count: int, timeout: float = 0.1) -> list[bytes]:
        """Frames received so far (at most ``count``); never waits on simulated time."""
        if self.framer is None:
            raise TdmError("read", self.device, 19, "no framer on this highway")
        self.framer.sync()
        silence = b"\xd5" * self.analog_ports
        return [f + silence for f in self.framer.system_rx(count)]

    def drain(self) -> int:
        return len(self.read_frames(1 << 20))

    def write_frames(self, frames: list[bytes]) -> None:
        if self.framer is None:
            raise TdmError("write", self.device, 19, "no framer on this highway")
        for f in frames:
            if len(f) != self.frame_size:
                raise TdmError("write", self.device, 22,
                               f"frame of {len(f)} bytes, expected {self.frame_size}")
        self.framer.sync()
        self.framer.system_tx([f[:E1_SLOTS] for f in frames])
        for f in frames:
            for port in range(self.analog_ports):
                self.analog_tx[port].append(f[E1_SLOTS + port])

    def close(self) -> None:
        pass

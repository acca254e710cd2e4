"""TDM (PCM highway) stream: A-law frames, one per 125 µs.

A frame is 32 bytes for the E1 span (timeslots 0-31 as on the line; TS0 and the
D-channel are carried but ignored) followed by one byte per analog port. The real
back end is the card's character device, read and written in whole frames; the
simulated one takes frames from and gives frames to the simulated framer and
ports as the injected clock passes.
"""
from __future__ import annotations

import os
from typing import Protocol

from drivers.bus.errors import TdmError

E1_SLOTS = 32


class TdmStream(Protocol):
    device: str
    frame_size: int

    def read_frames(self, count: int) -> list[bytes]: ...

    def write_frames(self, frames: list[bytes]) -> None: ...

    def close(self) -> None: ...


class CharDevTdm:
    """``/dev/callbox-tdm`` style device: blocking reads of whole frames."""

    def __init__(self, device: str, analog_ports: int) -> None:
        self.device = device
        self.frame_size = E1_SLOTS + analog_ports
        try:
            self._fd = os.open(device, os.O_RDWR)
        except OSError as exc:
            raise TdmError.wrap("open", device, exc) from exc

    def read_frames(self, count: int) -> list[bytes]:
        want = count * self.frame_size
        buf = bytearray()
        try:
            while len(buf) < want:
                chunk = os.read(self._fd, want - len(buf))
                if not chunk:
                    raise TdmError("read", self.device, 5, "stream ended")
                buf += chunk
        except OSError as exc:
            raise TdmError.wrap("read", self.device, exc) from exc
        fs = self.frame_size
        return [bytes(buf[i:i + fs]) for i in range(0, want, fs)]

    def write_frames(self, frames: list[bytes]) -> None:
        data = b"".join(frames)
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
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

    def read_frames(self, count: int) -> list[bytes]:
        """Frames received so far (at most ``count``); never blocks on simulated time."""
        if self.framer is None:
            raise TdmError("read", self.device, 19, "no framer on this highway")
        self.framer.sync()
        silence = b"\xd5" * self.analog_ports
        return [f + silence for f in self.framer.system_rx(count)]

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

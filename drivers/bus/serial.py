"""Serial console port: pyserial back end and a loop-back simulation.

The self-test checks the console UART with a loop-back plug (TX wired to RX);
:class:`SimSerial` models the plug (``loopback=True``) or an open port.
"""
from __future__ import annotations

from typing import Any, Protocol

from drivers.bus.errors import SerialError


class SerialPort(Protocol):
    device: str

    def write(self, data: bytes) -> int: ...

    def read(self, size: int) -> bytes: ...

    def close(self) -> None: ...


class PyserialPort:
    def __init__(self, device: str, baudrate: int = 115200, timeout: float = 0.2) -> None:
        self.device = device
        try:
            import serial
            self._port: Any = serial.Serial(device, baudrate=baudrate, timeout=timeout)
        except Exception as exc:
            raise SerialError.wrap("open", device, exc) from exc

    def write(self, data: bytes) -> int:
        try:
            return int(self._port.write(data))
        except Exception as exc:
            raise SerialError.wrap("write", self.device, exc) from exc

    def read(self, size: int) -> bytes:
        try:
            return bytes(self._port.read(size))
        except Exception as exc:
            raise SerialError.wrap("read", self.device, exc) from exc

    def close(self) -> None:
        self._port.close()


class SimSerial:
    def __init__(self, device: str = "sim-ttyS0", loopback: bool = False) -> None:
        self.device = device
        self.loopback = loopback
        self.sent = bytearray()
        self._rx = bytearray()

    def feed(self, data: bytes) -> None:
        """Bytes arriving from the far side of the cable."""
        self._rx += data

    def write(self, data: bytes) -> int:
        self.sent += data
        if self.loopback:
            self._rx += data
        return len(data)

    def read(self, size: int) -> bytes:
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def close(self) -> None:
        pass

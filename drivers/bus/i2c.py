"""I2C: combined transactions of write/read messages to one 7-bit address.

``transfer(addr, [I2cMsg.writing(b"\\x00"), I2cMsg.reading(8)])`` is a repeated-start
transaction (smbus2 ``i2c_rdwr``, python-periphery ``I2C.transfer``); read
messages come back filled. A device that does not acknowledge its address
(absent, or an EEPROM inside its write cycle) fails the whole transaction with
``ENXIO``, which is what i2c-dev reports for an address NAK on most adapters.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any, Protocol

from drivers.bus.errors import I2cError


@dataclass
class I2cMsg:
    read: bool
    data: bytes = b""
    length: int = 0
    result: bytes = field(default=b"", repr=False)

    @classmethod
    def writing(cls, data: bytes) -> "I2cMsg":
        return cls(read=False, data=bytes(data), length=len(data))

    @classmethod
    def reading(cls, length: int) -> "I2cMsg":
        return cls(read=True, length=length)


class I2cBus(Protocol):
    device: str

    def transfer(self, addr: int, msgs: list[I2cMsg]) -> None: ...

    def close(self) -> None: ...


class I2cTarget(Protocol):
    """What a simulated device implements. Return False from ``i2c_address`` to NAK."""

    def i2c_address(self, read: bool) -> bool: ...

    def i2c_write(self, data: bytes) -> None: ...

    def i2c_read(self, length: int) -> bytes: ...

    def i2c_stop(self) -> None: ...


def read_regs(bus: I2cBus, addr: int, reg: int, length: int) -> bytes:
    """Register-pointer read: write the pointer, repeated start, read ``length`` bytes."""
    msg = I2cMsg.reading(length)
    bus.transfer(addr, [I2cMsg.writing(bytes([reg])), msg])
    return msg.result


def write_regs(bus: I2cBus, addr: int, reg: int, data: bytes) -> None:
    bus.transfer(addr, [I2cMsg.writing(bytes([reg]) + bytes(data))])


class Smbus2I2c:
    """Real back end over smbus2's ``i2c_rdwr`` (any length, repeated start)."""

    def __init__(self, device: str) -> None:
        self.device = device
        try:
            from smbus2 import SMBus
            self._bus: Any = SMBus(device)
        except Exception as exc:
            raise I2cError.wrap("open", device, exc) from exc

    def transfer(self, addr: int, msgs: list[I2cMsg]) -> None:
        from smbus2 import i2c_msg
        raw = [i2c_msg.read(addr, m.length) if m.read else i2c_msg.write(addr, m.data) for m in msgs]
        try:
            self._bus.i2c_rdwr(*raw)
        except Exception as exc:
            raise I2cError.wrap(f"transfer to 0x{addr:02x}", self.device, exc) from exc
        for m, r in zip(msgs, raw):
            if m.read:
                m.result = bytes(r)

    def close(self) -> None:
        self._bus.close()


class SimI2c:
    """Simulated adapter: devices by address; an empty address NAKs (ENXIO)."""

    def __init__(self, device: str = "sim-i2c") -> None:
        self.device = device
        self.targets: dict[int, I2cTarget] = {}

    def attach(self, addr: int, target: I2cTarget) -> None:
        self.targets[addr] = target

    def detach(self, addr: int) -> None:
        self.targets.pop(addr, None)

    def transfer(self, addr: int, msgs: list[I2cMsg]) -> None:
        target = self.targets.get(addr)
        try:
            for m in msgs:
                if target is None or not target.i2c_address(m.read):
                    raise I2cError(f"transfer to 0x{addr:02x}", self.device, errno.ENXIO,
                                   "no acknowledge from the device address")
                if m.read:
                    m.result = target.i2c_read(m.length)
                else:
                    target.i2c_write(m.data)
        finally:
            if target is not None:
                target.i2c_stop()

    def close(self) -> None:
        pass

"""LM75 temperature sensor: 9-bit, 0.5 °C per LSB, big-endian on the wire.

The word is read with a register-pointer transaction rather than SMBus
``read_word_data`` (which is little-endian and would need a byte swap).
"""
from __future__ import annotations

from drivers.bus.i2c import I2cBus, read_regs, write_regs

REG_TEMP, REG_CONF, REG_THYST, REG_TOS = 0, 1, 2, 3


def decode_temp(word: bytes) -> float:
    raw = int.from_bytes(word[:2], "big", signed=True)
    return (raw >> 7) * 0.5


def encode_temp(celsius: float) -> bytes:
    return ((int(round(celsius * 2)) & 0x1FF) << 7).to_bytes(2, "big")


class Lm75:
    def __init__(self, bus: I2cBus, addr: int = 0x48) -> None:
        self.bus = bus
        self.addr = addr

    def temperature(self) -> float:
        return decode_temp(read_regs(self.bus, self.addr, REG_TEMP, 2))

    def config(self) -> int:
        return read_regs(self.bus, self.addr, REG_CONF, 1)[0]

    def set_limits(self, tos: float, thyst: float) -> None:
        write_regs(self.bus, self.addr, REG_TOS, encode_temp(tos))
        write_regs(self.bus, self.addr, REG_THYST, encode_temp(thyst))

    def limits(self) -> tuple[float, float]:
        return (decode_temp(read_regs(self.bus, self.addr, REG_TOS, 2)),
                decode_temp(read_regs(self.bus, self.addr, REG_THYST, 2)))

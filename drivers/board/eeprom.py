"""AT24C02 identity EEPROM: byte access with page writes, and the Callbox layout.

Layout (format 1, first 64 bytes; the rest is free for the field and reads 0xFF):

====== ==== ==========================================================
offset size field
====== ==== ==========================================================
0x00   4    magic ``CBOX``
0x04   1    format version (1)
0x05   1    board revision, ASCII letter (``C``)
0x06   2    variant: analog FXO ports (hi byte), FXS ports (lo byte)
0x08   16   serial number, ASCII, NUL padded
0x18   6    MAC address 0 (LAN)
0x1E   6    MAC address 1 (spare)
0x24   4    manufacture date: year (BE u16), month, day
0x28   20   reserved, 0xFF
0x3C   4    CRC-32 (zlib/IEEE) of bytes 0x00-0x3B, big-endian
====== ==== ==========================================================

Writes go page by page (8 bytes, never crossing a page: the chip wraps inside
the page), and after each page the driver polls for the chip's acknowledge for
up to 25 ms (the write cycle is 5 ms typical, "sometimes 20", as Linux at24).
"""
from __future__ import annotations

import errno
import struct
import zlib
from dataclasses import dataclass
from datetime import date

from acd_core.clock import Clock
from acd_core.errors import DecodeError
from drivers.bus.errors import I2cError
from drivers.bus.i2c import I2cBus, I2cMsg
from drivers.errors import ChipAbsent, ChipTimeout
from drivers.timing import Sleep

PAGE = 8
SIZE = 256
WRITE_TIMEOUT = 0.025
POLL_INTERVAL = 0.001
IDENTITY_LEN = 64
MAGIC = b"CBOX"
_LAYOUT = struct.Struct(">4sBcBB16s6s6sHBB20s")
assert _LAYOUT.size == 0x3C


class EepromCrcError(DecodeError):
    """The identity block is present but its CRC does not match (``offset``, ``field``)."""


@dataclass(frozen=True)
class BoardIdentity:
    serial: str
    revision: str
    mac0: bytes
    mac1: bytes
    made: date
    fxo_ports: int = 2
    fxs_ports: int = 2
    version: int = 1

    def __bytes__(self) -> bytes:
        body = _LAYOUT.pack(MAGIC, self.version, self.revision.encode("ascii"),
                            self.fxo_ports, self.fxs_ports,
                            self.serial.encode("ascii").ljust(16, b"\0"),
                            self.mac0, self.mac1, self.made.year, self.made.month,
                            self.made.day, b"\xff" * 20)
        return body + struct.pack(">I", zlib.crc32(body))

    @classmethod
    def parse(cls, data: bytes) -> "BoardIdentity":
        if len(data) < IDENTITY_LEN:
            raise DecodeError("identity block truncated", offset=len(data), field="length")
        if data[:4] != MAGIC:
            raise DecodeError("EEPROM holds no Callbox identity (blank or foreign)",
                              offset=0, field="magic", found=bytes(data[:4]).hex())
        stored = struct.unpack(">I", data[0x3C:0x40])[0]
        computed = zlib.crc32(bytes(data[:0x3C]))
        if stored != computed:
            raise EepromCrcError("identity CRC mismatch", offset=0x3C, field="crc32",
                                 stored=f"{stored:08x}", computed=f"{computed:08x}")
        (_, version, rev, fxo, fxs, serial, mac0, mac1, y, m, d, _) = _LAYOUT.unpack(data[:0x3C])
        if version != 1:
            raise DecodeError("unknown identity format", offset=4, field="version", found=version)
        try:
            made = date(y, m, d)
        except ValueError:
            raise DecodeError("bad manufacture date", offset=0x24, field="made") from None
        return cls(serial=serial.rstrip(b"\0").decode("ascii", "replace"),
                   revision=rev.decode("ascii", "replace"), mac0=mac0, mac1=mac1,
                   made=made, fxo_ports=fxo, fxs_ports=fxs, version=version)

    @property
    def mac(self) -> str:
        return ":".join(f"{b:02x}" for b in self.mac0)


class At24c02:
    def __init__(self, bus: I2cBus, clock: Clock, sleep: Sleep, addr: int = 0x50) -> None:
        self.bus = bus
        self.clock = clock
        self.sleep = sleep
        self.addr = addr

    def _where(self) -> str:
        return f"I2C 0x{self.addr:02x} on {self.bus.device}"

    def read(self, offset: int, length: int) -> bytes:
        if not (0 <= offset and offset + length <= SIZE):
            raise ValueError("read outside the 256-byte EEPROM")
        msg = I2cMsg.reading(length)
        try:
            self.bus.transfer(self.addr, [I2cMsg.writing(bytes([offset])), msg])
        except I2cError as exc:
            if exc.errno in (errno.ENXIO, errno.EREMOTEIO):
                raise ChipAbsent(f"no EEPROM answers at {self._where()}", part="eeprom",
                                 addr=self.addr) from exc
            raise
        return msg.result

    def write(self, offset: int, data: bytes) -> None:
        if not (0 <= offset and offset + len(data) <= SIZE):
            raise ValueError("write outside the 256-byte EEPROM")
        pos = 0
        while pos < len(data):
            addr = offset + pos
            room = PAGE - (addr % PAGE)  # never roll over into the next page
            chunk = data[pos:pos + room]
            self._write_page(addr, chunk)
            pos += len(chunk)

    def _write_page(self, addr: int, chunk: bytes) -> None:
        deadline = self.clock.now() + WRITE_TIMEOUT
        while True:
            try:
                self.bus.transfer(self.addr, [I2cMsg.writing(bytes([addr]) + chunk)])
                return
            except I2cError as exc:
                if exc.errno not in (errno.ENXIO, errno.EREMOTEIO):
                    raise
                if self.clock.now() >= deadline:
                    raise ChipTimeout(f"EEPROM at {self._where()} did not acknowledge within "
                                      f"{WRITE_TIMEOUT * 1000:.0f} ms", part="eeprom",
                                      offset=addr) from exc
                self.sleep(POLL_INTERVAL)  # still inside the previous write cycle

    def read_identity(self) -> BoardIdentity:
        return BoardIdentity.parse(self.read(0, IDENTITY_LEN))

    def write_identity(self, ident: BoardIdentity) -> None:
        self.write(0, bytes(ident))

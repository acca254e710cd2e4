"""Simulated board parts: AT24C02 EEPROM, LM75 sensor, bypass relay, watchdog.

Each sits behind the bus the real part uses (I2C target, GPIO lines, watchdog
device) and keeps datasheet behaviour that drivers must respect:

* AT24C02: 256 bytes, 8-byte pages, the address counter wraps *inside* the page
  on a page write, a self-timed write cycle (5 ms, configurable) during which the
  chip NAKs its address, sequential reads wrapping at 256, a write-protect pin.
* LM75: pointer register, 9-bit two's-complement temperature left-justified in a
  big-endian 16-bit word (0.5 °C/LSB), config byte, THYST/TOS.
* Relay: the coil GPIO moves the contacts after the operate time; a sense GPIO
  reports the contacts (high = normal path, low = bypass / de-energised).
* Watchdog: starts on open, a ping re-arms it, ``V`` before close disarms it; a
  miss records a board reset and sets WDIOF_CARDRESET for the next boot.
"""
from __future__ import annotations

import errno

from acd_core.clock import Clock, TimerHandle
from drivers.bus.errors import WatchdogError
from drivers.bus.gpio import SimGpioLine
from drivers.bus.watchdog import WDIOF_CARDRESET

EEPROM_SIZE = 256
EEPROM_PAGE = 8


class At24c02Sim:
    def __init__(self, clock: Clock, contents: bytes | None = None,
                 write_cycle: float = 0.005) -> None:
        self.clock = clock
        self.mem = bytearray(contents if contents is not None else b"\xff" * EEPROM_SIZE)
        if len(self.mem) != EEPROM_SIZE:
            raise ValueError("AT24C02 holds 256 bytes")
        self.write_cycle = write_cycle
        self.write_protect = False
        self.busy_until = -1.0
        self.pointer = 0
        self.naks = 0
        self.cycles = 0
        self._pending: list[tuple[int, int]] | None = None
        self._addressed = False

    def i2c_address(self, read: bool) -> bool:
        if self.clock.now() < self.busy_until:
            self.naks += 1
            return False
        return True

    def i2c_write(self, data: bytes) -> None:
        if not data:
            return
        self.pointer = data[0]
        page = self.pointer & ~(EEPROM_PAGE - 1)
        offset = self.pointer & (EEPROM_PAGE - 1)
        pending = []
        for b in data[1:]:
            pending.append((page | offset, b))  # wraps inside the page, never onto the next
            offset = (offset + 1) % EEPROM_PAGE
        if pending:
            self._pending = pending

    def i2c_read(self, length: int) -> bytes:
        out = bytearray()
        for _ in range(length):
            out.append(self.mem[self.pointer])
            self.pointer = (self.pointer + 1) % EEPROM_SIZE
        return bytes(out)

    def i2c_stop(self) -> None:
        if self._pending is None:
            return
        pending, self._pending = self._pending, None
        if self.write_protect:
            return
        for addr, b in pending:
            self.mem[addr] = b
        self.cycles += 1
        self.busy_until = self.clock.now() + self.write_cycle


class Lm75Sim:
    """Temperature is set by the test (``temperature``); reads are big-endian words."""

    def __init__(self, temperature: float = 40.0) -> None:
        self.temperature = temperature
        self.regs = {1: 0x00, 2: self._encode(75.0), 3: self._encode(80.0)}
        self.pointer = 0

    @staticmethod
    def _encode(celsius: float) -> int:
        half = int(round(celsius * 2))
        half = max(-110, min(250, half))
        return (half & 0x1FF) << 7

    def i2c_address(self, read: bool) -> bool:
        return True

    def i2c_write(self, data: bytes) -> None:
        if not data:
            return
        self.pointer = data[0] & 0x03
        if len(data) > 1 and self.pointer == 1:
            self.regs[1] = data[1]
        elif len(data) > 2 and self.pointer in (2, 3):
            self.regs[self.pointer] = (data[1] << 8 | data[2]) & 0xFF80

    def i2c_read(self, length: int) -> bytes:
        if self.pointer == 1:
            word = bytes([self.regs[1]])
        else:
            value = self._encode(self.temperature) if self.pointer == 0 else self.regs[self.pointer]
            word = value.to_bytes(2, "big")
        return (word * ((length // len(word)) + 1))[:length]

    def i2c_stop(self) -> None:
        pass


class RelaySim:
    """Coil on ``coil`` (output of the driver); contacts reported on ``sense``."""

    def __init__(self, clock: Clock, coil: SimGpioLine, sense: SimGpioLine,
                 operate_time: float = 0.010) -> None:
        self.clock = clock
        self.coil = coil
        self.sense = sense
        self.operate_time = operate_time
        self.stuck = False
        self.operations = 0
        self._timer: TimerHandle | None = None
        coil.listeners.append(self._coil_changed)
        sense.drive(coil.level)

    @property
    def contacts(self) -> str:
        return "normal" if self.sense.level else "bypass"

    def _coil_changed(self, energised: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.stuck:
            return

        def move() -> None:
            self._timer = None
            self.operations += 1
            self.sense.drive(energised)

        self._timer = self.clock.call_later(self.operate_time, move)


class WatchdogSim:
    """The board's watchdog timer; ``open()`` gives the device a driver talks to."""

    def __init__(self, clock: Clock, timeout: int = 60) -> None:
        self.clock = clock
        self.timeout = timeout
        self.resets: list[float] = []
        self.bootstatus = 0
        self.is_open = False
        self.armed = False
        self._timer: TimerHandle | None = None
        self._boot_flags_next = 0

    def open(self, device: str = "sim-watchdog") -> "SimWatchdogDevice":
        if self.is_open:
            raise WatchdogError("open", device, errno.EBUSY, "device is already open")
        self.is_open = True
        self.armed = True
        self._arm()
        return SimWatchdogDevice(self, device)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.clock.call_later(self.timeout, self._expire)

    def _expire(self) -> None:
        self._timer = None
        if not self.armed:
            return
        # The board resets: every process is gone, the next boot reports it.
        self.resets.append(self.clock.now())
        self.armed = False
        self.is_open = False
        self.bootstatus = WDIOF_CARDRESET

    def ping(self) -> None:
        if self.armed:
            self._arm()

    def disarm(self) -> None:
        self.armed = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class SimWatchdogDevice:
    def __init__(self, timer: WatchdogSim, device: str) -> None:
        self.timer = timer
        self.device = device
        self._magic = False
        self._closed = False

    def _check(self, op: str) -> None:
        if self._closed or not self.timer.is_open:
            raise WatchdogError(op, self.device, errno.EBADF, "device is not open")

    def write(self, data: bytes) -> None:
        self._check("write")
        self._magic = data.endswith(b"V")
        self.timer.ping()

    def get_timeout(self) -> int:
        self._check("WDIOC_GETTIMEOUT")
        return self.timer.timeout

    def set_timeout(self, seconds: int) -> int:
        self._check("WDIOC_SETTIMEOUT")
        if not 1 <= seconds <= 600:
            raise WatchdogError("WDIOC_SETTIMEOUT", self.device, errno.EINVAL,
                                f"timeout {seconds} s out of range 1-600")
        self.timer.timeout = seconds
        self.timer.ping()
        return seconds

    def get_bootstatus(self) -> int:
        self._check("WDIOC_GETBOOTSTATUS")
        return self.timer.bootstatus

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.timer.is_open:
            self.timer.is_open = False
            if self._magic:
                self.timer.disarm()

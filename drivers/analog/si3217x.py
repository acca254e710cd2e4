"""Si3217x ProSLIC driver (FXS port): linefeed, ringing cadence, hook, flash, caller ID.

The port thread calls :meth:`Si3217x.poll` every few ms (DAHDI's wctdm does the
same per 1 ms chunk) and the driver runs the channel's timing itself:

* ringing in the zone's cadence by switching LINEFEED between 4 (ringing) and
  2 (on-hook transmission, so caller ID can go out between bursts), back to
  forward active after the last burst; a ring trip ends it;
* hook: off-hook/on-hook must hold ``hook_debounce``; an on-hook shorter than
  ``rxflash`` followed by off-hook is a ``flash``, a longer one is ``onhook``
  (hang-up), as DAHDI's RXFLASH handling; shorter than ``flash_min`` is a glitch;
* caller ID: the message octets are fed to the SLIC's FSK generator (FSKDAT)
  500 ms after the first ring burst, while the line is in on-hook transmission.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Callable

from acd_core.clock import Clock
from acd_core.timers import TimerSpec, TimerTable
from drivers.bus.spi import SpiBus
from drivers.errors import ChipAbsent, ChipTimeout, DriverError
from drivers.analog.silabs_spi import CTRL_READ, CTRL_WRITE, SilabsRegisters
from drivers.locking import locked
from drivers.timing import Sleep

log = logging.getLogger(__name__)

LF_OPEN, LF_FWD_ACTIVE, LF_FWD_OHT, LF_TIP_OPEN, LF_RINGING = 0, 1, 2, 3, 4
LF_REV_ACTIVE, LF_REV_OHT, LF_RING_OPEN = 5, 6, 7
LINEFEED_NAMES = ("open", "forward active", "forward OHT", "tip open", "ringing",
                  "reverse active", "reverse OHT", "ring open")
REG_ID, REG_RESET, REG_RAMSTAT, REG_RAM_HI, REG_RAM_B0, REG_RAM_LO = 0, 1, 4, 5, 6, 10
REG_PCMMODE, REG_PCMTXLO, REG_IRQEN1 = 11, 12, 22
REG_LINEFEED, REG_LCRRTP, REG_FSKDAT = 30, 34, 58
LCR, RTP = 0x02, 0x01
RAM_VBAT, RAM_ILOOP, RAM_VTIP, RAM_VRING = 3, 10, 12, 13
V_LSB, I_LSB = 931.323e-9, 1.676e-9
EXPECTED_ID = 0x41


TIMERS = TimerTable(
    TimerSpec("hook_debounce", 0.02, "s", "a hook change must hold this long"),
    TimerSpec("flash_min", 0.05, "s", "on-hook shorter than this is a glitch"),
    TimerSpec("rxflash", 1.25, "s",
          "longest on-hook taken as a flash (DAHDI rxflash); longer is a hang-up"),
    TimerSpec("cid_delay", 0.5, "s", "caller ID starts this long after the first ring burst ends"),
    TimerSpec("oht_after_ring", 6.0, "s",
          "on-hook transmission kept after ringing stops (DAHDI OHT_TIMER)"),
    TimerSpec("ram_busy", 0.001, "s", "longest RAM access"),
)
RING_CADENCES = {"US": (2.0, 4.0), "UK": (0.4, 0.2, 0.4, 2.0), "EU": (1.0, 4.0),
                 "DE": (1.0, 4.0), "CN": (1.0, 4.0)}


@dataclass(frozen=True)
class LineMeasurement:
    tip: float
    ring: float
    vbat: float
    loop_ma: float

    @property
    def tip_ring(self) -> float:
        return self.tip - self.ring


class Si3217x(SilabsRegisters):
    def __init__(self, spi: SpiBus, clock: Clock, sleep: Sleep, port: int = 1, channel: int = 0,
                 zone: str = "EU", rxflash: float | None = None,
                 on_event: Callable[[int, str], None] | None = None) -> None:
        self.spi = spi
        self._lock = threading.RLock()
        self.clock = clock
        self.sleep = sleep
        self.port = port
        self.channel = channel
        self.cadence = RING_CADENCES[zone]
        self.rxflash = rxflash if rxflash is not None else TIMERS["rxflash"]
        self.on_event = on_event
        self.events: deque[tuple[float, str]] = deque(maxlen=256)
        self.offhook = False
        self._raw_hook = False
        self._raw_since = 0.0
        self._onhook_at: float | None = None
        self._ring_start: float | None = None
        self._ring_until: float | None = None
        self._cid: bytes | None = None
        self._cid_at: float | None = None
        self._idle_state = LF_FWD_ACTIVE
        self._oht_until: float | None = None

    # ---------------------------------------------------------------- SPI
    def _ctrl(self, read: bool) -> int:
        cid = int(f"{self.channel & 0x1F:05b}"[::-1], 2)
        return (CTRL_READ if read else CTRL_WRITE) | cid

    def _where(self) -> str:
        return f"FXS port {self.port} on {self.spi.device}"

    def _ram_wait(self) -> None:
        deadline = self.clock.now() + TIMERS["ram_busy"]
        while self.read(REG_RAMSTAT) & 0x01:
            if self.clock.now() >= deadline:
                raise ChipTimeout(f"ProSLIC RAM access did not finish ({self._where()})",
                                  part="si3217x", port=self.port)
            self.sleep(0.00002)

    @locked
    def read_ram(self, addr: int) -> int:
        self._ram_wait()
        self.write(REG_RAM_HI, (addr >> 8) << 5)
        self.write(REG_RAM_LO, addr & 0xFF)
        self._ram_wait()
        b0, b1, b2, b3 = (self.read(REG_RAM_B0 + i) for i in range(4))
        return (b0 >> 3) | b1 << 5 | b2 << 13 | b3 << 21

    @locked
    def write_ram(self, addr: int, value: int) -> None:
        self._ram_wait()
        self.write(REG_RAM_HI, (addr >> 8) << 5)
        value &= 0x1FFFFFFF
        for i, v in enumerate(((value & 0x1F) << 3, (value >> 5) & 0xFF, (value >> 13) & 0xFF,
                               (value >> 21) & 0xFF)):
            self.write(REG_RAM_B0 + i, v)
        self.write(REG_RAM_LO, addr & 0xFF)

    # ---------------------------------------------------------------- bring-up
    @locked
    def bring_up(self, timeslot: int = 0) -> str:
        ident = self.read(REG_ID)
        if ident == 0xFF:
            raise ChipAbsent(f"no ProSLIC answers ({self._where()}): every register reads 0xFF",
                             part="si3217x", port=self.port)
        if ident != EXPECTED_ID:
            raise DriverError(f"unexpected ProSLIC ID 0x{ident:02x} ({self._where()})",
                              part="si3217x", port=self.port, expected=f"0x{EXPECTED_ID:02x}")
        self.write(REG_RESET, 0x01)
        self.sleep(0.010)
        self.write_ram(0x5A, 0x12345678 & 0x1FFFFFFF)      # RAM read-back as the SPI test
        if self.read_ram(0x5A) != 0x12345678 & 0x1FFFFFFF:
            raise DriverError(f"ProSLIC RAM did not read back ({self._where()})",
                              part="si3217x", port=self.port)
        self.write(REG_PCMMODE, 0x11)                        # PCM on, A-law (sim value)
        self.set_pcm_timeslot(timeslot)
        self.write(REG_IRQEN1 + 1, LCR | RTP)
        self.set_linefeed(LF_FWD_ACTIVE)
        state = self.linefeed()
        if state != LF_FWD_ACTIVE:
            raise DriverError(f"linefeed stuck in {LINEFEED_NAMES[state]} ({self._where()})",
                              part="si3217x", port=self.port)
        self._raw_hook = self.offhook = bool(self.read(REG_LCRRTP) & LCR)
        self._raw_since = self.clock.now()
        return f"Si3217x id 0x{ident:02x}"

    # ---------------------------------------------------------------- linefeed
    @locked
    def set_linefeed(self, state: int) -> None:
        self.write(REG_LINEFEED, state & 0x0F)

    @locked
    def linefeed(self) -> int:
        return self.read(REG_LINEFEED) >> 4

    @locked
    def reverse_polarity(self, on: bool) -> None:
        self._idle_state = LF_REV_ACTIVE if on else LF_FWD_ACTIVE
        if self._ring_start is None:
            self.set_linefeed(self._idle_state)

    @locked
    def measure(self) -> LineMeasurement:
        def volts(raw: int) -> float:
            if raw & 0x10000000:
                raw -= 0x20000000
            return raw * V_LSB
        return LineMeasurement(tip=volts(self.read_ram(RAM_VTIP)), ring=volts(self.read_ram(RAM_VRING)),
                               vbat=volts(self.read_ram(RAM_VBAT)),
                               loop_ma=self.read_ram(RAM_ILOOP) * I_LSB * 1000)

    # ---------------------------------------------------------------- ringing
    @locked
    def ring(self, cid: bytes | None = None, bursts: int = 20) -> None:
        if self.offhook:
            raise DriverError(f"cannot ring an off-hook phone ({self._where()})",
                              part="si3217x", port=self.port)
        now = self.clock.now()
        self._ring_start = now
        self._ring_until = now + bursts * sum(self.cadence)
        self._cid = cid
        self._cid_at = now + self.cadence[0] + TIMERS["cid_delay"] if cid else None
        self.set_linefeed(LF_RINGING)

    @locked
    def stop_ring(self) -> None:
        if self._ring_start is None:
            return
        self._ring_start = None
        self._cid_at = None
        self._oht_until = self.clock.now() + TIMERS["oht_after_ring"]
        self.set_linefeed(LF_FWD_OHT if self._idle_state == LF_FWD_ACTIVE else LF_REV_OHT)

    @property
    def ringing(self) -> bool:
        return self._ring_start is not None

    def _cadence_state(self, now: float, ring_start: float) -> int:
        t = (now - ring_start) % sum(self.cadence)
        for i, seg in enumerate(self.cadence):
            if t < seg:
                return LF_RINGING if i % 2 == 0 else LF_FWD_OHT
            t -= seg
        return LF_FWD_OHT

    @locked
    def send_cid(self, message: bytes) -> None:
        """Feed caller-ID octets to the FSK generator (line must be in on-hook transmission)."""
        if self.linefeed() not in (LF_FWD_OHT, LF_REV_OHT):
            raise DriverError(f"caller ID needs on-hook transmission ({self._where()})",
                              part="si3217x", port=self.port)
        for octet in message:
            self.write(REG_FSKDAT, octet)

    # ---------------------------------------------------------------- poll
    def _event(self, kind: str) -> None:
        self.events.append((self.clock.now(), kind))
        log.info("fxs port=%d %s", self.port, kind)
        if self.on_event is not None:
            self.on_event(self.port, kind)

    @locked
    def poll(self) -> None:
        now = self.clock.now()
        lcrrtp = self.read(REG_LCRRTP)
        if lcrrtp == 0xFF:               # all ones: maybe nobody drives MISO
            self.check_answering()
        raw = bool(lcrrtp & LCR) or bool(lcrrtp & RTP)
        if self._ring_start is not None:
            if raw or (self._ring_until is not None and now >= self._ring_until):
                if raw:
                    self._ring_start = None
                    self.set_linefeed(self._idle_state)     # ring trip: answered
                else:
                    self.stop_ring()
            else:
                want = self._cadence_state(now, self._ring_start)
                if self.linefeed() != want:
                    self.set_linefeed(want)
                if self._cid_at is not None and now >= self._cid_at and want == LF_FWD_OHT:
                    self._cid_at = None
                    self.send_cid(self._cid or b"")
        elif self._oht_until is not None and now >= self._oht_until:
            self._oht_until = None
            self.set_linefeed(self._idle_state)
        self._hook(raw, now)

    def busy(self) -> bool:
        """Ringing, or a hook change being debounced: polled fast while so (simulated card)."""
        return self._ring_start is not None or self._raw_hook != self.offhook

    def _hook(self, raw: bool, now: float) -> None:
        if raw != self._raw_hook:
            # a hook change is rare: make sure it is the phone and not a SLIC gone
            # silent with MISO pulled low (LCRRTP 0x00 reads as on-hook)
            self.check_answering()
            self._raw_hook = raw
            self._raw_since = now
        stable = now - self._raw_since >= TIMERS["hook_debounce"] - 1e-9
        if stable and raw != self.offhook:
            self.offhook = raw
            if raw:
                if self._onhook_at is not None:
                    gone = self._raw_since - self._onhook_at
                    self._onhook_at = None
                    if gone >= TIMERS["flash_min"]:
                        self._event("flash")
                    # shorter: a glitch, the call goes on
                else:
                    self._event("offhook")
            else:
                self._onhook_at = self._raw_since
        if (not self.offhook and self._onhook_at is not None
                and now - self._onhook_at > self.rxflash):
            self._onhook_at = None
            self._event("onhook")

    # ---------------------------------------------------------------- PCM timeslot
    @locked
    def set_pcm_timeslot(self, timeslot: int) -> None:
        """Transmit and receive at bit offset ``timeslot * 8`` of the PCM frame.

        The offset is 10 bits wide, split over a low and a high register for each
        direction (PCMTXLO/HI 12/13, PCMRXLO/HI 14/15); writing only the low one
        wraps slot 32 onto slot 0.
        """
        if not 0 <= timeslot < 128:
            raise ValueError(f"PCM timeslot must be 0-127, not {timeslot}")
        start = timeslot * 8
        for lo in (REG_PCMTXLO, REG_PCMTXLO + 2):
            self.write(lo, start & 0xFF)
            self.write(lo + 1, start >> 8)

    @locked
    def pcm_timeslot(self) -> int:
        """The transmit timeslot the chip holds (what a read-back of 12/13 says)."""
        return (self.read(REG_PCMTXLO) | (self.read(REG_PCMTXLO + 1) & 0x03) << 8) // 8

    # ---------------------------------------------------------------- presence
    @locked
    def answering(self) -> bool:
        return self.read(REG_ID) == EXPECTED_ID

    def check_answering(self) -> None:
        """Raise :class:`ChipAbsent` if the ProSLIC no longer answers, before an all-ones
        LCRRTP is taken for a phone off the hook."""
        if not self.answering():
            raise ChipAbsent(f"no ProSLIC answers ({self._where()}): ID register no longer "
                             f"reads 0x{EXPECTED_ID:02x}", part="si3217x", port=self.port,
                             device=self.spi.device, channel=self.channel)

"""Si3050 + Si3018/19 DAA driver (FXO port): bring-up, hook, ring, battery, polarity.

Bring-up is DAHDI wctdm24xxp's ``wctdm_init_voicedaa``: reg 2 must read 0x03,
soft reset and 100 ms, country registers, PCM timeslot, power the line side
(reg 6 = 0), wait up to 2 s for the ISOcap link (reg 11 [7:4] non-zero), check
reg 13 bit 6, on-hook with the line monitor on (reg 5 = 0x08).

Detection runs in :meth:`Si3050.poll`, called by the drivers' thread every 50 ms
while the line is quiet and every 2 ms while :meth:`Si3050.busy` (DAHDI looks every
1 ms); RDT and the latched RDTI make it busy before RDTP/RDTN can be seen
alternating. With DAHDI's numbers in :data:`TIMERS`:
ring = more than 2 RDTP/RDTN changes each within 128 ms, ring end after 128 ms
without; battery present at |LVS| >= 3 V held 64 ms, lost the same way, with a
RED ("no battery") channel alarm after 1 s; polarity reversal held 64 ms; a
parallel phone off-hook when we are on-hook and 3 V <= |LVS| < 10 V.
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


TIMERS = TimerTable(
    TimerSpec("ring_debounce", 0.128, "s", "longest gap between RDTP/RDTN changes of one ring"),
    TimerSpec("ring_end", 0.128, "s", "no ring bits this long ends the ring"),
    TimerSpec("battery_debounce", 0.064, "s", "battery present/absent must hold this long"),
    TimerSpec("battery_alarm", 1.0, "s", "no battery this long raises the RED channel alarm"),
    TimerSpec("polarity_debounce", 0.064, "s", "a polarity reversal must hold this long"),
    TimerSpec("isolink", 2.0, "s", "longest wait for the ISOcap link after powering the line side"),
    TimerSpec("reset", 0.1, "s", "wait after soft reset"),
)
SYSTEM_REVISIONS = {0: "A", 2: "B", 3: "C", 4: "D"}     # reg 11 [3:0]
LINE_SIDE_IDS = {1: "Si3018", 3: "Si3019"}              # reg 11 [7:4]
BATTERY_THRESHOLD = 3.0
OFFHOOK_THRESHOLD = 10.0
RING_TRANSITIONS = 2


@dataclass(frozen=True)
class Country:
    """fxo_modes.h fields the bring-up writes (reg 16/26/30/31) and the flash length."""

    name: str
    ohs: int = 0
    rz: int = 0
    rt: int = 0
    ilim: int = 0
    dcv: int = 3
    mini: int = 0
    acim: int = 0
    ohs2: int = 0
    flash: float = 0.1


COUNTRIES = {c.name: c for c in (
    Country("FCC", rt=1, dcv=3, flash=0.6),
    Country("TBR21", ilim=1, dcv=3, acim=2, flash=0.1),
    Country("GERMANY", ohs2=1, ilim=1, dcv=3, acim=3, flash=0.1),
    Country("UK", acim=5, flash=0.1),
    Country("CHINA", mini=3, acim=0xF, flash=0.1),
)}


class Si3050(SilabsRegisters):
    def __init__(self, spi: SpiBus, clock: Clock, sleep: Sleep, port: int = 1, channel: int = 0,
                 country: str = "TBR21", on_event: Callable[[int, str], None] | None = None) -> None:
        if country not in COUNTRIES:
            raise ValueError(f"country must be one of {', '.join(COUNTRIES)}")
        self.spi = spi
        self._lock = threading.RLock()
        self.clock = clock
        self.sleep = sleep
        self.port = port
        self.channel = channel
        self.country = COUNTRIES[country]
        self.on_event = on_event
        self.events: deque[tuple[float, str]] = deque(maxlen=256)
        self.offhook = False
        self.ringing = False
        self.battery: bool | None = None
        self.alarm = False
        self.polarity = 0
        self.parallel_offhook = False
        self._ring_bits = 0
        self._ring_changes = 0
        self._ring_hint = False
        self._ring_last_change = -1.0
        self._last_poll: float | None = None
        self._batt_candidate: bool | None = None
        self._batt_since = 0.0
        self._batt_lost_at: float | None = None
        self._pol_candidate = 0
        self._pol_since = 0.0

    # ---------------------------------------------------------------- SPI
    def _ctrl(self, read: bool) -> int:
        return (CTRL_READ if read else CTRL_WRITE) | (self.channel & 0x7) << 2

    def _where(self) -> str:
        return f"FXO port {self.port} on {self.spi.device}"

    # ---------------------------------------------------------------- bring-up
    @locked
    def bring_up(self, timeslot: int = 0) -> str:
        reg2 = self.read(2)
        if reg2 == 0xFF:
            raise ChipAbsent(f"no DAA answers ({self._where()}): every register reads 0xFF",
                             part="si3050", port=self.port)
        if reg2 != 0x03:
            raise DriverError(f"DAA failed its sanity check ({self._where()}): reg 2 reads "
                              f"0x{reg2:02x}, expected 0x03", part="si3050", port=self.port)
        self.write(1, 0x80)
        self.sleep(TIMERS["reset"])
        c = self.country
        self.write(16, c.ohs << 6 | c.rz << 1 | c.rt)
        self.write(18, 0x02)
        self.write(24, 0x19)
        self.write(26, c.dcv << 6 | c.mini << 4 | c.ilim << 1)
        self.write(30, c.acim)
        self.write(31, 0xA3 | c.ohs2 << 3)
        self.write(33, 0x20)                          # PCM on, A-law
        start = timeslot * 8
        for reg in (34, 36):
            self.write(reg, start & 0xFF)
            self.write(reg + 1, start >> 8)
        self.write(6, 0x00)                           # power the line side
        deadline = self.clock.now() + TIMERS["isolink"]
        while not self.read(11) & 0xF0:
            if self.clock.now() >= deadline:
                raise ChipTimeout(f"VoiceDAA did not bring up ISO link properly ({self._where()})",
                                  part="si3050", port=self.port)
            self.sleep(0.010)
        if not self.read(13) & 0x40:
            raise DriverError(f"line side is not a DAA ({self._where()}): reg 13 bit 6 clear",
                              part="si3050", port=self.port)
        self.write(5, 0x08)
        self.write(3, 0x89)                           # RDT, DOD, POL interrupts
        rev = self.read(11)
        system = SYSTEM_REVISIONS.get(rev & 0x0F, f"0x{rev & 0x0F:x}")
        line = LINE_SIDE_IDS.get(rev >> 4, f"line side 0x{rev >> 4:x}")
        return f"Si3050 rev {system} + {line}"

    # ---------------------------------------------------------------- hook
    @locked
    def off_hook(self) -> None:
        self.write(5, 0x09)
        self.offhook = True
        self.ringing = False

    @locked
    def on_hook(self) -> None:
        self.write(5, 0x08)
        self.offhook = False

    @locked
    def hook_flash(self) -> float:
        """On-hook for the country's flash time, then off-hook again."""
        self.write(5, 0x08)
        self.sleep(self.country.flash)
        self.write(5, 0x09)
        return self.country.flash

    @locked
    def line_voltage(self) -> int:
        v = self.read(29)
        return v - 256 if v & 0x80 else v

    @locked
    def loop_current_ma(self) -> float:
        lcs = self.read(12) & 0x1F
        return lcs * 3.3

    # ---------------------------------------------------------------- detection
    def _event(self, kind: str) -> None:
        now = self.clock.now()
        self.events.append((now, kind))
        log.info("fxo port=%d %s", self.port, kind)
        if self.on_event is not None:
            self.on_event(self.port, kind)

    @locked
    def poll(self) -> None:
        now = self.clock.now()
        reg5 = self.read(5)
        if reg5 == 0xFF or not reg5 & 0x08:
            # RDTP and RDTN at once, or ONHM clear although every write of ours sets it:
            # not a DAA talking (MISO floating high or pulled low)
            self.check_answering()
        lvs = self.line_voltage()
        self._detect_battery(abs(lvs) >= BATTERY_THRESHOLD, now)
        gap = now - self._last_poll if self._last_poll is not None else 0.0
        self._last_poll = now
        # RDT (a ring is occurring) and the latched RDTI: the ring's first sign even when
        # this poll and the last landed where RDTP/RDTN read nothing (a poll interval
        # that is a multiple of the ring period samples one phase every time)
        self._ring_hint = bool(reg5 & 0x04)
        reg4 = self.read(4)
        if reg4 & 0x80:
            self.write(4, reg4 & ~0x80 & 0xFF)
            self._ring_hint = True
        if self.battery:
            self._detect_ring(reg5 & 0x60, now, gap)
            self._detect_polarity(1 if lvs > 0 else -1, now)
        was = self.parallel_offhook
        self.parallel_offhook = (not self.offhook and bool(self.battery)
                                 and BATTERY_THRESHOLD <= abs(lvs) < OFFHOOK_THRESHOLD and not self.ringing)
        if self.parallel_offhook != was:
            self._event("parallel_offhook" if self.parallel_offhook else "parallel_onhook")

    def _detect_battery(self, present: bool, now: float) -> None:
        if present != self._batt_candidate:
            self._batt_candidate = present
            self._batt_since = now
        elif present != self.battery and now - self._batt_since >= TIMERS["battery_debounce"] - 1e-9:
            first = self.battery is None
            self.battery = present
            if present:
                self._batt_lost_at = None
                if self.alarm:
                    self.alarm = False
                    self._event("alarm_clear")
                if not first:
                    self._event("battery")
            else:
                self._batt_lost_at = now
                self.ringing = False
                self._event("no_battery")       # DAHDI: ONHOOK event towards the channel
        # the alarm counts from the loss itself, which the debounce declared 64 ms late
        alarm_after = TIMERS["battery_alarm"] - TIMERS["battery_debounce"]
        if (self.battery is False and self._batt_lost_at is not None and not self.alarm
                and now - self._batt_lost_at >= alarm_after - 1e-9):
            self.alarm = True
            self._event("alarm_red")

    def _detect_ring(self, bits: int, now: float, gap: float) -> None:
        """``gap``: time since the previous poll (0 at the first)."""
        if bits and bits != self._ring_bits:
            if now - self._ring_last_change <= TIMERS["ring_debounce"]:
                self._ring_changes += 1
            else:
                self._ring_changes = 1
            self._ring_last_change = now
            self._ring_bits = bits
            if not self.ringing and self._ring_changes > RING_TRANSITIONS and not self.offhook:
                self.ringing = True
                self._event("ring")
        elif self.ringing and gap > TIMERS["ring_end"]:
            # we were not looking for longer than a ring pause (a late poll): the bits
            # may read as before only because the ring signal's phase came round again,
            # so the ring's end is judged from this poll on, not from the last change
            self._ring_last_change = now
        elif self.ringing and now - self._ring_last_change > TIMERS["ring_end"]:
            self.ringing = False
            self._ring_bits = 0
            self._ring_changes = 0
            self._event("ring_end")

    def _detect_polarity(self, pol: int, now: float) -> None:
        if self.polarity == 0:
            self.polarity = pol
            return
        if pol != self._pol_candidate:
            self._pol_candidate = pol
            self._pol_since = now
        elif pol != self.polarity and now - self._pol_since >= TIMERS["polarity_debounce"] - 1e-9:
            self.polarity = pol
            self._event("polarity")

    def busy(self) -> bool:
        """Something is changing on the line (a ring signal or its first sign, a debounce
        under way): the card is polled fast while any part is busy, because RDTP/RDTN
        must be sampled many times per ring period to be seen alternating."""
        return bool(self._ring_bits or self.ringing or self._ring_hint
                    or self._pol_candidate != self.polarity
                    or self._batt_candidate != self.battery)

    @property
    def cid_window_open(self) -> bool:
        """On-hook line monitor on and not ringing: FSK/DTMF caller ID can be received."""
        return not self.offhook and not self.ringing and bool(self.battery)

    # ---------------------------------------------------------------- presence
    @locked
    def answering(self) -> bool:
        """Reg 2 reads 0x03 (DAHDI's sanity value; the driver never writes it)."""
        return self.read(2) == 0x03

    def check_answering(self) -> None:
        """Raise :class:`ChipAbsent` if the DAA no longer answers, before any line state
        (battery, ring, hook) is derived from its all-ones reads."""
        if not self.answering():
            raise ChipAbsent(f"no DAA answers ({self._where()}): reg 2 no longer reads 0x03",
                             part="si3050", port=self.port, device=self.spi.device,
                             channel=self.channel)

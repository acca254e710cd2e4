"""Si3050 + Si3018 DAA register-level simulator (FXO port).

SPI framing as the silicon: chip select rises after every byte, so a register
access is three CS frames ``control, register, data`` (control 0x20 write, 0x60
read; daisy-chain channel bits in [4:2], this chip answers ``channel``). A frame
longer than one byte is a protocol error the chip ignores (MISO stays high), as
it would be on the card.

Registers from the line model (:class:`~drivers.sim.fxo_line.FxoLineSim`): LVS
(29, signed volts), LCS (12, 3.3 mA/bit, 0x1F overload), RDT in reg 5 for the whole
ring burst and RDTP/RDTN following the ring signal's half-waves above the ring
threshold; reg 4 latches RDTI/POLI/DODI, cleared by writing 0. Reg 2 reads 0x03
after reset; reg 11 stays 0 until reg 6 powers the line side (PDL clear) and the
ISOcap link has come up (100 ms here).

PCM: the line's audio (:attr:`FxoLineSim.audio`) goes out in the port's TDM byte
(:meth:`pcm_tx`) while reg 33 PCME (0x20) is set, the line side is powered and
the receive path is open: off-hook (reg 5 OH) or on-hook line monitor (ONHM,
0x08), as for caller ID. A-law, or µ-law when reg 33 PCMF (bits 4:3) is 01.
The ring burst itself is not put on the PCM path (sim). The other way, what
the box writes in the slot of reg 36/37 goes to the line (``FxoLineSim.receive``)
while we are off-hook with the line side up.
"""
from __future__ import annotations

from acd_core.clock import Clock
from acd_core.g711 import alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear
from drivers.sim.fxo_line import FxoLineSim
from drivers.sim.pcm import ALAW_SILENCE, Gate, gated, sample_at
from drivers.sim.silabs_spi import SilabsSpiChip

REG6_PDL = 0x10
REG33_PCME = 0x20
RESET = {2: 0x03, 6: 0x70, 13: 0x00}
ISOLINK_DELAY = 0.100
SYSTEM_REV = 0x4      # rev D
LINE_SIDE_ID = 0x1    # Si3018
LINE_REV = 0x3


class Si3050Sim(SilabsSpiChip):
    def __init__(self, clock: Clock, line: FxoLineSim, channel: int = 0) -> None:
        self.clock = clock
        self.line = line
        self.channel = channel
        self.isocap_broken = False
        self.protocol_errors = 0
        self.resets = 0
        line.monitor = lambda: bool(self.regs[5] & 0x08)
        self.pcm_gate = Gate()
        self._reset()
        self._state = 0
        self._ctrl = 0
        self._reg = 0

    def _reset(self) -> None:
        self.regs = bytearray(256)
        for k, v in RESET.items():
            self.regs[k] = v
        self._link_up_at: float | None = None
        self._last_ring = False
        self._last_pol = 0
        self._last_batt = False
        self.resets += 1
        self.line.set_hook(False)
        self._update_pcm()

    # ---------------------------------------------------------------- SPI
    CTRL_CHECK = 0xE3               # bits 1:0 are reserved and must be 0

    def _addressed(self, ctrl: int) -> bool:
        return (ctrl >> 2) & 0x7 == self.channel

    # ---------------------------------------------------------------- registers
    def _link_up(self) -> bool:
        return (self._link_up_at is not None and not self.isocap_broken
                and self.clock.now() >= self._link_up_at)

    def read_reg(self, reg: int) -> int:
        self._sample()
        if reg == 11:
            return (LINE_SIDE_ID << 4 | SYSTEM_REV) if self._link_up() else 0
        if not self._link_up() and reg in (5, 12, 13, 29):
            return self.regs[reg] & 0x0B if reg == 5 else 0
        if reg == 13:
            return 0x40 | (LINE_REV << 2)
        if reg == 12:
            lcs = int(self.line.loop_ma() / 3.3)
            return min(lcs, 0x1F)
        if reg == 29:
            v = int(round(self.line.tip_ring_volts()))
            return max(-128, min(127, v)) & 0xFF
        if reg == 5:
            bits = self.regs[5] & 0x0B
            if self.line.ringing():
                # RDT says "a ring is occurring" for the whole burst; RDTP/RDTN follow the
                # half-waves above the ring threshold
                half = self.line.ring_half()
                bits |= 0x04 | (0x20 if half > 0 else 0x40 if half < 0 else 0)
            return bits
        return self.regs[reg]

    def write_reg(self, reg: int, value: int) -> None:
        self._sample()
        if reg == 1 and value & 0x80:
            self._reset()
            return
        if reg == 4:
            self.regs[4] &= value           # write 0 to clear a source bit
            return
        if reg in (11, 12, 13, 29):
            return
        self.regs[reg] = value
        if reg == 6:
            if not value & REG6_PDL and self._link_up_at is None:
                self._link_up_at = self.clock.now() + ISOLINK_DELAY
            elif value & REG6_PDL:
                self._link_up_at = None
        if reg == 5:
            self.line.set_hook(bool(value & 0x01) and self._link_up())
        if reg in (5, 6, 33):
            self._update_pcm()

    # ---------------------------------------------------------------- PCM
    def _update_pcm(self) -> None:
        on = (bool(self.regs[33] & REG33_PCME) and not self.regs[6] & REG6_PDL
              and bool(self.regs[5] & 0x09))
        self.pcm_gate.set(sample_at(self.clock.now()), on)

    def pcm_tx(self, start: int, n: int) -> bytes:
        """This port's TDM bytes for samples ``[start, start + n)``."""
        self.line.audio.forget(start)
        self.pcm_gate.forget(start)
        pcm = gated(self.line.audio, self.pcm_gate, start, n)
        return linear_to_ulaw(pcm) if (self.regs[33] >> 3) & 3 == 1 else linear_to_alaw(pcm)

    def pcm_rx(self, start: int, data: bytes) -> None:
        """What the box sends in our receive slot goes down the line while we are off-hook."""
        if not (self.regs[33] & REG33_PCME and not self.regs[6] & REG6_PDL
                and self.regs[5] & 0x01 and self._link_up()):
            return
        ulaw = (self.regs[33] >> 3) & 3 == 1
        silent = data.count(0xFF if ulaw else ALAW_SILENCE) == len(data)
        self.line.receive(start, ulaw_to_linear(data) if ulaw else alaw_to_linear(data), silent)

    @property
    def tx_timeslot(self) -> int | None:
        """The PCM slot this chip drives (reg 34/35 bit offset / 8), None while PCM is off."""
        if not self.regs[33] & REG33_PCME:
            return None
        return (self.regs[34] | (self.regs[35] & 0x03) << 8) // 8

    @property
    def rx_timeslot(self) -> int | None:
        """The PCM slot this chip listens to (reg 36/37), None while PCM is off."""
        if not self.regs[33] & REG33_PCME:
            return None
        return (self.regs[36] | (self.regs[37] & 0x03) << 8) // 8

    def _sample(self) -> None:
        """Latch interrupt sources from the line (reg 4)."""
        if not self._link_up():
            return
        ring = self.line.ringing()
        if ring and not self._last_ring:
            self.regs[4] |= 0x80
        self._last_ring = ring
        v = self.line.tip_ring_volts()
        pol = 1 if v > 0 else (-1 if v < 0 else 0)
        if pol and self._last_pol and pol != self._last_pol:
            self.regs[4] |= 0x01
        if pol:
            self._last_pol = pol
        batt = abs(v) >= 3
        if self._last_batt and not batt and self.line.offhook:
            self.regs[4] |= 0x08
        self._last_batt = batt

"""Si3217x ProSLIC register-level simulator (FXS port) with a phone on the line.

SPI: three one-byte CS frames ``control, register, data``; control = 0x20
(register write) / 0x60 (register read) with the channel id in bits 4:0 sent
bit-reversed (AN340 convention, (sim)). RAM is reached through RAM_ADDR_HI (5),
RAM_DATA_B0-B3 (6-9) and RAM_ADDR_LO (10): writing RAM_ADDR_LO starts the
cycle (a write if data octets were written since the last cycle, else a
read; (sim)), RAMSTAT (4) bit 0 is busy for 20 us; a 29-bit word is split B0[7:3]=d[4:0], B1=d[12:5], B2=d[20:13], B3=d[28:21].

LINEFEED (30): low nibble is the state written, high nibble the state the line
is in. Ringing only in state 4, on-hook transmission (FSK caller ID) in 2/6,
reverse polarity in 5/6. LCRRTP (34): loop closure and ring trip; a ring trip
puts the line in forward active by itself, as the ProSLIC's auto ring-trip does.
IRQ0-4 (17-21) are clear on read (sim choice). Voltages in RAM use 931.323 nV
per LSB and currents 1.676 nA per LSB (sim choices; the ProSLIC API's scale
constants were not available here).

PCM: the phone's audio (:attr:`PhoneSim.audio`, its DTMF keys) goes out in the
port's TDM byte (:meth:`pcm_tx`, A-law) while PCMMODE (11) bit 4 (PCM enable,
(sim)) is set and the linefeed feeds the loop (states 1, 2, 5, 6). The slot is
the 10-bit bit offset in PCMTXLO/PCMTXHI (12/13) divided by 8; what the box
sends arrives from the slot in PCMRXLO/PCMRXHI (14/15).
"""
from __future__ import annotations

from acd_core.clock import Clock
from acd_core.g711 import alaw_to_linear, linear_to_alaw
from drivers.sim.fxs_phone import PhoneSim
from drivers.sim.pcm import ALAW_SILENCE, Gate, gated, sample_at
from drivers.sim.silabs_spi import SilabsSpiChip

ID_VALUE = 0x41          # (sim) part/revision code the driver expects
REG_ID, REG_RESET, REG_RAMSTAT, REG_RAM_HI = 0, 1, 4, 5
REG_RAM_B0, REG_RAM_LO, REG_PCMMODE = 6, 10, 11
REG_PCMTXLO, REG_PCMRXLO = 12, 14      # each followed by its HI register (offset bits 9:8)
REG_IRQ0, REG_IRQEN1 = 17, 22
REG_LINEFEED, REG_POLREV, REG_LCRRTP, REG_RINGCON = 30, 31, 34, 38
REG_FSKDAT = 58
LCRRTP_LCR, LCRRTP_RTP = 0x02, 0x01
IRQ2_LCR, IRQ2_RTP = 0x02, 0x01
RAM_VBAT, RAM_ILOOP, RAM_VTIP, RAM_VRING = 3, 10, 12, 13
V_LSB = 931.323e-9
I_LSB = 1.676e-9
VBAT = 56.0
RAM_BUSY = 20e-6
ILIM = 0.022
OFFHOOK_V = 8.0
PCMMODE_EN = 0x10        # (sim)


def _reverse5(v: int) -> int:
    return int(f"{v & 0x1F:05b}"[::-1], 2)


class Si3217xSim(SilabsSpiChip):
    def __init__(self, clock: Clock, phone: PhoneSim, channel: int = 0) -> None:
        self.clock = clock
        self.phone = phone
        self.channel = channel
        self.protocol_errors = 0
        self.fsk_lost = 0
        self._state = 0
        self._ctrl = 0
        self._reg = 0
        self.pcm_gate = Gate()
        self._reset()

    def _reset(self) -> None:
        self.regs = bytearray(128)
        self.regs[REG_ID] = ID_VALUE
        self.ram: dict[int, int] = {}
        self.irq = [0] * 5
        self._ram_busy_until = -1.0
        self._last_hook = False
        self._line_state = 0
        self._ring_trip = False
        self._ram_data_written = False
        self._update_pcm()

    # ---------------------------------------------------------------- SPI
    def _addressed(self, ctrl: int) -> bool:
        return _reverse5(ctrl) == self.channel

    # ---------------------------------------------------------------- line
    def _feeding(self) -> bool:
        return self._line_state in (1, 2, 5, 6)

    def _sample(self) -> None:
        p = self.phone
        hook = p.offhook and p.plugged
        if self._line_state == 4:
            if hook:                      # ring trip: the SLIC stops ringing by itself
                self._ring_trip = True
                self.irq[2] |= IRQ2_RTP
                self._line_state = 1
                self.regs[REG_LINEFEED] = (self.regs[REG_LINEFEED] & 0x0F) | 0x10
                p.ring_signal(False)
                self._update_pcm()
        loop = hook and self._feeding()
        if loop != self._last_hook:
            self.irq[2] |= IRQ2_LCR
            self._last_hook = loop

    def _volts(self) -> tuple[float, float, float]:
        """(tip, ring, loop current A) from the line state and the phone."""
        s = self._line_state
        if s == 0 or not self.phone.plugged and s != 4:
            return 0.0, 0.0, 0.0
        if s == 4:
            return -VBAT / 2, -VBAT / 2, 0.0   # averages of the AC ring signal
        rev = s in (5, 6)
        if self.phone.offhook and self._feeding():
            tip, ring, i = -2.0, -2.0 - OFFHOOK_V, ILIM
        else:
            tip, ring, i = -4.0, -(VBAT - 4.0), 0.0
        if s in (3, 7):                  # tip open / ring open
            tip, ring, i = (0.0, ring, 0.0) if s == 3 else (tip, 0.0, 0.0)
        return (ring, tip, i) if rev else (tip, ring, i)

    # ---------------------------------------------------------------- registers
    def read_reg(self, reg: int) -> int:
        self._sample()
        if reg == REG_LINEFEED:
            return (self._line_state << 4) | (self.regs[REG_LINEFEED] & 0x0F)
        if reg == REG_LCRRTP:
            return (LCRRTP_LCR if self._last_hook else 0) | (LCRRTP_RTP if self._ring_trip else 0)
        if REG_IRQ0 <= reg < REG_IRQ0 + 5:
            n = reg - REG_IRQ0
            v, self.irq[n] = self.irq[n], 0
            return v
        if reg == 16:
            return sum(1 << n for n in range(5) if self.irq[n])
        if reg == REG_RAMSTAT:
            return 0x01 if self.clock.now() < self._ram_busy_until else 0x00
        return self.regs[reg]

    def write_reg(self, reg: int, value: int) -> None:
        self._sample()
        if reg == REG_RESET and value:
            self._reset()
            return
        if reg in (REG_ID, REG_LCRRTP, REG_RAMSTAT, 16) or REG_IRQ0 <= reg < REG_IRQ0 + 5:
            return
        self.regs[reg] = value
        if reg == REG_PCMMODE:
            self._update_pcm()
        if reg == REG_LINEFEED:
            self._set_line_state(value & 0x0F)
        elif reg == REG_RAM_LO:
            self._ram_cycle()
        elif REG_RAM_B0 <= reg < REG_RAM_B0 + 4:
            self._ram_data_written = True
        elif reg == REG_FSKDAT:
            if self._line_state in (2, 6) and not self.phone.offhook:
                self.phone.fsk(value)
            else:
                self.fsk_lost += 1

    def _set_line_state(self, state: int) -> None:
        if state > 7:
            return
        before = self._line_state
        self._line_state = state
        if state != 4:
            self._ring_trip = False
        self.phone.ring_signal(state == 4 and not self.phone.offhook)
        if (before in (5, 6)) != (state in (5, 6)) and state not in (0, 4):
            self.phone.polarity_seen.append((self.clock.now(), -1 if state in (5, 6) else 1))
        self._update_pcm()
        self._sample()

    # ---------------------------------------------------------------- PCM
    def _update_pcm(self) -> None:
        on = bool(self.regs[REG_PCMMODE] & PCMMODE_EN) and self._feeding()
        self.pcm_gate.set(sample_at(self.clock.now()), on)

    def pcm_tx(self, start: int, n: int) -> bytes:
        """This port's TDM bytes (A-law) for samples ``[start, start + n)``."""
        self.phone.audio.forget(start)
        self.pcm_gate.forget(start)
        return linear_to_alaw(gated(self.phone.audio, self.pcm_gate, start, n))

    def pcm_rx(self, start: int, data: bytes) -> None:
        """What the box sends in our receive slot reaches the phone while the loop is fed
        (active or on-hook transmission: caller ID FSK goes this way, A-law)."""
        if not (self.regs[REG_PCMMODE] & PCMMODE_EN and self._feeding()):
            return
        self.phone.receive(start, alaw_to_linear(data), data.count(ALAW_SILENCE) == len(data))

    @property
    def tx_timeslot(self) -> int | None:
        """The PCM slot this chip drives (10-bit offset in PCMTXLO/HI), None while PCM is off."""
        if not self.regs[REG_PCMMODE] & PCMMODE_EN:
            return None
        return (self.regs[REG_PCMTXLO] | (self.regs[REG_PCMTXLO + 1] & 0x03) << 8) // 8

    @property
    def rx_timeslot(self) -> int | None:
        """The PCM slot this chip listens to (PCMRXLO/HI), None while PCM is off."""
        if not self.regs[REG_PCMMODE] & PCMMODE_EN:
            return None
        return (self.regs[REG_PCMRXLO] | (self.regs[REG_PCMRXLO + 1] & 0x03) << 8) // 8

    def _ram_cycle(self) -> None:
        addr = (self.regs[REG_RAM_HI] >> 5) << 8 | self.regs[REG_RAM_LO]
        self._ram_busy_until = self.clock.now() + RAM_BUSY
        # ProSLIC API: a write cycle is B0-B3 then the address; a read is the address only.
        # (sim) the chip tells them apart by whether data octets were written since the last cycle.
        if self._ram_data_written:
            self._ram_data_written = False
            b = self.regs[REG_RAM_B0:REG_RAM_B0 + 4]
            self.ram[addr] = (b[0] >> 3) | b[1] << 5 | b[2] << 13 | b[3] << 21
            return
        value = self._ram_read(addr) & 0x1FFFFFFF
        self.regs[REG_RAM_B0] = (value & 0x1F) << 3
        self.regs[REG_RAM_B0 + 1] = (value >> 5) & 0xFF
        self.regs[REG_RAM_B0 + 2] = (value >> 13) & 0xFF
        self.regs[REG_RAM_B0 + 3] = (value >> 21) & 0xFF

    def _ram_read(self, addr: int) -> int:
        tip, ring, i = self._volts()
        def enc_v(v: float) -> int:
            return int(round(v / V_LSB)) & 0x1FFFFFFF
        if addr == RAM_VBAT:
            return enc_v(-VBAT)
        if addr == RAM_VTIP:
            return enc_v(tip)
        if addr == RAM_VRING:
            return enc_v(ring)
        if addr == RAM_ILOOP:
            return int(round(i / I_LSB)) & 0x1FFFFFFF
        return self.ram.get(addr, 0)

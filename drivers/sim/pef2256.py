"""PEF2256 (FALC56) register-level simulator: one E1 framer with its HDLC controller.

It is a :class:`~drivers.bus.spi.SpiTarget` (CS frame ``[cmd, addr, data...]``,
cmd bit 7 = read, address auto-increment except on the FIFO window) with an IRQ
output on a :class:`~drivers.bus.gpio.SimGpioLine` (active low). Time moves in
2 ms multiframes driven by the :class:`~drivers.sim.e1cable.E1Cable` it is
plugged into; every register access first brings the cable up to the clock, so
what the driver reads is what the chip would show at that instant.

Modelled: identity (VSTR/WID), reset values, IMR masks, clear-on-read ISR0-5 and
GIS, GCR.SCI status interrupts on set and clear, FRS0 from the receiver, 1 s
latched error counters (FMR1.ECM) with ISR3.SEC/ES, IERR one-shot insertion,
FMR0.SIM alarm simulation, local/remote/payload loopbacks, TS0 generation with
CRC-4 and E bits, RAI (XSW.XRA or automatic FMR2.AXRA), slips while clock master
with a clock offset on the cable, and the HDLC controller on the timeslots picked
in TTR/RTR: 2 x 32-octet FIFOs each way, RPF/RME with RBCL/RBCH and the trailing
RSIS octet, XPR/XDU/ALLS, RMC release, overrun (RDO) when the driver is slow and
a CMDR busy window (SIS.CEC) during which new commands are ignored. With
XSP.CASEN, TS16 carries the CAS multiframe from XS1-16 instead, and what arrives
is latched into RS1-16 with ISR0.CASC on a change.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from acd_core.clock import Clock
from drivers.bus.gpio import SimGpioLine
from drivers.e1 import regs as R
from drivers.sim.e1frame import (FRAME, MF_FRAMES, MF_OCTETS, RECEIVER_STATE, TS0_STATE,
                                 E1Receiver, RxResult, Ts0Tx)
from drivers.sim.hdlc import (DECODER_STATE, ENCODER_STATE, HdlcDecoder, HdlcEncoder,
                              ReceivedFrame)
from drivers.sim.steady import StateTable, items

if TYPE_CHECKING:
    from drivers.sim.e1cable import E1Cable

_RESET = {R.IMR0 + i: 0xFF for i in range(6)}
_RESET.update({R.VSTR: 0x05, R.WID: 0x00, R.FMR0: 0x00, R.FMR1: 0x00, R.FMR2: 0x00,
               R.XSW: 0x00, R.CCR1: 0x00, R.CCR2: 0x00, R.MODE: 0x00, R.SIS: R.SIS_XFW})
_READ_ONLY = {R.VSTR, R.WID, R.FRS0, R.FRS1, R.SIS, R.RSIS, R.RBCL, R.RBCH, R.GIS,
              *range(R.FECL, R.COECH + 1), *range(R.ISR0, R.ISR0 + 6)}
_COUNTERS = ("fec", "cvc", "cec1", "ebc", "bec", "coec")
IDLE_SLOT = 0xFF
FIFO_BLOCKS = 2
RX_BACKLOG_FRAMES = 16000   # 2 s of system-side receive frames kept for the TDM reader
SECOND_MF = 500             # multiframes per second: the error counters latch on this beat

# How a multiframe step (line_tx + line_rx) uses each field: drivers.sim.steady.
FRAMER_STATE = StateTable(
    "Pef2256Sim",
    key=("frs0", "_last_tx", "_last_line_rx", "system_capture", "slip_interval", "_errored",
         "_xpr_armed", "_rcount", "_roverflow", "_rread", "_next_slip_mf"),
    copied={"regs": bytes, "xs": bytes, "rs": bytes, "_system_tx": tuple, "_running": items,
            "_xstage": bytes, "_xblocks": tuple, "_rblocks": tuple, "_rfill": bytes,
            "_holdback": bytes},
    counters=("_mf_count",),     # the second beat and slips: steady_horizon() stops short of them
    events=("_raised",),
    parts={"rx": RECEIVER_STATE, "ts0": TS0_STATE, "enc": ENCODER_STATE, "dec": DECODER_STATE},
    ignored={
        "clock": "read by CMDR and SIS only, never by a step",
        "name": "a label",
        "irq": "driven only when an interrupt is raised (an event) or a register is accessed",
        "cec_time": "read by CMDR only",
        "cable": "read by IERR (a register write) only",
        "_system_rx": "written, never read, by a step: a skip appends what the witnessed "
                      "step appended (_captured)",
        "_captured": "what the last step appended to _system_rx, for skips",
        "ignored_commands": "counted by CMDR only",
        "spi_errors": "counted by the SPI side only",
        "isr": "set by a raise (an event: such a step is never skipped), cleared by reads",
        "_cec_until": "read by CMDR and SIS only",
        "_latched": "rewritten on the second beat, which is always computed",
    })


class Pef2256Sim:
    def __init__(self, clock: Clock, irq: SimGpioLine | None = None, name: str = "falc",
                 cec_time: float = 0.0002) -> None:
        self.clock = clock
        self.name = name
        self.irq = irq
        if irq is not None:
            irq.sampler = self.sync
        self.cec_time = cec_time
        self.cable: E1Cable | None = None
        self.slip_interval: float | None = None    # set by the cable's clock-offset fault
        self.system_capture = False
        self._captured = b""
        self._system_rx: deque[bytes] = deque(maxlen=RX_BACKLOG_FRAMES)
        self._system_tx: deque[bytes] = deque()
        self.ignored_commands = 0
        self.spi_errors = 0
        self.power_on_reset()

    # ---------------------------------------------------------------- reset
    def power_on_reset(self) -> None:
        self.regs = bytearray(256)
        for addr, value in _RESET.items():
            self.regs[addr] = value
        self.isr = [0] * 6
        self._raised = 0           # interrupts raised so far: a step that raised one is no witness
        self.frs0 = R.FRS0_LOS | R.FRS0_LFA
        self.rx = E1Receiver()
        self.ts0 = Ts0Tx()
        self._cec_until = -1.0
        self._running = {k: 0 for k in _COUNTERS}
        self._latched = {k: 0 for k in _COUNTERS}
        self._errored = False
        self._mf_count = 0
        self._next_slip_mf = None
        self._last_line_rx = bytes(MF_OCTETS)
        self.xs = bytearray([R.CAS_MF_IDLE] + [0xFF] * 15)   # CAS transmit, XS1-16
        self.rs = bytearray([0xFF] * 16)                      # CAS receive, RS1-16
        self._last_tx = bytes(MF_OCTETS)
        self._hdlc_reset_tx()
        self._hdlc_reset_rx()

    def _hdlc_reset_tx(self) -> None:
        self.enc = HdlcEncoder(idle_flags=bool(self.regs[R.CCR1] & R.CCR1_ITF))
        self.enc.on_frame_sent = self._frame_sent
        self._xstage = bytearray()
        self._xblocks: deque[tuple[bytes, bool]] = deque()
        self._xpr_armed = True
        self._raise(1, R.ISR1_XPR)

    def _hdlc_reset_rx(self) -> None:
        self.dec = HdlcDecoder()
        self.dec.on_octet = self._rx_octet
        self.dec.on_end = self._rx_end
        self._rblocks: deque[tuple[bytes, bool, int]] = deque()  # (octets, is_end, byte count)
        self._rfill = bytearray()
        self._rcount = 0
        self._roverflow = False
        self._rread = 0
        self._holdback = bytearray()

    # ---------------------------------------------------------------- SPI side
    def spi_frame(self, mosi: bytes) -> bytes:
        if len(mosi) < 2:
            self.spi_errors += 1
            return b"\xff" * len(mosi)
        self.sync()
        cmd, addr = mosi[0], mosi[1]
        out = bytearray(b"\xff\xff")
        if cmd & R.SPI_READ:
            for _ in mosi[2:]:
                out.append(self.read_reg(addr))
                if addr != R.FIFO:
                    addr = (addr + 1) & 0xFF
        else:
            for value in mosi[2:]:
                self.write_reg(addr, value)
                out.append(0xFF)
                if addr != R.FIFO:
                    addr = (addr + 1) & 0xFF
        return bytes(out)

    def read_reg(self, addr: int) -> int:
        if addr == R.FIFO:
            return self._fifo_read()
        if R.RS1 <= addr < R.RS1 + 16:
            return self.rs[addr - R.RS1]
        if R.ISR0 <= addr < R.ISR0 + 6:
            n = addr - R.ISR0
            value = self._visible(n)
            self.isr[n] &= ~value
            self._update_irq()
            return value
        if addr == R.GIS:
            return sum(1 << n for n in range(6) if self._visible(n))
        if addr == R.FRS0:
            return self.frs0
        if addr == R.FRS1:
            return 0
        if addr == R.SIS:
            v = R.SIS_XFW if self._xfifo_free() else 0
            if self.clock.now() < self._cec_until:
                v |= R.SIS_CEC
            return v
        if addr == R.RSIS:
            return self.regs[R.RSIS]
        if R.FECL <= addr <= R.COECH:
            idx, high = divmod(addr - R.FECL, 2)
            name = _COUNTERS[idx]
            if self.regs[R.FMR1] & R.FMR1_ECM:
                value = self._latched[name]
            else:
                value = self._running[name]
                if high:
                    self._running[name] = 0   # live counters clear when read (low byte first)
            return (value >> 8) & 0xFF if high else value & 0xFF
        return self.regs[addr]

    def write_reg(self, addr: int, value: int) -> None:
        if addr == R.FIFO:
            if len(self._xstage) < R.HDLC_FIFO_BLOCK:
                self._xstage.append(value)
            return
        if addr == R.CMDR:
            self._command(value)
            return
        if R.XS1 <= addr < R.XS1 + 16:
            self.xs[addr - R.XS1] = value
            return
        if addr in _READ_ONLY:
            return
        self.regs[addr] = value
        if addr == R.IERR:
            self._insert_errors(value)
            self.regs[R.IERR] = 0
        elif addr == R.CCR1:
            self.enc.idle_flags = bool(value & R.CCR1_ITF)
        elif R.IMR0 <= addr < R.IMR0 + 6:
            self._update_irq()
        elif addr in (R.FMR1, R.FMR2, R.RC0, R.XSW):
            self._apply_framing()

    def _apply_framing(self) -> None:
        rfs = self.regs[R.FMR2] & R.FMR2_RFS_MASK
        self.rx.crc4 = rfs in (R.FMR2_RFS_CRC4, R.FMR2_RFS_AUTO)
        self.rx.asy4 = bool(self.regs[R.RC0] & R.RC0_ASY4)
        self.ts0.crc4 = bool(self.regs[R.FMR1] & R.FMR1_XFS)
        self.ts0.sa = self.regs[R.XSW] & 0x1F

    # ---------------------------------------------------------------- interrupts
    def _visible(self, n: int) -> int:
        if self.regs[R.GCR] & R.GCR_VIS:
            return self.isr[n]
        return self.isr[n] & ~self.regs[R.IMR0 + n] & 0xFF

    def _raise(self, n: int, bits: int) -> None:
        self._raised += 1
        self.isr[n] |= bits
        self._update_irq()

    def _update_irq(self) -> None:
        if self.irq is None:
            return
        pending = any(self.isr[n] & ~self.regs[R.IMR0 + n] & 0xFF for n in range(6))
        self.irq.drive(not pending)   # active low

    # ---------------------------------------------------------------- CMDR
    def _command(self, value: int) -> None:
        now = self.clock.now()
        if now < self._cec_until:
            self.ignored_commands += 1
            return
        self._cec_until = now + self.cec_time
        if value & R.CMDR_SRES:
            self._hdlc_reset_tx()
            self._hdlc_reset_rx()
        if value & R.CMDR_RRES:
            self._hdlc_reset_rx()
        if value & R.CMDR_XRES:
            self._hdlc_reset_tx()
        if value & R.CMDR_RMC:
            if self._rblocks:
                self._rblocks.popleft()
                self._rread = 0
                self._present_rx_block()
        if value & (R.CMDR_XHF | R.CMDR_XTF):
            block = bytes(self._xstage)
            self._xstage.clear()
            end = bool(value & R.CMDR_XME)
            self._xblocks.append((block, end))
            self._xpr_armed = True
            self._feed_encoder()

    # ---------------------------------------------------------------- HDLC TX
    def _xfifo_free(self) -> bool:
        return len(self._xblocks) < FIFO_BLOCKS

    def _feed_encoder(self) -> None:
        """Move FIFO blocks into the shift register when it has room for them."""
        while self._xblocks and self.enc.pending_octets < R.HDLC_FIFO_BLOCK // 2:
            block, end = self._xblocks.popleft()
            self.enc.feed(block, end)
        if self._xfifo_free() and self._xpr_armed:
            self._xpr_armed = False
            self._raise(1, R.ISR1_XPR)

    def _frame_sent(self) -> None:
        if not self._xblocks and not self.enc.busy:
            self._raise(1, R.ISR1_ALLS)

    # ---------------------------------------------------------------- HDLC RX
    def _rx_octet(self, octet: int) -> None:
        if not self.regs[R.MODE] & R.MODE_HRAC:
            return
        if not self.regs[R.CCR2] & R.CCR2_RCRC:
            # hold the last two octets back: they are the FCS unless more follow
            self._holdback.append(octet)
            if len(self._holdback) <= 2:
                return
            octet = self._holdback.pop(0)
        self._rcount += 1
        if self._roverflow:
            return
        self._rfill.append(octet)
        if len(self._rfill) == R.HDLC_FIFO_BLOCK:
            if len(self._rblocks) >= FIFO_BLOCKS:
                self._roverflow = True       # the driver left both blocks unread
                self._rfill.clear()
                self._raise(1, R.ISR1_RDO)
                return
            self._rblocks.append((bytes(self._rfill), False, 0))
            self._rfill.clear()
            if len(self._rblocks) == 1:
                self._present_rx_block()

    def _rx_end(self, frame: ReceivedFrame) -> None:
        if not self.regs[R.MODE] & R.MODE_HRAC:
            return
        status = 0
        if frame.valid:
            status |= R.RSIS_VFR
        if frame.fcs_good:
            status |= R.RSIS_CRC16
        if frame.aborted:
            status |= R.RSIS_RAB
        if self._roverflow:
            status |= R.RSIS_RDO
        self._holdback.clear()
        tail = bytes(self._rfill) + bytes([status])
        count = self._rcount + 1
        if self._roverflow:
            tail = bytes([status])
        self._rfill.clear()
        self._rcount = 0
        self._roverflow = False
        if len(self._rblocks) >= FIFO_BLOCKS + 1:
            return  # nowhere to put even the status octet: the frame is lost
        self._rblocks.append((tail, True, count))
        if len(self._rblocks) == 1:
            self._present_rx_block()

    def _present_rx_block(self) -> None:
        if not self._rblocks:
            return
        octets, is_end, count = self._rblocks[0]
        if is_end:
            self.regs[R.RBCL] = count & 0xFF
            self.regs[R.RBCH] = (count >> 8) & 0x0F
            self.regs[R.RSIS] = octets[-1]
            self._raise(0, R.ISR0_RME)
        else:
            self._raise(0, R.ISR0_RPF)

    def _fifo_read(self) -> int:
        if not self._rblocks:
            return 0xFF
        octets = self._rblocks[0][0]
        if self._rread >= len(octets):
            return 0xFF
        value = octets[self._rread]
        self._rread += 1
        return value

    # ---------------------------------------------------------------- errors and alarms
    def _insert_errors(self, bits: int) -> None:
        if bits & R.IERR_IFASE:
            self.ts0.corrupt_fas += 1
        if bits & R.IERR_ICRCE:
            self.ts0.corrupt_crc += 1
        if bits & R.IERR_IMFE:
            self.ts0.corrupt_mfas += 1
        if bits & R.IERR_IBV and self.cable is not None:
            self.cable.add_bipolar_violations(self, 1)

    def _update_status(self, res: RxResult) -> None:
        if self.regs[R.FMR0] & R.FMR0_SIM:
            frs0 = R.FRS0_LOS | R.FRS0_AIS | R.FRS0_LFA | R.FRS0_RRA | R.FRS0_NMF | R.FRS0_LMFA
        else:
            frs0 = ((R.FRS0_LOS if res.los else 0) | (R.FRS0_AIS if res.ais else 0)
                    | (R.FRS0_LFA if res.lfa else 0) | (R.FRS0_RRA if res.rra else 0))
            if self.rx.crc4 and res.nmf and not res.lfa:
                frs0 |= R.FRS0_NMF | R.FRS0_LMFA
        changed = frs0 ^ self.frs0
        both = bool(self.regs[R.GCR] & R.GCR_SCI)
        isr2 = 0
        for bit, on_set, on_clear in ((R.FRS0_LOS, R.ISR2_LOS, R.ISR2_LOS),
                                      (R.FRS0_AIS, R.ISR2_AIS, R.ISR2_AIS),
                                      (R.FRS0_LFA, R.ISR2_LFA, R.ISR2_FAR),
                                      (R.FRS0_RRA, R.ISR2_RA, R.ISR2_RAR)):
            if changed & bit:
                if frs0 & bit:
                    isr2 |= on_set
                elif both:
                    isr2 |= on_clear
        if changed & R.FRS0_LMFA and not frs0 & R.FRS0_LMFA:
            isr2 |= R.ISR2_MFAR
        self.frs0 = frs0
        if isr2:
            self._raise(2, isr2)

    def _count(self, res: RxResult, bpv: int) -> None:
        run = self._running
        run["fec"] += res.fas_errors
        run["cec1"] += res.crc_errors
        run["ebc"] += res.ebit_errors
        run["cvc"] += bpv
        if res.frame_aligned_again:
            run["coec"] += 1
        if res.fas_errors or res.crc_errors or bpv or res.los or res.lfa:
            self._errored = True
        if self._mf_count % SECOND_MF == 0:        # one second of multiframes
            if self.regs[R.FMR1] & R.FMR1_ECM:
                self._latched = {k: min(v, 0xFFFF) for k, v in run.items()}
                for k in run:
                    run[k] = 0
            self._raise(3, R.ISR3_SEC | (R.ISR3_ES if self._errored else 0))
            self._errored = False

    # ---------------------------------------------------------------- line side (cable)
    def sync(self) -> None:
        if self.cable is not None:
            self.cable.sync()

    def system_tx(self, frames: list[bytes]) -> None:
        self._system_tx.extend(frames)

    def system_rx_backlog(self) -> int:
        """Received frames waiting for the TDM reader (the newest ends at ``cable.synced_until``)."""
        return len(self._system_rx)

    def system_rx(self, count: int) -> list[bytes]:
        out: list[bytes] = []
        while self._system_rx and len(out) < count:
            out.append(self._system_rx.popleft())
        return out

    def _hdlc_slots(self, base: int) -> list[int]:
        return [ts for ts in range(32) if self.regs[base + ts // 8] & (0x80 >> (ts % 8))]

    def line_tx(self) -> bytes:
        """The next multiframe this framer puts on the line."""
        if self.regs[R.LIM1] & R.LIM1_RL:
            self._last_tx = self._last_line_rx
            return self._last_tx
        if self.regs[R.FMR2] & R.FMR2_PLB:
            mf = bytearray(self._last_line_rx)
        elif self._system_tx:
            mf = bytearray()
            for _ in range(MF_FRAMES):
                mf += self._system_tx.popleft() if self._system_tx else b"\xff" * FRAME
        else:
            mf = bytearray(b"\xff" * MF_OCTETS)
        if not self.regs[R.FMR2] & R.FMR2_PLB and self.regs[R.XSP] & R.XSP_CASEN:
            mf[16::FRAME] = self.xs
        elif not self.regs[R.FMR2] & R.FMR2_PLB:
            slots = self._hdlc_slots(R.TTR1) if self.regs[R.CCR1] & R.CCR1_EITS else []
            if slots:
                k = len(slots)
                data = self.enc.take(MF_FRAMES * k)
                for j, ts in enumerate(slots):
                    mf[ts::FRAME] = data[j::k]
                self._feed_encoder()
                if self.enc.underruns:
                    self.enc.underruns = 0
                    self._raise(1, R.ISR1_XDU)
        self.ts0.rai = bool(self.regs[R.XSW] & R.XSW_XRA) or bool(
            self.regs[R.FMR2] & R.FMR2_AXRA and self.frs0 & (R.FRS0_LOS | R.FRS0_LFA))
        self.ts0.e_bits = self.rx.e_bits_to_send
        self.ts0.fill(mf)
        self._last_tx = bytes(mf)
        return self._last_tx

    def line_rx(self, mf: bytes, bpv: int = 0) -> None:
        """A multiframe arrives from the line (or from our own TX in local loop)."""
        self._last_line_rx = mf
        if self.regs[R.LIM0] & R.LIM0_LL:
            mf, bpv = self._last_tx, 0
        self._mf_count += 1
        res = self.rx.receive(mf)
        self._update_status(res)
        self._count(res, bpv)
        if not res.lfa and self.regs[R.XSP] & R.XSP_CASEN:
            ts16 = mf[16::FRAME]
            if ts16[0] >> 4 == 0 and ts16[1:] != self.rs[1:]:   # CAS multiframe word 0000 found
                self.rs[:] = ts16
                self._raise(0, R.ISR0_CASC)
        elif not res.lfa:
            slots = self._hdlc_slots(R.RTR1) if self.regs[R.CCR1] & R.CCR1_EITS else []
            if slots:
                k = len(slots)
                data = bytearray(MF_FRAMES * k)
                for j, ts in enumerate(slots):
                    data[j::k] = mf[ts::FRAME]
                self.dec.feed(bytes(data))
        if self.system_capture:      # the system side runs at 8000 frames/s whatever the line does
            src = self._captured = b"\xff" * MF_OCTETS if res.lfa else mf
            self._system_rx.extend(src[i:i + FRAME] for i in range(0, MF_OCTETS, FRAME))
        if self.slip_interval and self.regs[R.LIM0] & R.LIM0_MAS:
            every = max(1, int(self.slip_interval / 0.002))
            if self._mf_count % every == 0:
                self._raise(3, R.ISR3_RSP)

    # ---------------------------------------------------------------- steady line (drivers.sim.steady)
    def steady_key(self) -> tuple | None:
        """What decides this framer's next multiframe step; None while work is queued
        (TDM frames to send, HDLC frames on the way out or coming in, errors to insert)."""
        enc, ts0 = self.enc, self.ts0
        if (self._system_tx or self._xblocks or enc.busy or self.dec.in_frame
                or ts0.corrupt_fas or ts0.corrupt_crc or ts0.corrupt_mfas):
            return None
        return (ts0.e_bits is self.rx.e_bits_to_send, FRAMER_STATE.state(self))

    def steady_counts(self) -> tuple[int, ...]:
        return FRAMER_STATE.counts(self)

    def steady_memo(self, before: tuple[int, ...]) -> tuple | None:
        """After a step that started with ``before`` counts: what a skipped step adds,
        or None when the step did something visible."""
        deltas = FRAMER_STATE.deltas(self, before)
        if deltas is None:
            return None
        src = self._captured
        frames = (tuple(src[i:i + FRAME] for i in range(0, MF_OCTETS, FRAME))
                  if self.system_capture else ())
        return deltas, frames

    def steady_horizon(self) -> int:
        """Steps that may be skipped before the next one that latches the counters or slips."""
        m = self._mf_count
        n = (m // SECOND_MF + 1) * SECOND_MF - m - 1
        if self.slip_interval and self.regs[R.LIM0] & R.LIM0_MAS:
            every = max(1, int(self.slip_interval / 0.002))
            n = min(n, (m // every + 1) * every - m - 1)
        return n

    def steady_skip(self, n: int, memo: tuple) -> None:
        deltas, frames = memo
        FRAMER_STATE.advance(self, deltas, n)
        if frames:
            self._system_rx.extend(frames * min(n, RX_BACKLOG_FRAMES // MF_FRAMES + 1))

"""PEF2256 (FALC56) E1 framer driver: identity, E1 set-up, HDLC on TS16, alarms.

Talks to the chip over :class:`~drivers.bus.spi.SpiBus` (``[cmd, addr, data...]``
per CS frame) and services it when its IRQ line is low. The owner calls
:meth:`Pef2256.poll` from its driver thread (on the box: after each IRQ edge and
at least every 50 ms; on the simulator: :func:`drivers.sim.runner.run`).

Set-up follows the order of Linux ``pef2256.c`` with the values DAHDI's wct4xxp
writes for E1 (HDB3, CRC-4, CCS or CAS). Two choices differ from DAHDI and are
deliberate: FMR2.AXRA (automatic RAI) is left off so that RAI follows the
debounced RED/BLUE alarm exactly as the issue asks, and the HDLC receiver keeps
the FCS in the FIFO (CCR2.RCRC) so it can be counted and stripped here.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Callable

from acd_core.clock import Clock
from drivers.bus.gpio import GpioLine
from drivers.bus.spi import SpiBus
from drivers.e1 import regs as R
from drivers.e1.alarms import LOOPBACK, AlarmDebouncer, RawStatus, alarm_string
from drivers.errors import ChipAbsent, ChipTimeout, DriverError
from drivers.locking import locked
from drivers.timing import Sleep

log = logging.getLogger(__name__)

GCM_2048 = bytes([0x00, 0x18, 0xFB, 0x0B, 0x00, 0x2F, 0xDB, 0xDF])
CEC_TIMEOUT = 0.010           # a command takes effect within 2 x 32 x 125 us = 8 ms
ALARM_CHECK = 0.050           # DAHDI re-checks every 50 ms, 100 ms while in alarm
ALARM_CHECK_IN_ALARM = 0.100
LOOPBACKS = ("off", "local", "networkline", "networkpayload")
DEFECTS = {"fas": R.IERR_IFASE, "multi": R.IERR_IMFE, "crc": R.IERR_ICRCE,
           "cas": R.IERR_ICASE, "prbs": R.IERR_IPE, "bipolar": R.IERR_IBV}


@dataclass(frozen=True)
class ChipId:
    vstr: int
    wid: int
    version: str

    def __str__(self) -> str:
        return f"PEF2256 v{self.version}"


def decode_version(vstr: int, wid: int) -> str | None:
    if vstr == 0x00 and wid & 0x03 == 0x03:
        return "1.2"
    if vstr == 0x05:
        return {0: "2.1", 1: "2.2"}.get(wid >> 6)
    if vstr == 0x10:
        return "2.1"
    if vstr == 0x20:
        return "3.1"
    return None


@dataclass(frozen=True)
class E1Config:
    framing: str = "crc4"          # "crc4" | "doubleframe"
    line_code: str = "hdb3"        # "hdb3" | "ami"
    clock_master: bool = False     # False: line-timed (CPE, DAHDI timing 1)
    signalling: str = "ccs"        # "ccs": HDLC D-channel (PRI); "cas": R2
    dchannel_slot: int = 16

    def __post_init__(self) -> None:
        if self.framing not in ("crc4", "doubleframe"):
            raise ValueError(f"framing must be crc4 or doubleframe, not {self.framing!r}")
        if self.line_code not in ("hdb3", "ami"):
            raise ValueError(f"line_code must be hdb3 or ami, not {self.line_code!r}")
        if self.signalling not in ("ccs", "cas"):
            raise ValueError(f"signalling must be ccs or cas, not {self.signalling!r}")
        if not 1 <= self.dchannel_slot <= 31:
            raise ValueError("dchannel_slot must be 1-31")


@dataclass
class SpanCounters:
    """Running totals, as dahdi_maint / ``dahdi show status`` print them."""

    fas: int = 0
    crc4: int = 0
    bpv: int = 0
    ebit: int = 0
    errored_seconds: int = 0
    slips: int = 0
    seconds: int = 0
    hdlc_rx: int = 0
    hdlc_tx: int = 0
    hdlc_bad_fcs: int = 0
    hdlc_aborts: int = 0
    hdlc_overruns: int = 0
    hdlc_underruns: int = 0

    def reset(self) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, 0)


@dataclass
class _TxFrame:
    data: bytes
    offset: int = 0


class Pef2256:
    def __init__(self, spi: SpiBus, clock: Clock, sleep: Sleep, irq: GpioLine | None = None,
                 span: int = 1, on_frame: Callable[[bytes], None] | None = None,
                 on_alarm: Callable[[int], None] | None = None,
                 on_cas: Callable[[int, int], None] | None = None) -> None:
        self.spi = spi
        self._lock = threading.RLock()
        self.clock = clock
        self.sleep = sleep
        self.irq = irq
        self.span = span
        self.on_frame = on_frame
        self.on_alarm = on_alarm
        self.on_cas = on_cas
        self._xs = bytearray([R.CAS_MF_IDLE] + [0xFF] * 15)
        self.cas_rx = [0xF] * 31          # index = channel 1-30 (0 unused)
        self.cas_changes: deque[tuple[int, int]] = deque(maxlen=1024)
        self.config: E1Config | None = None
        self.counters = SpanCounters()
        self.debouncer = AlarmDebouncer()
        self.received: deque[bytes] = deque(maxlen=256)
        self._tx: deque[_TxFrame] = deque()
        self._data_seen = False          # HDLC/CAS interrupts at the last service
        self._rx = bytearray()
        self._rai_sent = False
        self._next_check = 0.0
        self._loopback = "off"
        self.chip_id: ChipId | None = None

    # ------------------------------------------------------------ register access
    @locked
    def read(self, addr: int) -> int:
        return self.spi.transfer(bytes([R.SPI_READ, addr, 0xFF]))[2]

    @locked
    def read_burst(self, addr: int, count: int) -> bytes:
        return self.spi.transfer(bytes([R.SPI_READ, addr]) + b"\xff" * count)[2:]

    @locked
    def write(self, addr: int, value: int) -> None:
        self.spi.transfer(bytes([R.SPI_WRITE, addr, value & 0xFF]))

    @locked
    def write_burst(self, addr: int, data: bytes) -> None:
        self.spi.transfer(bytes([R.SPI_WRITE, addr]) + bytes(data))

    def _where(self) -> str:
        return f"E1 span {self.span} on {self.spi.device}"

    @locked
    def command(self, value: int) -> None:
        """Write CMDR once the previous command finished (SIS.CEC clear)."""
        deadline = self.clock.now() + CEC_TIMEOUT
        while self.read(R.SIS) & R.SIS_CEC:
            if self.clock.now() >= deadline:
                raise ChipTimeout(f"framer still executing a command after "
                                  f"{CEC_TIMEOUT * 1000:.0f} ms ({self._where()})",
                                  part="pef2256", span=self.span, cmdr=f"0x{value:02x}")
            self.sleep(0.0001)
        self.write(R.CMDR, value)

    # ------------------------------------------------------------ identity
    @locked
    def identify(self) -> ChipId:
        vstr, wid = self.read(R.VSTR), self.read(R.WID)
        if vstr == 0xFF and wid == 0xFF:
            raise ChipAbsent(f"no framer answers ({self._where()}): every register reads 0xFF",
                             part="pef2256", span=self.span)
        version = decode_version(vstr, wid)
        if version is None:
            raise DriverError(f"unknown framer identity ({self._where()})", part="pef2256",
                              span=self.span, vstr=f"0x{vstr:02x}", wid=f"0x{wid:02x}")
        self.chip_id = ChipId(vstr, wid, version)
        return self.chip_id

    @locked
    def answering(self) -> bool:
        """VSTR/WID still read what :meth:`identify` found (any known FALC before that)."""
        vstr, wid = self.read(R.VSTR), self.read(R.WID)
        if self.chip_id is not None:
            return (vstr, wid) == (self.chip_id.vstr, self.chip_id.wid)
        return decode_version(vstr, wid) is not None

    def check_answering(self) -> None:
        """Raise :class:`ChipAbsent` if the framer no longer answers, before all-ones
        status registers become alarms or HDLC overruns."""
        if not self.answering():
            raise ChipAbsent(f"no framer answers ({self._where()}): identity registers "
                             "changed or read 0xFF", part="pef2256", span=self.span,
                             device=self.spi.device)

    @locked
    def register_test(self) -> int:
        """wcte13xp power-on test: write 0..255 to IMR0 and read each back; returns failures."""
        failures = 0
        for value in range(256):
            self.write(R.IMR0, value)
            if self.read(R.IMR0) != value:
                failures += 1
        self.write(R.IMR0, 0xFF)
        return failures

    # ------------------------------------------------------------ set-up
    @locked
    def configure(self, cfg: E1Config = E1Config()) -> None:
        self.identify()
        crc4 = cfg.framing == "crc4"
        ccs = cfg.signalling == "ccs"
        for n in range(6):
            self.write(R.IMR0 + n, 0xFF)
        self.read_burst(R.ISR0, 6)
        self.write_burst(R.GCM1, GCM_2048)
        self.write(R.FMR1, 0x00)
        self.write(R.GCR, 0x00)
        self.write(R.CMR1, 0x00 if cfg.clock_master else 0x30)
        self.write(R.CMR2, 0x00)
        self.write(R.LIM0, 0x08 | (R.LIM0_MAS if cfg.clock_master else 0))
        self.write(R.LIM1, 0xF0)
        self.write(R.FMR0, R.FMR0_HDB3 if cfg.line_code == "hdb3" else R.FMR0_AMI)
        self.write(R.FMR1, R.FMR1_E1_BASE | (R.FMR1_XFS if crc4 else 0))
        self.write(R.FMR2, R.FMR2_RFS_CRC4 if crc4 else R.FMR2_RFS_DOUBLEFRAME)
        self.write(R.PCD, 0x0A)
        self.write(R.PCR, 0x15)
        self.write(R.LIM2, R.LIM2_SLT50 | (0 if cfg.clock_master else R.LIM2_ELT))
        self.write(R.XSW, R.XSW_XSIS | 0x1F)
        self.write(R.XSP, 0x1C | (R.XSP_CASEN if not ccs else 0))
        self.write(R.RC0, 0x00)
        self.write(R.GCR, R.GCR_SCI)
        ts = cfg.dchannel_slot
        for base in (R.RTR1, R.TTR1):
            for i in range(4):
                self.write(base + i, (0x80 >> (ts % 8)) if ccs and i == ts // 8 else 0)
        if ccs:
            self.write(R.MODE, R.MODE_MDS | R.MODE_HRAC)
            self.write(R.CCR1, R.CCR1_EITS | R.CCR1_ITF)
            self.write(R.CCR2, R.CCR2_RCRC)
        else:
            self.write(R.MODE, 0x00)
            self.write(R.CCR1, 0x00)
        if not ccs:
            self._xs = bytearray([R.CAS_MF_IDLE] + [0xFF] * 15)
            self.write_burst(R.XS1, bytes(self._xs))
        self.read_burst(R.ISR0, 6)
        self.write(R.IMR0, 0xFF & ~(R.ISR0_RME | R.ISR0_RPF) if ccs else 0xFF & ~R.ISR0_CASC)
        self.write(R.IMR1, 0xFF & ~(R.ISR1_XDU | R.ISR1_XPR | R.ISR1_RDO) if ccs else 0xFF)
        self.write(R.IMR2, 0x00)
        self.write(R.IMR3, 0xFF & ~(R.ISR3_ES | R.ISR3_SEC | R.ISR3_RSN | R.ISR3_RSP))
        self.write(R.IMR4, 0xFF)
        self.write(R.IMR5, 0xFF)
        self.command(R.CMDR_RRES | R.CMDR_XRES)
        self.config = cfg
        self._tx.clear()
        self._rx.clear()
        self._rai_sent = False
        self.debouncer = AlarmDebouncer()
        self.counters.reset()
        self._next_check = self.clock.now()
        log.info("span=%d configured for %s/%s%s clock=%s", self.span, cfg.signalling.upper(),
                 cfg.line_code.upper(), "/CRC4" if crc4 else "",
                 "master" if cfg.clock_master else "line")

    # ------------------------------------------------------------ maintenance
    @locked
    def loopback(self, mode: str) -> None:
        """dahdi_maint ``-l``: off, local (LIM0.LL), networkline (LIM1.RL), networkpayload (FMR2.PLB)."""
        if mode not in LOOPBACKS:
            raise ValueError(f"loopback must be one of {', '.join(LOOPBACKS)}")
        lim0, lim1, fmr2 = self.read(R.LIM0), self.read(R.LIM1), self.read(R.FMR2)
        lim0 = (lim0 | R.LIM0_LL) if mode == "local" else (lim0 & ~R.LIM0_LL)
        lim1 = (lim1 | R.LIM1_RL) if mode == "networkline" else (lim1 & ~R.LIM1_RL)
        fmr2 = (fmr2 | R.FMR2_PLB) if mode == "networkpayload" else (fmr2 & ~R.FMR2_PLB)
        self.write(R.LIM0, lim0)
        self.write(R.LIM1, lim1)
        self.write(R.FMR2, fmr2)
        self._loopback = mode
        self.debouncer.set_loopback(mode != "off")
        log.info("span=%d loopback %s", self.span, mode.upper() if mode != "off" else "OFF")

    @locked
    def insert_error(self, kind: str) -> None:
        """dahdi_maint ``-i``: one defect of the given kind on the transmit side."""
        try:
            self.write(R.IERR, DEFECTS[kind])
        except KeyError:
            raise ValueError(f"defect must be one of {', '.join(DEFECTS)}") from None

    @locked
    def alarm_simulation(self, on: bool) -> None:
        fmr0 = self.read(R.FMR0)
        self.write(R.FMR0, (fmr0 | R.FMR0_SIM) if on else (fmr0 & ~R.FMR0_SIM))

    # ------------------------------------------------------------ alarms and counters
    @property
    def alarms(self) -> int:
        return self.debouncer.alarms

    @property
    def alarm_text(self) -> str:
        return alarm_string(self.alarms)

    def raw_status(self) -> RawStatus:
        frs0 = self.read(R.FRS0)
        if frs0 == 0xFF:
            self.check_answering()
        return RawStatus(los=bool(frs0 & R.FRS0_LOS), ais=bool(frs0 & R.FRS0_AIS),
                         lfa=bool(frs0 & R.FRS0_LFA), rra=bool(frs0 & R.FRS0_RRA),
                         lmfa=bool(frs0 & R.FRS0_LMFA) and self._crc4)

    @property
    def _crc4(self) -> bool:
        return self.config is not None and self.config.framing == "crc4"

    @locked
    def check_alarms(self) -> int:
        now = self.clock.now()
        before = self.debouncer.alarms
        alarms = self.debouncer.update(self.raw_status(), now)
        want_rai = self.debouncer.send_rai
        if want_rai != self._rai_sent:
            xsw = self.read(R.XSW)
            self.write(R.XSW, (xsw | R.XSW_XRA) if want_rai else (xsw & ~R.XSW_XRA))
            self._rai_sent = want_rai
        if alarms != before:
            if alarms & ~LOOPBACK:
                log.warning("Detected alarm on span %d: %s", self.span, alarm_string(alarms))
            else:
                log.info("Alarm cleared on span %d", self.span)
            if self.on_alarm is not None:
                self.on_alarm(alarms)
        self._next_check = now + (ALARM_CHECK_IN_ALARM if alarms & ~LOOPBACK else ALARM_CHECK)
        return alarms

    @property
    def sending_rai(self) -> bool:
        return self._rai_sent

    @locked
    def status(self) -> dict[str, object]:
        """dahdi_scan-style summary for health and the web UI."""
        cfg = self.config
        return {"span": self.span, "alarms": self.alarm_text, "loopback": self._loopback,
                "configured": cfg is not None,
                "framing": (cfg.framing if cfg else None), "coding": (cfg.line_code if cfg else None),
                "signalling": (cfg.signalling if cfg else None),
                "timing": ("master" if cfg and cfg.clock_master else "line") if cfg else None,
                "counters": dict(self.counters.__dict__)}

    def _read_counters(self) -> None:
        raw = self.read_burst(R.FECL, 12)
        fec, cvc, cec, ebc, _bec, _coec = (raw[i] | raw[i + 1] << 8 for i in range(0, 12, 2))
        c = self.counters
        c.fas += fec
        c.bpv += cvc
        c.crc4 += cec
        c.ebit += ebc
        c.seconds += 1

    # ------------------------------------------------------------ CAS (R2 line signalling)
    @staticmethod
    def _cas_slot(channel: int) -> tuple[int, bool]:
        """XS/RS register index and whether the channel is the high nibble."""
        if not 1 <= channel <= 30:
            raise ValueError("CAS channels are 1-30")
        return 1 + (channel - 1) % 15, channel <= 15

    @locked
    def set_cas(self, channel: int, abcd: int) -> None:
        """Transmit ABCD bits for a channel (1-30 = TS1-15, TS17-31)."""
        if self.config is None or self.config.signalling != "cas":
            raise DriverError("span is not configured for CAS", part="pef2256", span=self.span)
        idx, high = self._cas_slot(channel)
        old = self._xs[idx]
        self._xs[idx] = ((abcd & 0xF) << 4 | old & 0x0F) if high else (old & 0xF0 | abcd & 0xF)
        self.write(R.XS1 + idx, self._xs[idx])

    @locked
    def get_cas(self, channel: int) -> int:
        idx, high = self._cas_slot(channel)
        v = self.read(R.RS1 + idx)
        return v >> 4 if high else v & 0xF

    def _read_cas(self) -> None:
        rs = self.read_burst(R.RS1, 16)
        for channel in range(1, 31):
            idx, high = self._cas_slot(channel)
            abcd = rs[idx] >> 4 if high else rs[idx] & 0xF
            if abcd != self.cas_rx[channel]:
                self.cas_rx[channel] = abcd
                self.cas_changes.append((channel, abcd))
                if self.on_cas is not None:
                    self.on_cas(channel, abcd)

    # ------------------------------------------------------------ HDLC
    @locked
    def send_frame(self, frame: bytes) -> None:
        """Queue one LAPD frame (no flags, no FCS: the framer adds both)."""
        if self.config is None or self.config.signalling != "ccs":
            raise DriverError("span has no HDLC D-channel (not configured for CCS)",
                              part="pef2256", span=self.span)
        if not 1 <= len(frame) <= 4096:
            raise ValueError("an HDLC frame holds 1-4096 octets")
        self._tx.append(_TxFrame(bytes(frame)))
        self._tx_next()

    def _tx_next(self) -> None:
        if not self._tx or not self.read(R.SIS) & R.SIS_XFW:
            return
        cur = self._tx[0]
        chunk = cur.data[cur.offset:cur.offset + R.HDLC_FIFO_BLOCK]
        cur.offset += len(chunk)
        end = cur.offset >= len(cur.data)
        self.write_burst(R.FIFO, chunk)
        self.command(R.CMDR_XHF | (R.CMDR_XME if end else 0))
        if end:
            self._tx.popleft()
            self.counters.hdlc_tx += 1

    def _rx_block(self, last: bool) -> None:
        if last:
            count = (self.read(R.RBCH) & 0x0F) << 8 | self.read(R.RBCL)
            size = count & 0x1F or 32
            data = self.read_burst(R.FIFO, size)
            self.command(R.CMDR_RMC)
            status = data[-1]
            frame = bytes(self._rx) + data[:-1]
            self._rx.clear()
            c = self.counters
            if status & R.RSIS_RDO:
                return  # counted when ISR1.RDO was seen
            if status & R.RSIS_RAB:
                c.hdlc_aborts += 1
                log.warning("span=%d D-channel: HDLC Abort", self.span)
                return
            if not status & R.RSIS_CRC16 or not status & R.RSIS_VFR:
                c.hdlc_bad_fcs += 1
                log.warning("span=%d D-channel: HDLC Bad FCS", self.span)
                return
            frame = frame[:-2]  # CCR2.RCRC keeps the FCS in the FIFO
            c.hdlc_rx += 1
            if self.on_frame is not None:
                self.on_frame(frame)
            else:
                self.received.append(frame)
        else:
            self._rx += self.read_burst(R.FIFO, R.HDLC_FIFO_BLOCK)
            self.command(R.CMDR_RMC)

    # ------------------------------------------------------------ interrupt service
    @locked
    def service(self) -> None:
        gis = self.read(R.GIS)
        if not gis:
            return
        if gis == 0xFF:                  # all ones: is the framer still there?
            self.check_answering()
        isr = self.read_burst(R.ISR0, 6)
        self._data_seen = bool(isr[0] & (R.ISR0_RPF | R.ISR0_RME | R.ISR0_CASC)
                               or isr[1] & (R.ISR1_XPR | R.ISR1_XDU | R.ISR1_RDO))
        c = self.counters
        if isr[1] & R.ISR1_RDO:
            c.hdlc_overruns += 1
            self._rx.clear()
            log.warning("span=%d D-channel: HDLC Overrun", self.span)
        if isr[0] & R.ISR0_RPF:
            self._rx_block(last=False)
        if isr[0] & R.ISR0_RME:
            self._rx_block(last=True)
        if isr[0] & R.ISR0_CASC:
            self._read_cas()
        if isr[1] & R.ISR1_XDU:
            c.hdlc_underruns += 1
            if self._tx and self._tx[0].offset:
                self._tx.popleft()      # the frame went out aborted; Q.921 retransmits
            self.command(R.CMDR_XRES)
        if isr[1] & (R.ISR1_XPR | R.ISR1_XDU):
            self._tx_next()
        if isr[2]:
            self.check_alarms()
        if isr[3] & R.ISR3_SEC:
            self._read_counters()
            if isr[3] & R.ISR3_ES:
                c.errored_seconds += 1
        if isr[3] & (R.ISR3_RSN | R.ISR3_RSP) and not self.alarms & ~LOOPBACK:
            c.slips += 1

    def busy(self) -> bool:
        """D-channel or CAS traffic under way (frames queued, or data seen at the last
        service): the simulated card is polled fast while any part is busy."""
        busy = bool(self._tx) or self._data_seen
        self._data_seen = False
        return busy

    def wait(self, timeout: float) -> bool:
        """Block until the IRQ line has an edge (True) or ``timeout`` passed (driver thread)."""
        if self.irq is None:
            return False
        return self.irq.poll(timeout)

    @locked
    def poll(self) -> None:
        """Service pending interrupts and re-check alarms when due."""
        if self.irq is not None:
            while self.irq.poll(0):
                self.irq.read_event()      # edges only wake us; the level says what is pending
        if self.irq is None or not self.irq.read():
            self.service()
        if self._tx:
            self._tx_next()
        if self.clock.now() >= self._next_check - 1e-9:
            self.check_alarms()

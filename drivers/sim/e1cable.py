"""An E1 cable between two line endpoints, and a simulated exchange to plug into.

The cable moves one multiframe (512 octets, 2 ms) each way per step, the way
osmo-e1d's ``vpair`` batches frames, catching up to the injected clock whenever
either end is looked at (a register read, an IRQ line sample, a TDM read).
Endpoints are a :class:`~drivers.sim.pef2256.Pef2256Sim` (our card, or a second
card for back-to-back tests) or an :class:`ExchangeSim` (the carrier: clock
master, CRC-4, D-channel in software HDLC on TS16, or CAS ABCD bits for R2).

Faults, per receiving end: unplugged (both ways silent -> LOS), AIS (unframed
all ones -> BLUE), FAS errors, CRC errors (a payload bit flipped in one
sub-multiframe), bipolar violations (counted by the receiver's CVC), and a clock
offset that makes a free-running (clock master) framer slip.

An idle span repeats itself: the same multiframe each way, 500 times a second.
Once a computed step has shown that the span is at a fixed point (nothing that
decides the next step changed, nothing visible happened; :mod:`drivers.sim.steady`),
the cable accounts for the following steps from that same state without
computing them, and computes in full again the moment anything differs. What
the driver and the far end observe is the same either way
(``tests/drivers/test_e1cable.py`` runs every scenario both ways).
"""
from __future__ import annotations

import threading
from typing import Callable, Protocol, TypeGuard

from acd_core.clock import Clock
from drivers.sim.e1frame import (FRAME, MF_OCTETS, MF_SECONDS, RECEIVER_STATE, TS0_STATE,
                                 E1Receiver, Ts0Tx)
from drivers.sim.hdlc import (DECODER_STATE, ENCODER_STATE, HdlcDecoder, HdlcEncoder,
                              ReceivedFrame)
from drivers.sim.steady import StateTable, SteadyEndpoint, items

SILENCE = bytes(MF_OCTETS)
ALL_ONES = b"\xff" * MF_OCTETS
MF_PER_SECOND = 500
WITNESS_BACKOFF_MAX = 64     # full steps between fixed-point attempts while the line keeps changing


class LineEndpoint(Protocol):
    """One end of the cable. An end may also implement the steady-line methods
    (:class:`drivers.sim.steady.SteadyEndpoint`); a cable with an end that does
    not computes every step."""

    cable: "E1Cable | None"
    slip_interval: float | None

    def line_tx(self) -> bytes: ...

    def line_rx(self, mf: bytes, bpv: int = 0) -> None: ...


def _skips(end: object) -> TypeGuard[SteadyEndpoint]:
    """An end that implements the steady-line methods (one that does not is always computed)."""
    return hasattr(end, "steady_key")


class _Direction:
    """Faults on the way into one endpoint."""

    def __init__(self) -> None:
        self.ais = False
        self.crc_per_s = 0
        self.fas_per_s = 0
        self.bpv_per_s = 0
        self.bpv_once = 0
        self._acc = {"crc": 0, "fas": 0, "bpv": 0}

    def _due(self, kind: str, rate: int) -> int:
        if not rate:
            return 0
        self._acc[kind] += rate
        n, self._acc[kind] = divmod(self._acc[kind], MF_PER_SECOND)
        return n

    def steady_key(self) -> tuple | None:
        """None while errors are due (their accumulators move every step)."""
        if self.crc_per_s or self.fas_per_s or self.bpv_per_s or self.bpv_once:
            return None
        return DIRECTION_STATE.state(self)

    def apply(self, mf: bytes) -> tuple[bytes, int]:
        if self.ais:
            return ALL_ONES, 0
        crc = self._due("crc", self.crc_per_s)
        fas = self._due("fas", self.fas_per_s)
        bpv = self._due("bpv", self.bpv_per_s) + self.bpv_once
        self.bpv_once = 0
        if crc or fas:
            buf = bytearray(mf)
            for i in range(min(crc, 2)):          # one flipped payload bit per sub-multiframe
                buf[(3 + 8 * i) * FRAME + 1] ^= 0x10
            for i in range(min(fas, 8)):
                buf[(2 * i) * FRAME] ^= 0x01      # a FAS word in error
            mf = bytes(buf)
        return mf, bpv


DIRECTION_STATE = StateTable(
    "_Direction", key=("ais", "crc_per_s", "fas_per_s", "bpv_per_s", "bpv_once"),
    copied={"_acc": items},
    ignored={})


class _FixedPoint:
    """A witnessed fixed point: the span's key, and what each end adds per skipped step."""

    __slots__ = ("key", "memo_a", "memo_b")

    def __init__(self, key: tuple, memo_a: object, memo_b: object) -> None:
        self.key = key
        self.memo_a = memo_a
        self.memo_b = memo_b


class E1Cable:
    """Moves multiframes between two endpoints, catching up with the clock on demand.

    ``fast_path`` (default on): when a computed step turns out to be a fixed point
    (:mod:`drivers.sim.steady`: every field that decides the next step of either
    end and of the cable is as it was before, and nothing visible happened), the
    steps that follow from that same state are accounted for without being
    computed, up to the next step that does something on a schedule (the framer's
    second beat, a slip). Any change (a register written, a frame queued, a fault
    injected, a cable pulled) makes the state differ from the fixed point, and the
    next step is computed in full. ``fast_path=False`` computes every step; the
    equivalence tests and the benchmark use it as the reference.

    ``hooks`` run before each computed step and once before each run of skipped
    steps. A run is accounted for in one go at one instant of real time, so a
    hook that moves outside input in (the D-channel bridge's socket) would have
    found nothing new between its steps anyway; whatever a hook does that changes
    the span shows in the state, and the step after it is computed.
    """

    def __init__(self, clock: Clock, a: LineEndpoint, b: LineEndpoint | None = None,
                 fast_path: bool = True) -> None:
        self.clock = clock
        self.a = a
        self.b = b
        self.plugged = True
        self.fast_path = fast_path
        self.steps_computed = 0
        self.steps_skipped = 0
        self._fixed: _FixedPoint | None = None
        self._backoff = 1
        self._wait = 0
        self._t0 = clock.now()
        self._done = 0
        self._lock = threading.RLock()
        self._busy = False
        self._into: dict[int, _Direction] = {id(a): _Direction()}
        a.cable = self
        if b is not None:
            b.cable = self
            self._into[id(b)] = _Direction()
        self.hooks: list[Callable[[], None]] = []

    def into(self, endpoint: LineEndpoint) -> _Direction:
        return self._into[id(endpoint)]

    # ------------------------------------------------------------- faults
    def unplug(self) -> None:
        self.sync()
        self.plugged = False

    def plug(self) -> None:
        self.sync()
        self.plugged = True

    def send_ais(self, to: LineEndpoint, on: bool = True) -> None:
        self.sync()
        self.into(to).ais = on

    def crc_errors(self, to: LineEndpoint, per_second: int) -> None:
        self.sync()
        self.into(to).crc_per_s = per_second

    def fas_errors(self, to: LineEndpoint, per_second: int) -> None:
        self.sync()
        self.into(to).fas_per_s = per_second

    def bipolar_violations(self, to: LineEndpoint, per_second: int) -> None:
        self.sync()
        self.into(to).bpv_per_s = per_second

    def add_bipolar_violations(self, sender: LineEndpoint, count: int) -> None:
        other = self.b if sender is self.a else self.a
        if other is not None:
            self.into(other).bpv_once += count

    def clock_offset(self, slip_interval: float | None) -> None:
        """Free-running ends slip once per ``slip_interval`` seconds (None: locked)."""
        self.sync()
        for end in (self.a, self.b):
            if end is not None:
                end.slip_interval = slip_interval

    # ------------------------------------------------------------- time
    @property
    def synced_until(self) -> float:
        """Clock time up to which multiframes have crossed the cable."""
        return self._t0 + self._done * MF_SECONDS

    def sync(self) -> None:
        with self._lock:
            if self._busy:      # a hook or an endpoint looked back at us mid-step
                return
            self._busy = True
            try:
                due = int((self.clock.now() - self._t0) / MF_SECONDS + 1e-9)
                while self._done < due:
                    for hook in self.hooks:
                        hook()
                    if self.fast_path:
                        self._done += self._advance(due - self._done)
                    else:
                        self._step()
                        self.steps_computed += 1
                        self._done += 1
            finally:
                self._busy = False

    # ------------------------------------------------------------- steady line
    def _steady_key(self) -> tuple | None:
        """What decides the span's next step (None: work is queued somewhere)."""
        a, b = self.a, self.b
        key_a = getattr(a, "steady_key", None)
        ka = key_a() if key_a is not None else None
        if ka is None:
            return None
        da = self._into[id(a)].steady_key()
        if da is None:
            return None
        if b is None:
            return (self.plugged, ka, da)
        key_b = getattr(b, "steady_key", None)
        kb = key_b() if key_b is not None else None
        db = self._into[id(b)].steady_key()
        if kb is None or db is None:
            return None
        return (self.plugged, ka, da, kb, db)

    def _advance(self, want: int) -> int:
        """Skip up to ``want`` steps from a known fixed point, or compute one; returns how many."""
        if self._wait:                  # the line kept changing lately: just compute
            self._wait -= 1
            self._step()
            self.steps_computed += 1
            return 1
        key = self._steady_key()
        fixed = self._fixed
        a, b = self.a, self.b
        if (key is not None and fixed is not None and key == fixed.key
                and _skips(a) and (b is None or _skips(b))):
            n = min(want, a.steady_horizon(), b.steady_horizon() if b is not None else want)
            if n > 0:
                a.steady_skip(n, fixed.memo_a)
                if b is not None:
                    b.steady_skip(n, fixed.memo_b)
                self.steps_skipped += n
                return n
            key = None          # a scheduled step (second beat, slip): computed, no witness
        self._witness(key)
        self.steps_computed += 1
        return 1

    def _witness(self, before: tuple | None) -> None:
        """Compute one step; if it was a fixed point, remember it for skipping."""
        a, b = self.a, self.b
        if before is None or not _skips(a) or not (b is None or _skips(b)):
            self._step()
            return
        counts_a = a.steady_counts()
        counts_b = b.steady_counts() if b is not None else ()
        self._step()
        memo_a = a.steady_memo(counts_a)
        memo_b = b.steady_memo(counts_b) if b is not None else ()
        if memo_a is not None and memo_b is not None and self._steady_key() == before:
            self._fixed = _FixedPoint(before, memo_a, memo_b)
            self._backoff = 1
        else:
            self._wait = self._backoff
            self._backoff = min(2 * self._backoff, WITNESS_BACKOFF_MAX)

    def _step(self) -> None:
        a, b = self.a, self.b
        a_tx = a.line_tx()
        b_tx = b.line_tx() if b is not None else SILENCE
        if not self.plugged:
            a_tx = b_tx = SILENCE
        mf, bpv = self._into[id(a)].apply(b_tx)
        a.line_rx(mf, bpv)
        if b is not None:
            mf, bpv = self._into[id(b)].apply(a_tx)
            b.line_rx(mf, bpv)


EXCHANGE_STATE = StateTable(
    "ExchangeSim",
    key=("slot", "rai", "payload", "on_frame", "last_status", "last_mf", "cas"),
    copied={"cas_tx": tuple, "cas_rx": tuple},
    parts={"rx": RECEIVER_STATE, "ts0": TS0_STATE, "enc": ENCODER_STATE, "dec": DECODER_STATE},
    ignored={
        "cable": "never read by a step",
        "slip_interval": "the exchange is the clock master: it never slips",
        "received": "appended only when a frame ends (a decoder event)",
        "bad_frames": "counted only when a frame ends (a decoder event)",
    })


class ExchangeSim:
    """The carrier's end of the span: clock master, CRC-4, D-channel on TS16.

    ``send(frame)`` puts a LAPD frame (no FCS) on the D-channel; good received
    frames (FCS checked and stripped) land in ``received`` or go to ``on_frame``.
    """

    def __init__(self, crc4: bool = True, dchannel_slot: int = 16, cas: bool = False) -> None:
        self.cable: E1Cable | None = None
        self.slip_interval: float | None = None
        self.ts0 = Ts0Tx(crc4=crc4)
        self.rx = E1Receiver()
        self.rx.crc4 = crc4
        self.slot = dchannel_slot
        self.enc = HdlcEncoder()
        self.dec = HdlcDecoder()
        self.dec.on_end = self._frame_end
        self.rai = False
        self.payload: Callable[[bytearray], None] | None = None
        self.received: list[bytes] = []
        self.bad_frames = 0
        self.on_frame: Callable[[bytes], None] | None = None
        self.last_status = self.rx.last
        self.last_mf = SILENCE
        self.cas = cas                                 # TS16 carries CAS instead of HDLC
        self.cas_tx = [0x9] * 31                       # ABCD per channel 1-30 (R2 idle 1001)
        self.cas_rx = [0xF] * 31

    @staticmethod
    def _cas_mf(cas: list[int]) -> bytes:
        ts16 = bytearray([0x0B])
        for i in range(1, 16):
            ts16.append((cas[i] & 0xF) << 4 | cas[i + 15] & 0xF)
        return bytes(ts16)

    def send(self, frame: bytes) -> None:
        self.enc.send(frame)

    def _frame_end(self, frame: ReceivedFrame) -> None:
        if not frame.fcs_good:
            self.bad_frames += 1
            return
        payload = frame.data[:-2]
        if self.on_frame is not None:
            self.on_frame(payload)
        else:
            self.received.append(payload)

    def line_tx(self) -> bytes:
        mf = bytearray(b"\xff" * MF_OCTETS)
        if self.payload is not None:
            self.payload(mf)
        if self.cas:
            mf[16::FRAME] = self._cas_mf(self.cas_tx)
        else:
            mf[self.slot::FRAME] = self.enc.take(16)
        self.ts0.rai = self.rai
        self.ts0.e_bits = self.rx.e_bits_to_send
        self.ts0.fill(mf)
        return bytes(mf)

    def line_rx(self, mf: bytes, bpv: int = 0) -> None:
        self.last_mf = mf
        self.last_status = self.rx.receive(mf)
        if self.last_status.lfa:
            return
        if self.cas:
            ts16 = mf[16::FRAME]
            if ts16[0] >> 4 == 0:
                for i in range(1, 16):
                    self.cas_rx[i], self.cas_rx[i + 15] = ts16[i] >> 4, ts16[i] & 0xF
        else:
            self.dec.feed(mf[self.slot::FRAME])

    # ------------------------------------------------------------- steady line (drivers.sim.steady)
    def steady_key(self) -> tuple | None:
        """What decides the exchange's next step; None while a payload source fills the
        B-channels or the D-channel has a frame going out or coming in."""
        if self.payload is not None or self.enc.busy or self.dec.in_frame:
            return None
        return (self.ts0.e_bits is self.rx.e_bits_to_send, EXCHANGE_STATE.state(self))

    def steady_counts(self) -> tuple[int, ...]:
        return EXCHANGE_STATE.counts(self)

    def steady_memo(self, before: tuple[int, ...]) -> tuple[int, ...] | None:
        return EXCHANGE_STATE.deltas(self, before)

    def steady_horizon(self) -> int:
        return 1 << 62            # nothing happens on a schedule here

    def steady_skip(self, n: int, memo: tuple[int, ...]) -> None:
        EXCHANGE_STATE.advance(self, memo, n)

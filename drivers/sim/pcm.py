"""Audio on the simulated PCM highway: what each analog chip puts in its timeslot.

Time is an absolute 8 kHz sample axis: sample ``n`` is the instant ``n / 8000`` s
of the injected clock (:func:`sample_at`). A line or phone model keeps what it
sends as an :class:`AudioTimeline` (16-bit linear PCM placed at sample indices,
silence elsewhere); the chip model keeps a :class:`Gate` (when its PCM output is
enabled and its audio path open, changed by register writes at known times) and
encodes with ``acd_core.g711`` in :meth:`pcm_tx`. Because both are functions of
time, the bytes do not depend on how often or how late the TDM reader reads.

:class:`AnalogTdmSim` is the highway with audio: the E1 slots come from the
framer model as in :class:`drivers.bus.tdm.SimTdm`, and analog byte ``k`` of
each frame from the chip whose PCM timeslot registers say ``k``, at that frame's
instant (the frame's time is the cable's: the newest captured frame ends where
the cable has run to). What the box writes into an analog byte reaches the chip
listening on that slot, which hands it to its line or phone model (the other
direction of the same path).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Protocol, Sequence

from drivers.bus.errors import TdmError
from drivers.bus.tdm import E1_SLOTS, SimTdm, TdmSource

if TYPE_CHECKING:
    from drivers.sim.e1cable import E1Cable

RATE = 8000
ALAW_SILENCE = 0xD5


def sample_at(t: float) -> int:
    """The 8 kHz sample index of clock time ``t``."""
    return int(round(t * RATE))


@dataclass
class _Part:
    start: int
    end: Optional[int]          # None: a repeated cycle that has not been stopped
    pcm: bytes | bytearray
    tag: str
    repeat: bool = False


class AudioTimeline:
    """Linear PCM (int16 LE) placed on the sample axis; silence where nothing is.

    Parts are tagged (``"cid"``, ``"tone"``, ``"dtmf"``) so a script can cut
    one kind short (the caller gives up, the DAA goes off-hook). Where parts
    overlap, the one placed later wins. Scripts (the test or driver thread) and
    the TDM reader may be different threads: every method holds a lock.
    """

    def __init__(self) -> None:
        self._parts: list[_Part] = []
        self._lock = threading.Lock()

    def place(self, start: int, pcm: bytes, tag: str) -> tuple[int, int]:
        end = start + len(pcm) // 2
        with self._lock:
            last = self._parts[-1] if self._parts else None
            if last is not None and last.tag == tag and not last.repeat and last.end == start:
                if not isinstance(last.pcm, bytearray):
                    last.pcm = bytearray(last.pcm)
                last.pcm += pcm          # a stream placed chunk by chunk stays one part
                last.end = end
            else:
                self._parts.append(_Part(start, end, bytes(pcm), tag))
        return start, end

    def repeat(self, start: int, cycle: bytes, tag: str) -> None:
        """``cycle`` over and over from ``start`` until :meth:`cut`."""
        if len(cycle) < 2:
            raise ValueError("a repeated cycle needs at least one sample")
        with self._lock:
            self._parts.append(_Part(start, None, bytes(cycle), tag, repeat=True))

    def cut(self, at: int, tag: str) -> None:
        """Nothing tagged ``tag`` sounds from sample ``at`` on."""
        with self._lock:
            kept = []
            for p in self._parts:
                if p.tag == tag:
                    if p.start >= at:
                        continue
                    if p.end is None or p.end > at:
                        p.end = at
                kept.append(p)
            self._parts = kept

    def spans(self, tag: str | None = None) -> list[tuple[int, Optional[int]]]:
        with self._lock:
            return [(p.start, p.end) for p in self._parts if tag is None or p.tag == tag]

    def forget(self, before: int) -> None:
        """Drop what ends before sample ``before`` (and the head of a part that straddles it)."""
        with self._lock:
            self._parts = [p for p in self._parts if p.end is None or p.end > before]
            for p in self._parts:
                if not p.repeat and p.start < before:
                    p.pcm = p.pcm[2 * (before - p.start):]
                    p.start = before

    def render(self, start: int, n: int) -> bytearray:
        with self._lock:
            parts = list(self._parts)
        out = bytearray(2 * n)
        stop = start + n
        for p in parts:
            lo = max(p.start, start)
            hi = stop if p.end is None else min(p.end, stop)
            if lo >= hi:
                continue
            if not p.repeat:
                out[2 * (lo - start):2 * (hi - start)] = p.pcm[2 * (lo - p.start):2 * (hi - p.start)]
                continue
            cycle = len(p.pcm) // 2
            pos = lo
            while pos < hi:
                off = (pos - p.start) % cycle
                take = min(hi - pos, cycle - off)
                out[2 * (pos - start):2 * (pos - start + take)] = p.pcm[2 * off:2 * (off + take)]
                pos += take
        return out


class Gate:
    """Open/closed as a step function of the sample axis (set as registers change)."""

    def __init__(self) -> None:
        self._changes: list[tuple[int, bool]] = [(-(1 << 62), False)]
        self._lock = threading.Lock()

    def set(self, at: int, is_open: bool) -> None:
        with self._lock:
            while len(self._changes) > 1 and self._changes[-1][0] >= at:
                self._changes.pop()        # a later write in the same sample wins
            if self._changes[-1][1] != is_open:
                self._changes.append((at, is_open))

    def open_at(self, at: int) -> bool:
        with self._lock:
            changes = list(self._changes)
        state = False
        for t, s in changes:
            if t > at:
                break
            state = s
        return state

    def intervals(self, start: int, n: int) -> list[tuple[int, int]]:
        """The open stretches of ``[start, start + n)``."""
        stop = start + n
        out = []
        with self._lock:
            edges = self._changes + [(1 << 62, False)]
        for (t, s), (t_next, _) in zip(edges, edges[1:]):
            if s:
                lo, hi = max(t, start), min(t_next, stop)
                if lo < hi:
                    out.append((lo, hi))
        return out

    def forget(self, before: int) -> None:
        with self._lock:
            keep = 0
            for i, (t, _) in enumerate(self._changes):
                if t <= before:
                    keep = i
            self._changes = self._changes[keep:]


def gated(audio: AudioTimeline, gate: Gate, start: int, n: int) -> bytes:
    """The timeline's PCM where the gate is open, silence where it is closed."""
    out = bytearray(2 * n)
    for lo, hi in gate.intervals(start, n):
        out[2 * (lo - start):2 * (hi - start)] = audio.render(lo, hi - lo)
    return bytes(out)


class PcmTalker(Protocol):
    """A chip on the highway: drives its transmit slot, hears its receive slot."""

    @property
    def tx_timeslot(self) -> Optional[int]:
        """The slot this chip drives (from its PCM registers), None while its PCM is off."""
        ...

    @property
    def rx_timeslot(self) -> Optional[int]:
        ...

    def pcm_tx(self, start: int, n: int) -> bytes:
        """G.711 bytes for samples ``[start, start + n)``."""
        ...

    def pcm_rx(self, start: int, data: bytes) -> None:
        """G.711 bytes the box sent in this chip's receive slot, from sample ``start`` on."""
        ...


class CabledFramer(TdmSource, Protocol):
    """The framer's system interface, and the cable that times its frames (``Pef2256Sim``)."""

    cable: E1Cable | None

    def system_rx_backlog(self) -> int: ...


class AnalogTdmSim(SimTdm):
    """:class:`SimTdm` whose analog bytes are the ports' audio instead of A-law silence.

    Byte ``k`` (32 and up) of every frame read is the audio of the chip whose PCM
    transmit timeslot register says ``k``; a slot no chip drives reads A-law
    silence. Analog bytes written go to the chip whose receive timeslot is
    that byte, as audio from the highway's transmit position on: right after
    what was written before, or now if the writer fell behind. Slots 0-31 are
    the framer's (a chip set to one of them is not heard, (sim)).
    """

    def __init__(self, framer: CabledFramer | None, ports: Sequence[Optional[PcmTalker]],
                 device: str = "sim-tdm") -> None:
        super().__init__(framer, len(ports), device)
        self.framer: CabledFramer | None = framer
        self.ports = list(ports)
        self.collisions = 0          # frames where two chips drove the same slot
        self._tx_end = 0             # sample where the written audio ends

    def _slots(self, attr: str) -> dict[int, PcmTalker]:
        out: dict[int, PcmTalker] = {}
        for p in self.ports:
            if p is None:
                continue
            ts = getattr(p, attr)
            if ts is None or not E1_SLOTS <= ts < self.frame_size:
                continue
            if ts in out:
                self.collisions += 1
                continue
            out[ts] = p
        return out

    def read_frames(self, count: int, timeout: float = 0.1) -> list[bytes]:
        if self.framer is None:
            raise TdmError("read", self.device, 19, "no framer on this highway")
        self.framer.sync()
        cable = self.framer.cable
        waiting = self.framer.system_rx_backlog()
        frames = self.framer.system_rx(count)
        n = len(frames)
        if n == 0 or not self.ports:
            return frames
        if cable is None:            # frames only arrive over a cable, which also times them
            raise TdmError("read", self.device, 19, "framer has frames but no cable")
        # the newest captured frame ends where the cable has run to
        start = sample_at(cable.synced_until) - waiting
        talkers = self._slots("tx_timeslot")
        silent = bytes([ALAW_SILENCE]) * n
        cols = [talkers[ts].pcm_tx(start, n) if ts in talkers else silent
                for ts in range(E1_SLOTS, self.frame_size)]
        return [f + bytes(col) for f, col in zip(frames, zip(*cols))]

    def write_frames(self, frames: list[bytes]) -> None:
        super().write_frames(frames)
        for col in self.analog_tx:
            col.clear()              # the chips take the bytes; nothing accumulates here
        if not frames or self.framer is None:
            return
        now = sample_at(self.framer.cable.synced_until) if self.framer.cable else 0
        start = max(self._tx_end, now)
        self._tx_end = start + len(frames)
        for ts, chip in self._slots("rx_timeslot").items():
            chip.pcm_rx(start, bytes(f[ts] for f in frames))

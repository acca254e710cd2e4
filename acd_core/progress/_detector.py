"""Call-progress tone detector: dial, ringback, busy, congestion, SIT, per zone.

Envelope (tests in ``tests/acd_core/dsp/test_progress.py``):

* frequencies of the zone's table (``acd_core.progress.zones``) within ±2 %;
  level −40 dBm0 per frequency or more; the tone carries ≥ 70 % of the energy
  in a 20 ms block (speech and noise seldom do);
* cadences within ±(20 % + 40 ms) of the table (E.180 allows ±10 % in the
  network; the rest is our 20 ms block grid); SIT tones 200–450 ms each;
* reported once, ``(sample_offset, kind)`` with kind in ``zones.KINDS``:
  dial after 1 s of continuous tone (longer where the zone's ringback uses the
  same frequency), ringback after one on/off cycle, busy and congestion after
  two cycles, SIT after its three tones. A kind is reported again only after
  the line has been free of it for 1.5 times its longest silence.

How: Goertzel filters at every frequency of the zone over 160-sample blocks
(the media node's 20 ms frame); each block is classified as one of the zone's
frequency sets or silence; runs of equal blocks become segments; the newest
segments are compared with each tone's steps. FXO lines rely on busy and
congestion to learn that the far end hung up
(docs/reference/tones-and-callerid.md#busy-tone-as-a-hang-up-signal).
"""
from __future__ import annotations

import math
from array import array
from typing import List, Tuple, Union

from acd_core.g711 import DBM0_PEAK, alaw_to_linear, ulaw_to_linear
from acd_core.progress.zones import zone as _zone

SAMPLE_RATE = 8000
BLOCK = 160            # samples (20 ms): one media frame, 50 Hz Goertzel bins
BLOCK_MS = 20
MAX_FREQS = 8
# Tones at or above this frequency (the SIT's) are measured over four 40-sample
# quarters, 200 Hz bins: Q.35 lets them drift ±50 Hz, which a 50 Hz bin would miss.
WIDE_FROM_HZ = 900.0
QUARTER = 40
# Level floor per frequency: E.180 tones are sent at -10..-24 dBm0 and lose up
# to ~16 dB on a long line; -40 dBm0 keeps 16 dB of margin under the weakest.
MIN_LEVEL_DBM0 = -40.0
# Share of a block's energy the zone's frequencies must carry (talk-off guard).
TONE_TO_TOTAL = 0.7
# Cadence tolerance: E.180 §2 allows ±10 %; plus one block either side.
CADENCE_REL = 0.20
CADENCE_ABS_MS = 40
SIT_MIN_MS = 200       # Q.35 SIT segments run 274-380 ms in the field (E.180 §7)
SIT_MAX_MS = 450
CONTINUOUS_MS = 1000   # a dial tone is declared after this much steady tone
# Cycles of a cadence that must be seen: busy/congestion twice, others once.
CYCLES = {"busy": 2, "congestion": 2}
HISTORY = 16           # segments kept
# A one-shot sequence (SIT) repeats after ~1 s of silence (E.180 §7); report it
# again only after 3 s without it.
NONCYCLIC_RESET_MS = 3000

Samples = Union[bytes, bytearray, memoryview, array]


def _octets(samples):
    if type(samples) is bytes or type(samples) is bytearray:
        return samples
    return memoryview(samples).tobytes()


class ProgressDetector:
    """One line's call-progress detector for a zone of ``acd_core.progress.zones``."""

    def __init__(self, zone: str = "us", sample_rate: int = SAMPLE_RATE) -> None:
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"ProgressDetector runs at {SAMPLE_RATE} Hz, not {sample_rate} Hz")
        self.zone = zone
        self._defs = list(_zone(zone).values())
        freqs: list = []
        classes: list = []
        for d in self._defs:
            for fs, _ in d.steps:
                for f in fs:
                    if f not in freqs:
                        freqs.append(f)
                if fs and fs not in classes:
                    classes.append(fs)
        if len(freqs) > MAX_FREQS:
            raise ValueError(f"zone {zone!r} uses {len(freqs)} frequencies, at most {MAX_FREQS}")
        self._nf = len(freqs)
        self._freqs = freqs
        self._classes = [[freqs.index(f) for f in fs] for fs in classes]
        # Each tone's steps as (class or -1, ms).
        self._patterns = [[(classes.index(fs) if fs else -1, ms) for fs, ms in d.steps]
                          for d in self._defs]
        self._continuous_ms = []
        for i, d in enumerate(self._defs):
            limit = 0
            if d.continuous:
                cls = self._patterns[i][0][0]
                limit = CONTINUOUS_MS
                for j, other in enumerate(self._patterns):
                    for c, ms in other:
                        if j != i and c == cls:
                            limit = max(limit, int(ms * (1 + CADENCE_REL)) + CADENCE_ABS_MS + BLOCK_MS)
            self._continuous_ms.append(limit)
        coef = [0.0] * 8
        for k in range(self._nf):
            coef[k] = 2.0 * math.cos(2.0 * math.pi * freqs[k] / SAMPLE_RATE)
        self._coef = coef
        wide = [0] * 8
        for k in range(self._nf):
            wide[k] = 1 if freqs[k] >= WIDE_FROM_HZ else 0
        self._wide = wide
        self._half_power = [0.0] * 8
        self._s1 = [0.0] * 8  # MAX_FREQS
        self._s2 = [0.0] * 8
        self._energy = 0.0
        self._fill = 0
        self._samples = 0
        self._min_tone = (DBM0_PEAK * DBM0_PEAK / 2.0) * BLOCK * 10.0 ** (MIN_LEVEL_DBM0 / 10.0)
        self._cur_class = -1      # class of the running segment (-1 silence / other)
        self._cur_blocks = 0
        self._pending = -2        # debounce: a class seen once, not yet adopted
        self._segments: List[Tuple[int, int]] = []   # closed segments, newest last: (class, ms)
        self._current = ""        # kind last reported
        self._quiet_ms = 0        # time since the current kind was last seen
        self._out: List[Tuple[int, str]] = []

    def process(self, samples: Samples) -> List[Tuple[int, str]]:
        """Feed int16 PCM; returns ``(sample_offset, kind)`` for tones recognised in it."""
        buf = _octets(samples)
        if len(buf) % 2:
            raise ValueError(f"PCM16 input must be whole samples, got {len(buf)} bytes")
        self._out = []
        self._run(buf, len(buf) // 2)
        return self._out

    def process_alaw(self, data: Samples) -> List[Tuple[int, str]]:
        return self.process(alaw_to_linear(data))

    def process_ulaw(self, data: Samples) -> List[Tuple[int, str]]:
        return self.process(ulaw_to_linear(data))

    def _run(self, buf, n):
        src = buf
        nf = self._nf
        for i in range(n):
            # little-endian int16, sign-extended without a branch
            v = ((src[2 * i] | (src[2 * i + 1] << 8)) ^ 0x8000) - 0x8000
            x = v
            self._energy += x * x
            for k in range(nf):
                t = x + self._coef[k] * self._s1[k] - self._s2[k]
                self._s2[k] = self._s1[k]
                self._s1[k] = t
            self._fill += 1
            if self._fill % QUARTER == 0 and self._fill < BLOCK:
                self._end_quarter()
            elif self._fill == BLOCK:
                self._samples += BLOCK
                self._end_block()

    def _end_quarter(self):
        """Wide filters restart every quarter block; add up their quarters' power."""
        for k in range(self._nf):
            if self._wide[k]:
                s1 = self._s1[k]
                s2 = self._s2[k]
                self._half_power[k] += (s1 * s1 + s2 * s2 - self._coef[k] * s1 * s2) * 2.0 / QUARTER
                self._s1[k] = 0.0
                self._s2[k] = 0.0

    def _end_block(self):
        powers = [0.0] * 8  # MAX_FREQS
        for k in range(self._nf):
            s1 = self._s1[k]
            s2 = self._s2[k]
            if self._wide[k]:
                powers[k] = ((s1 * s1 + s2 * s2 - self._coef[k] * s1 * s2) * 2.0 / QUARTER
                             + self._half_power[k])
                self._half_power[k] = 0.0
            else:
                powers[k] = (s1 * s1 + s2 * s2 - self._coef[k] * s1 * s2) * 2.0 / BLOCK
            self._s1[k] = 0.0
            self._s2[k] = 0.0
        energy = self._energy
        self._energy = 0.0
        self._fill = 0
        best = -1
        best_share = 0.0
        for c in range(len(self._classes)):
            tone = 0.0
            weakest = 1e300
            for k in self._classes[c]:
                tone += powers[k]
                if powers[k] < weakest:
                    weakest = powers[k]
            if weakest < self._min_tone or energy <= 0.0:
                continue
            share = tone / energy
            if share >= TONE_TO_TOTAL and share > best_share:
                best = c
                best_share = share
        self._block(best)

    def _block(self, cls):
        """Segment the class stream, debouncing single-block blips."""
        if cls == self._cur_class:
            self._pending = -2
            self._cur_blocks += 1
        elif cls == self._pending:
            # Two blocks in a row: the new segment started one block ago.
            self._close(self._cur_class, (self._cur_blocks - 1) * BLOCK_MS)
            self._cur_class = cls
            self._cur_blocks = 2
            self._pending = -2
        else:
            self._pending = cls
            self._cur_blocks += 1
        self._check_continuous()
        if self._current:
            self._quiet_ms += BLOCK_MS
            if self._quiet_ms > self._reset_ms():
                self._current = ""

    def _close(self, cls, ms):
        if ms <= 0:
            return
        self._segments.append((cls, ms))
        if len(self._segments) > HISTORY:
            del self._segments[0]
        for i in range(len(self._defs)):
            if self._matches(i):
                self._found(i)

    def _reset_ms(self):
        longest = 1000
        for d in self._defs:
            if d.kind == self._current:
                if not d.cyclic:
                    longest = NONCYCLIC_RESET_MS
                for fs, ms in d.steps:
                    if not fs and ms * 3 // 2 > longest:
                        longest = ms * 3 // 2
        return longest

    def _close_enough(self, got, want, kind):
        if kind == "sit" and not self._defs_cyclic_sit():
            return SIT_MIN_MS <= got <= SIT_MAX_MS
        return abs(got - want) <= want * CADENCE_REL + CADENCE_ABS_MS

    def _defs_cyclic_sit(self):
        for d in self._defs:
            if d.kind == "sit":
                return d.cyclic
        return False

    def _matches(self, i):
        d = self._defs[i]
        if d.continuous:
            return False
        pattern = self._patterns[i]
        n = len(pattern)
        need = n * CYCLES.get(d.kind, 1)
        segs = self._segments
        if len(segs) < need:
            return False
        tail = segs[len(segs) - need:]
        for r in range(n if d.cyclic else 1):
            ok = True
            for j in range(need):
                cls, ms = pattern[(r + j) % n]
                if tail[j][0] != cls or not self._close_enough(tail[j][1], ms, d.kind):
                    ok = False
                    break
            if ok:
                return True
        return False

    def _check_continuous(self):
        for i in range(len(self._defs)):
            limit = self._continuous_ms[i]
            if limit and self._patterns[i][0][0] == self._cur_class and \
                    self._cur_blocks * BLOCK_MS >= limit:
                self._found(i)

    def _found(self, i):
        kind = self._defs[i].kind
        self._quiet_ms = 0
        if kind != self._current:
            self._current = kind
            self._out.append((self._samples, kind))

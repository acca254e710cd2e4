"""MFC-R2 interregister tone detector (Q.441 tones; ITU and China No.1 alike).

Envelope (tests in ``tests/acd_core/dsp/test_r2tones.py``; Q.455 receiver):

* the 15 tones of one direction (forward 1380..1980 Hz or backward 1140..540 Hz)
  within ±10 Hz, from −35 to −5 dBm0 per frequency, up to 5 dB between the
  two (limit 7 dB); white noise down to 20 dB SNR;
* recognised after 20 ms of tone, so a compelled step against a peer that
  answers from one 20 ms block (libopenr2,
  docs/reference/r2.md#register-signalling-the-mf-tones) is not slowed down;
* events ``(sample_offset, tone)``: ``tone`` 1..15 when a tone is recognised,
  0 when it stops (10 ms without it); one "on" per tone.

How: six Goertzel filters on 5 ms sub-blocks summed into a sliding 15 ms window
(66.7 Hz bins; the tones are 1.8 bins apart), like the DTMF receiver. A window is
a hit when its two strongest tones carry ≥ 70 % of the energy, the third is ≥
6 dB under the weaker, the levels and the twist are within limits and the
three sub-blocks carry comparable energy. Two hits confirm; two misses end the tone.
"""
from __future__ import annotations

import math
from array import array
from typing import List, Tuple, Union

from acd_core.g711 import DBM0_PEAK, alaw_to_linear, ulaw_to_linear
from acd_core.r2tones.tables import BACKWARD_FREQS, FORWARD_FREQS, PAIRS

SAMPLE_RATE = 8000
SUBBLOCK = 40          # 5 ms hop
WINDOW_SUBBLOCKS = 3   # 15 ms window
RING = 4
MIN_LEVEL_DBM0 = -38.0     # Q.455: operate from -35 dBm0 per frequency; 3 dB margin
MAX_TWIST_DB = 7.0         # Q.455: up to 5 dB between the two frequencies; 2 dB margin
THIRD_TONE_DB = 6.0        # a third tone this close is not one R2 signal (leakage reaches -7.4 dB at 5 dB twist, 10 Hz off)
TONE_TO_TOTAL = 0.7        # share of the window's energy in the two tones
STATIONARITY = 0.2         # weakest sub-block vs strongest (two tones 120 Hz apart beat to 0.31)
CONFIRM_HITS = 2           # 15 ms window + one 5 ms hop = 20 ms of tone
RELEASE_MISSES = 2         # 10 ms without the tone ends it

Samples = Union[bytes, bytearray, memoryview, array]


def _octets(samples):
    if type(samples) is bytes or type(samples) is bytearray:
        return samples
    return memoryview(samples).tobytes()


class R2ToneDetector:
    """Detects one direction's MFC-R2 tones on one channel."""

    def __init__(self, direction: str = "forward", sample_rate: int = SAMPLE_RATE) -> None:
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"R2ToneDetector runs at {SAMPLE_RATE} Hz, not {sample_rate} Hz")
        if direction not in ("forward", "backward"):
            raise ValueError(f"R2 direction must be 'forward' or 'backward', not {direction!r}")
        self.direction = direction
        freqs = FORWARD_FREQS if direction == "forward" else BACKWARD_FREQS
        coef = [0.0] * 6
        for k in range(6):
            coef[k] = 2.0 * math.cos(2.0 * math.pi * freqs[k] / SAMPLE_RATE)
        self._coef = coef
        table = [0] * 36
        for tone, (a, b) in PAIRS.items():
            table[a * 6 + b] = tone
            table[b * 6 + a] = tone
        self._pair_tone = table
        self._s1 = [0.0] * 6
        self._s2 = [0.0] * 6
        self._re = [0.0] * 24      # RING x 6 window parts: complex sub-block DFTs
        self._im = [0.0] * 24
        self._wcos = [0.0] * 6
        self._wsin = [0.0] * 6
        self._rot_re = [0.0] * 6
        self._rot_im = [0.0] * 6
        self._step_re = [0.0] * 6
        self._step_im = [0.0] * 6
        for k in range(6):
            w = 2.0 * math.pi * freqs[k] / SAMPLE_RATE
            self._wcos[k] = math.cos(w)
            self._wsin[k] = math.sin(w)
            self._rot_re[k] = math.cos(w * (SUBBLOCK - 1))
            self._rot_im[k] = -math.sin(w * (SUBBLOCK - 1))
            self._step_re[k] = math.cos(w * SUBBLOCK)
            self._step_im[k] = -math.sin(w * SUBBLOCK)
        self._energy = [0.0] * 4   # RING
        self._acc = 0.0
        self._fill = 0
        self._subblocks = 0
        self._samples = 0
        window = SUBBLOCK * WINDOW_SUBBLOCKS
        self._window = window
        self._min_tone = (DBM0_PEAK * DBM0_PEAK / 2.0) * window * 10.0 ** (MIN_LEVEL_DBM0 / 10.0)
        self._twist = 10.0 ** (MAX_TWIST_DB / 10.0)
        self._third = 10.0 ** (THIRD_TONE_DB / 10.0)
        self._last_hit = 0
        self._hits = 0
        self._current = 0
        self._misses = 0
        self._out: List[Tuple[int, int]] = []

    def process(self, samples: Samples) -> List[Tuple[int, int]]:
        """Feed int16 PCM; returns ``(sample_offset, tone)`` events (0 = tone ended)."""
        buf = _octets(samples)
        if len(buf) % 2:
            raise ValueError(f"PCM16 input must be whole samples, got {len(buf)} bytes")
        self._out = []
        self._run(buf, len(buf) // 2)
        return self._out

    def process_alaw(self, data: Samples) -> List[Tuple[int, int]]:
        return self.process(alaw_to_linear(data))

    def process_ulaw(self, data: Samples) -> List[Tuple[int, int]]:
        return self.process(ulaw_to_linear(data))

    def _run(self, buf, n):
        src = buf
        c0 = self._coef[0]
        c1 = self._coef[1]
        c2 = self._coef[2]
        c3 = self._coef[3]
        c4 = self._coef[4]
        c5 = self._coef[5]
        pos = 0
        while pos < n:
            a0 = self._s1[0]
            a1 = self._s1[1]
            a2 = self._s1[2]
            a3 = self._s1[3]
            a4 = self._s1[4]
            a5 = self._s1[5]
            b0 = self._s2[0]
            b1 = self._s2[1]
            b2 = self._s2[2]
            b3 = self._s2[3]
            b4 = self._s2[4]
            b5 = self._s2[5]
            energy = self._acc
            take = SUBBLOCK - self._fill
            if take > n - pos:
                take = n - pos
            end = pos + take
            for i in range(pos, end):
                # little-endian int16, sign-extended without a branch
                v = ((src[2 * i] | (src[2 * i + 1] << 8)) ^ 0x8000) - 0x8000
                x = v
                energy += x * x
                t = x + c0 * a0 - b0
                b0 = a0
                a0 = t
                t = x + c1 * a1 - b1
                b1 = a1
                a1 = t
                t = x + c2 * a2 - b2
                b2 = a2
                a2 = t
                t = x + c3 * a3 - b3
                b3 = a3
                a3 = t
                t = x + c4 * a4 - b4
                b4 = a4
                a4 = t
                t = x + c5 * a5 - b5
                b5 = a5
                a5 = t
            pos = end
            self._samples += take
            self._fill += take
            self._s1[0] = a0
            self._s1[1] = a1
            self._s1[2] = a2
            self._s1[3] = a3
            self._s1[4] = a4
            self._s1[5] = a5
            self._s2[0] = b0
            self._s2[1] = b1
            self._s2[2] = b2
            self._s2[3] = b3
            self._s2[4] = b4
            self._s2[5] = b5
            self._acc = energy
            if self._fill == SUBBLOCK:
                self._end_subblock()

    def _end_subblock(self):
        slot = self._subblocks & (RING - 1)
        for k in range(6):
            s1 = self._s1[k]
            s2 = self._s2[k]
            yr = s1 - self._wcos[k] * s2
            yi = self._wsin[k] * s2
            rr = self._rot_re[k]
            ri = self._rot_im[k]
            self._re[slot * 6 + k] = yr * rr - yi * ri
            self._im[slot * 6 + k] = yr * ri + yi * rr
            nr = rr * self._step_re[k] - ri * self._step_im[k]
            ni = rr * self._step_im[k] + ri * self._step_re[k]
            g = 1.5 - 0.5 * (nr * nr + ni * ni)
            self._rot_re[k] = nr * g
            self._rot_im[k] = ni * g
            self._s1[k] = 0.0
            self._s2[k] = 0.0
        self._energy[slot] = self._acc
        self._acc = 0.0
        self._fill = 0
        self._subblocks += 1
        tone = 0
        if self._subblocks >= WINDOW_SUBBLOCKS:
            tone = self._hit()
        self._track(tone)

    def _hit(self):
        newest = self._subblocks - 1
        emax = 0.0
        emin = 1e300
        total = 0.0
        for j in range(WINDOW_SUBBLOCKS):
            e = self._energy[(newest - j) & (RING - 1)]
            total += e
            if e > emax:
                emax = e
            if e < emin:
                emin = e
        if emin < STATIONARITY * emax or total <= 0.0:
            return 0
        first = -1
        second = -1
        e1 = -1.0
        e2 = -1.0
        e3 = 0.0
        for k in range(6):
            re = 0.0
            im = 0.0
            for j in range(WINDOW_SUBBLOCKS):
                slot = (newest - j) & (RING - 1)
                re += self._re[slot * 6 + k]
                im += self._im[slot * 6 + k]
            e = (re * re + im * im) * 2.0 / self._window
            if e > e1:
                e3 = e2
                e2 = e1
                second = first
                e1 = e
                first = k
            elif e > e2:
                e3 = e2
                e2 = e
                second = k
            elif e > e3:
                e3 = e
        if e2 < self._min_tone or e1 > self._twist * e2 or e2 < self._third * e3:
            return 0
        if e1 + e2 < TONE_TO_TOTAL * total:
            return 0
        return self._pair_tone[first * 6 + second]

    def _track(self, tone):
        if tone and tone == self._last_hit:
            self._hits += 1
        elif tone:
            self._hits = 1
        else:
            self._hits = 0
        self._last_hit = tone
        if self._current and tone == self._current:
            self._misses = 0
            return
        if self._current:
            self._misses += 1
            if self._misses >= RELEASE_MISSES:
                self._current = 0
                self._out.append((self._samples, 0))
        if tone and self._hits >= CONFIRM_HITS and tone != self._current:
            if self._current:
                self._out.append((self._samples, 0))
            self._current = tone
            self._misses = 0
            self._out.append((self._samples, tone))

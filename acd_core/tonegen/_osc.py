"""Phase-continuous oscillators: the sample loops behind ``acd_core.tonegen``.

``Oscillator.tones`` sums up to four sines and keeps each one's phase across
calls, so cadenced tones and FXS streams have no clicks at frame joins;
``Oscillator.fsk`` is a continuous-phase FSK modulator (Bell 202 / V.23 caller
ID) with fractional bit timing. Output is signed 16-bit little-endian PCM,
clipped to int16.
"""
from __future__ import annotations

import math

SAMPLE_RATE = 8000
MAX_TONES = 4


class Oscillator:
    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"Oscillator runs at {SAMPLE_RATE} Hz, not {sample_rate} Hz")
        self._phase = [0.0] * 4  # MAX_TONES
        self._fsk_phase = 0.0
        self._bit_clock = 0.0

    def tones(self, freqs, amps, n):
        """``n`` samples of sum(amps[i] * sin(phase_i)); empty ``freqs`` is silence."""
        count = len(freqs)
        if count > MAX_TONES or len(amps) != count:
            raise ValueError(f"at most {MAX_TONES} tones, with one amplitude each")
        out = bytearray(2 * n)
        dst = out
        step = [0.0] * 4
        amp = [0.0] * 4
        for k in range(count):
            step[k] = 2.0 * math.pi * freqs[k] / SAMPLE_RATE
            amp[k] = amps[k]
        for i in range(n):
            x = 0.0
            for k in range(count):
                x += amp[k] * math.sin(self._phase[k])
                self._phase[k] += step[k]
                if self._phase[k] > 2.0 * math.pi:
                    self._phase[k] -= 2.0 * math.pi
            v = int(math.floor(x + 0.5))
            if v > 32767:
                v = 32767
            elif v < -32768:
                v = -32768
            v &= 0xFFFF
            dst[2 * i] = v & 0xFF
            dst[2 * i + 1] = v >> 8
        return bytes(out)

    def fsk(self, bits, mark_hz, space_hz, baud, amp):
        """Continuous-phase FSK of ``bits`` (a sequence of 0/1; 1 = mark)."""
        data = bytes(bits)
        bp = data
        nbits = len(data)
        samples_per_bit = SAMPLE_RATE / baud
        # Bits end on fractional sample positions; the clock carries the remainder.
        total = int((nbits * samples_per_bit) - self._bit_clock)
        out = bytearray(2 * total)
        dst = out
        w_mark = 2.0 * math.pi * mark_hz / SAMPLE_RATE
        w_space = 2.0 * math.pi * space_hz / SAMPLE_RATE
        for i in range(total):
            b = int((i + self._bit_clock) / samples_per_bit)
            if b >= nbits:
                b = nbits - 1
            self._fsk_phase += w_mark if bp[b] else w_space
            if self._fsk_phase > 2.0 * math.pi:
                self._fsk_phase -= 2.0 * math.pi
            v = int(math.floor(amp * math.sin(self._fsk_phase) + 0.5))
            v &= 0xFFFF
            dst[2 * i] = v & 0xFF
            dst[2 * i + 1] = v >> 8
        self._bit_clock = (total + self._bit_clock) - nbits * samples_per_bit
        return bytes(out)

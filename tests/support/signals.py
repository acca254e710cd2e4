"""Test signals built from the spec values, independently of ``acd_core.tonegen``.

Plain math and ``random.Random(seed)``: the detectors are never tested against
our own generator alone (docs/style.md#independent-peers).
"""
from __future__ import annotations

import math
import random
import struct
from array import array

RATE = 8000
#: 0 dBm0 sine peak (G.711 digital milliwatt, 3.14 dB below full scale).
DBM0_PEAK = 32767.0 * 10.0 ** (-3.14 / 20.0)

DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)
DTMF_COLS = (1209.0, 1336.0, 1477.0, 1633.0)
DTMF_KEYS = "123A456B789C*0#D"


def ms(t: float) -> int:
    return int(round(t * RATE / 1000.0))


def tones(freqs_levels: list[tuple[float, float]], n: int, phase_seed: int = 0) -> list[float]:
    """Sum of sines, each (frequency Hz, level dBm0), random start phases."""
    rng = random.Random(phase_seed)
    out = [0.0] * n
    for f, level in freqs_levels:
        a = DBM0_PEAK * 10.0 ** (level / 20.0)
        w = 2.0 * math.pi * f / RATE
        ph = rng.uniform(0.0, 2.0 * math.pi)
        for i in range(n):
            out[i] += a * math.sin(w * i + ph)
    return out


def dtmf(key: str, n: int, level_dbm0: float = -10.0, twist_db: float = 0.0,
         row_dev: float = 0.0, col_dev: float = 0.0, phase_seed: int = 0) -> list[float]:
    """A DTMF pair of total power ``level_dbm0``; ``twist_db`` > 0 means the low
    (row) tone is that much above the high one (normal twist), < 0 reverse."""
    idx = DTMF_KEYS.index(key)
    r, c = DTMF_ROWS[idx // 4] * (1 + row_dev), DTMF_COLS[idx % 4] * (1 + col_dev)
    share = 10.0 ** (twist_db / 10.0)            # row power / col power
    total = 10.0 ** (level_dbm0 / 10.0)
    row_p, col_p = total * share / (1 + share), total / (1 + share)
    return tones([(r, 10 * math.log10(row_p)), (c, 10 * math.log10(col_p))], n, phase_seed)


def silence(n: int) -> list[float]:
    return [0.0] * n


def add_noise(x: list[float], level_dbm0: float, seed: int) -> list[float]:
    """Add white Gaussian noise of power ``level_dbm0``."""
    rng = random.Random(seed)
    sigma = DBM0_PEAK / math.sqrt(2.0) * 10.0 ** (level_dbm0 / 20.0)
    return [v + rng.gauss(0.0, sigma) for v in x]


def to_pcm(x: list[float]) -> bytes:
    """Float samples -> int16 little-endian, clipped."""
    return struct.pack(f"<{len(x)}h", *(max(-32768, min(32767, int(round(v)))) for v in x))


def to_array(x: list[float]) -> array:
    return array("h", (max(-32768, min(32767, int(round(v)))) for v in x))


def digit_train(keys: str, on_ms: float, off_ms: float, lead_ms: float = 50.0, **kw) -> list[float]:
    out = silence(ms(lead_ms))
    for i, k in enumerate(keys):
        out += dtmf(k, ms(on_ms), phase_seed=i, **kw)
        out += silence(ms(off_ms))
    return out


def uart(data: bytes) -> list[int]:
    """Start bit 0, 8 data bits LSB first, stop bit 1 (EIA async, as GR-30 sends)."""
    bits: list[int] = []
    for b in data:
        bits += [0] + [(b >> i) & 1 for i in range(8)] + [1]
    return bits


def fsk(bits: list[int], mark: float, space: float, level_dbm0: float, baud: float = 1200.0,
        space_gain_db: float = 0.0, phase: float = 0.3) -> list[float]:
    """Continuous-phase FSK, fractional bit timing; ``space_gain_db`` tilts space vs mark."""
    amp = DBM0_PEAK * 10.0 ** (level_dbm0 / 20.0)
    amp_space = amp * 10.0 ** (space_gain_db / 20.0)
    n = int(len(bits) * RATE / baud)
    out, ph = [], phase
    for i in range(n):
        b = bits[min(len(bits) - 1, int(i * baud / RATE))]
        ph += 2.0 * math.pi * (mark if b else space) / RATE
        out.append((amp if b else amp_space) * math.sin(ph))
    return out


def cid_burst(message: bytes, mark: float, space: float, level_dbm0: float = -13.5,
              **kw) -> list[float]:
    """Seizure (300 alternating bits), 180 mark bits, the message, 60 mark bits."""
    bits = [i & 1 for i in range(300)] + [1] * 180 + uart(message) + [1] * 60
    return fsk(bits, mark, space, level_dbm0, **kw)

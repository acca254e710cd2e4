"""Tone generator: DTMF, country progress tones, FSK caller ID, MFC-R2, at a level in dBm0.

Everything returns signed 16-bit little-endian 8 kHz PCM (``acd_core.g711``
encodes it for the TDM side). Levels are per frequency in dBm0 on the scale of
``acd_core.g711.DBM0_PEAK``. ``ToneStream`` is the phase-continuous source an
FXS port reads 20 ms frames from; the functions render whole signals.
"""
from __future__ import annotations

from typing import Optional

from acd_core.g711 import dbm0_to_peak
from acd_core.progress.zones import ToneDef, zone
from acd_core.r2tones.tables import SEND_LEVEL_DBM0, frequencies
from acd_core.tonegen._osc import Oscillator

SAMPLE_RATE = 8000
DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)
DTMF_COLS = (1209.0, 1336.0, 1477.0, 1633.0)
DTMF_KEYS = "123A456B789C*0#D"
# ES 201 235-2 §4: low group -11 dBm0, high group -9 dBm0 (2 dB pre-emphasis).
DTMF_LOW_DBM0 = -11.0
DTMF_HIGH_DBM0 = -9.0

# Caller ID FSK (docs/reference/tones-and-callerid.md#caller-id): (mark Hz, space Hz), 1200 baud.
FSK_STANDARDS = {"bell202": (1200.0, 2200.0), "v23": (1300.0, 2100.0)}
FSK_BAUD = 1200.0
CID_LEVEL_DBM0 = -13.5       # GR-30 / EN 300 659-1 nominal transmit level (v)
CID_SEIZURE_BITS = 300       # alternating 0/1 channel seizure
CID_MARK_BITS = 180          # 150 ms of marks before the message
CID_TRAILING_MARK_BITS = 60  # ~50 ms of marks after it (Asterisk callerid.c)


def _ms(t: float) -> int:
    return int(round(t * SAMPLE_RATE / 1000.0))


def dtmf_digit(key: str, duration_ms: float = 100.0, low_dbm0: float = DTMF_LOW_DBM0,
               high_dbm0: float = DTMF_HIGH_DBM0) -> bytes:
    """One DTMF key (0-9 * # A-D)."""
    idx = DTMF_KEYS.find(key.upper()) if len(key) == 1 else -1
    if idx < 0:
        raise ValueError(f"not a DTMF key: {key!r}")
    return Oscillator().tones((DTMF_ROWS[idx // 4], DTMF_COLS[idx % 4]),
                              (dbm0_to_peak(low_dbm0), dbm0_to_peak(high_dbm0)), _ms(duration_ms))


def dtmf(keys: str, on_ms: float = 100.0, off_ms: float = 100.0, low_dbm0: float = DTMF_LOW_DBM0,
         high_dbm0: float = DTMF_HIGH_DBM0) -> bytes:
    """A string of keys, each ``on_ms`` of tone then ``off_ms`` of silence."""
    gap = bytes(2 * _ms(off_ms))
    return b"".join(dtmf_digit(k, on_ms, low_dbm0, high_dbm0) + gap for k in keys)


class ToneStream:
    """A cadenced tone (a ``ToneDef`` from the zone table) as an endless stream."""

    def __init__(self, tone: ToneDef, level_dbm0: Optional[float] = None) -> None:
        self.tone = tone
        self._amp = dbm0_to_peak(tone.level_dbm0 if level_dbm0 is None else level_dbm0)
        self._osc = Oscillator()
        self._step = 0
        self._left = _ms(tone.steps[0][1]) if tone.steps[0][1] else -1
        self._done = False

    def read(self, n: int) -> bytes:
        """The next ``n`` samples; a one-shot tone (SIT) is followed by silence."""
        parts = []
        while n > 0:
            freqs, _ = self.tone.steps[self._step]
            take = n if self._left < 0 else min(n, self._left)
            if self._done or not freqs:
                parts.append(bytes(2 * take))
            else:
                parts.append(self._osc.tones(freqs, (self._amp,) * len(freqs), take))
            n -= take
            if self._left >= 0:
                self._left -= take
                if self._left == 0:
                    self._step += 1
                    if self._step == len(self.tone.steps):
                        self._step = 0
                        if not self.tone.cyclic:
                            self._done = True
                    self._left = _ms(self.tone.steps[self._step][1]) or -1
        return b"".join(parts)


def progress(zone_name: str, kind: str, seconds: float, level_dbm0: Optional[float] = None) -> bytes:
    """``seconds`` of a zone's dial/ringback/busy/congestion/sit tone."""
    defs = zone(zone_name)
    if kind not in defs:
        raise ValueError(f"zone {zone_name!r} has no {kind!r} tone; it has {', '.join(defs)}")
    return ToneStream(defs[kind], level_dbm0).read(_ms(seconds * 1000.0))


def r2(tone: int, direction: str, duration_ms: float = 100.0,
       level_dbm0: float = SEND_LEVEL_DBM0) -> bytes:
    """MFC-R2 forward or backward tone 1..15 (Q.441), ``level_dbm0`` per frequency."""
    f1, f2 = frequencies(tone, direction)
    amp = dbm0_to_peak(level_dbm0)
    return Oscillator().tones((f1, f2), (amp, amp), _ms(duration_ms))


def uart_bits(data: bytes) -> list:
    """Asynchronous framing: start bit 0, eight data bits LSB first, stop bit 1."""
    bits = []
    for byte in data:
        bits.append(0)
        bits.extend((byte >> i) & 1 for i in range(8))
        bits.append(1)
    return bits


def fsk_callerid(message: bytes, standard: str = "bell202", level_dbm0: float = CID_LEVEL_DBM0,
                 seizure: bool = True) -> bytes:
    """An on-hook caller ID burst (FXS ports): channel seizure, marks, the framed
    message (``bytes(CallerIdMessage)``, checksum included), trailing marks."""
    try:
        mark, space = FSK_STANDARDS[standard]
    except KeyError:
        raise ValueError(f"FSK standard must be one of {', '.join(FSK_STANDARDS)}, "
                         f"not {standard!r}") from None
    bits: list = []
    if seizure:
        bits += [i & 1 for i in range(CID_SEIZURE_BITS)]
    bits += [1] * CID_MARK_BITS + uart_bits(message) + [1] * CID_TRAILING_MARK_BITS
    return Oscillator().fsk(bits, mark, space, FSK_BAUD, dbm0_to_peak(level_dbm0))


def silence(duration_ms: float) -> bytes:
    return bytes(2 * _ms(duration_ms))


__all__ = ["dtmf", "dtmf_digit", "progress", "r2", "fsk_callerid", "ToneStream", "silence",
           "uart_bits", "Oscillator", "zone", "ToneDef"]

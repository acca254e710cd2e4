"""Independent audio checks for tests: what frequencies a WAV file holds."""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path


def pcm16(pcm: bytes) -> list[int]:
    """Samples of 16-bit little-endian linear PCM."""
    return list(struct.unpack(f"<{len(pcm) // 2}h", pcm))


def read_wav(path: Path, channel: int = 0) -> tuple[int, list[int]]:
    """Sample rate and the samples of one channel (the first by default)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit samples, got {w.getsampwidth() * 8}-bit")
        rate, channels = w.getframerate(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    samples = pcm16(raw)
    if channels > 1:
        samples = samples[channel::channels]
    return rate, samples


def goertzel_power(samples: list[int], rate: int, freq: float) -> float:
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / max(1, len(samples))


def tone_share(samples: list[int], rate: int, freq: float) -> float:
    """Fraction of the signal's energy at ``freq`` (about 1.0 for a pure tone)."""
    energy = sum(x * x for x in samples) / max(1, len(samples))
    if energy == 0:
        return 0.0
    return 2 * goertzel_power(samples, rate, freq) / len(samples) / energy


def shares_per_window(samples: list[int], rate: int, freq: float,
                      window_s: float = 0.5) -> list[float]:
    """``tone_share`` of each whole ``window_s`` window, in order."""
    n = int(window_s * rate)
    return [tone_share(samples[off:off + n], rate, freq)
            for off in range(0, len(samples) - n + 1, n)]


def windows_with_tone(path: Path, freq: float, window_s: float = 0.5,
                      threshold: float = 0.3) -> int:
    """How many ``window_s`` windows of the file are dominated by ``freq``."""
    rate, samples = read_wav(path)
    return sum(1 for s in shares_per_window(samples, rate, freq, window_s) if s >= threshold)


def envelope(samples: list[int], rate: int, frame_s: float = 0.02) -> list[float]:
    """RMS per frame: what survives G.711 and mixing well enough to recognise a prompt."""
    n = int(frame_s * rate)
    return [math.sqrt(sum(x * x for x in samples[i:i + n]) / n)
            for i in range(0, len(samples) - n + 1, n)]


def clip_match(heard: list[int], clip: Path, rate: int = 8000) -> float:
    """How well the loudness contour of the WAV ``clip`` appears somewhere in ``heard``:
    the best normalised correlation over every offset (1.0: the same contour). Speech
    prompts have no single frequency; their contour of syllables is what identifies
    them in a capture decoded by an independent tool."""
    _, clip_samples = read_wav(clip)
    a = envelope(heard, rate)
    b = envelope(clip_samples, rate)
    while b and b[-1] < 50:                     # trailing silence says nothing
        b.pop()
    while b and b[0] < 50:
        b.pop(0)
    if not b or len(a) < len(b):
        return 0.0
    mb = sum(b) / len(b)
    db = [x - mb for x in b]
    nb = math.sqrt(sum(x * x for x in db)) or 1.0
    best = 0.0
    for off in range(len(a) - len(b) + 1):
        win = a[off:off + len(b)]
        ma = sum(win) / len(win)
        da = [x - ma for x in win]
        na = math.sqrt(sum(x * x for x in da))
        if na > 0:
            best = max(best, sum(x * y for x, y in zip(da, db)) / (na * nb))
    return best

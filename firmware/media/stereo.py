"""A stereo recording (caller left, agent right) from the node's two mono halves.

pjsua2's recorder writes one channel of what the bridge mixes into it, so the
node records each party into its own 8 kHz 16-bit mono file, both started on
the same bridge tick (``firmware/media/recorders.py``), and the daemon
interleaves them here once both are final. The halves are read and written
through ``array`` slice assignment (C loops, no per-sample Python), so an hour
of call costs a fraction of a second of one core (measured in
``tests/benchmarks/test_desk_stereo.py``). A half that a killed node left
unfinished is repaired from its length first (``wavfile.repair``); the shorter
half is padded with silence at its end.
"""
from __future__ import annotations

import array
import logging
import os
import sys
import wave
from pathlib import Path

from firmware.media import wavfile
from firmware.media.protocol import ProtocolError
from firmware.media.recorders import stereo_files

RATE = 8000
log = logging.getLogger("callbox.media")


def _samples(path: str) -> array.array:
    if wavfile.final_seconds(path) is None:
        wavfile.repair(path)
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ProtocolError(f"{path}: expected 16-bit mono, got {w.getsampwidth() * 8}-bit "
                                f"x{w.getnchannels()}", offset=20)
        raw = w.readframes(w.getnframes())
    out = array.array("h")
    out.frombytes(raw[:len(raw) - len(raw) % 2])
    if sys.byteorder == "big":          # WAV is little-endian
        out.byteswap()
    return out


def interleave(left: array.array, right: array.array) -> array.array:
    n = max(len(left), len(right))
    left.extend(array.array("h", bytes(2 * (n - len(left)))))
    right.extend(array.array("h", bytes(2 * (n - len(right)))))
    both = array.array("h", bytes(4 * n))
    both[0::2] = left
    both[1::2] = right
    return both


def merge(path: str) -> float:
    """Write ``path`` (2 channels) from its ``.left``/``.right`` halves, remove them; seconds.

    A missing half is silence (its node died before writing anything)."""
    halves = []
    for half in stereo_files(path):
        halves.append(_samples(half) if os.path.exists(half) else array.array("h"))
    # Both recorders start on one bridge tick and stop in one main-loop step, so the
    # halves should be equally long; a difference is how far the channels may be skewed.
    log.info("stereo recording merged path=%s left=%d right=%d skew=%d", path,
             len(halves[0]), len(halves[1]), len(halves[0]) - len(halves[1]))
    both = interleave(*halves)
    if sys.byteorder == "big":
        both.byteswap()
    tmp = Path(path).with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(both.tobytes())
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    for half in stereo_files(path):
        try:
            os.unlink(half)
        except FileNotFoundError:
            pass
    return len(both) / 2 / RATE

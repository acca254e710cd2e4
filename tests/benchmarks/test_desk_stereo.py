"""What a stereo recording costs the daemon: merging the node's two mono halves.

A stereo recording is two 8 kHz 16-bit mono WAVs (caller, agent) that the daemon
interleaves into one two-channel WAV when the call ends
(``firmware/media/stereo.py``, in a worker thread). Measured on ten minutes of
audio per half, against the same process copying the same two files
(``shutil.copyfile``: the least any merge must do is read and write that many
bytes). Reported: ``merge_over_copy`` (how many copies a merge costs) and
``cpu_s_per_call_hour`` (one core's seconds to merge one hour of call).
"""
from __future__ import annotations

import array
import math
import shutil
import time
import wave
from pathlib import Path

from firmware.media import stereo
from firmware.media.recorders import stereo_files

MINUTES = 10
RUNS = 3


def _half(path: Path, hz: float, seconds: int) -> None:
    one = array.array("h", (int(8000 * math.sin(2 * math.pi * hz * i / 8000))
                            for i in range(8000)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        data = one.tobytes()
        for _ in range(seconds):
            w.writeframes(data)


def test_stereo_merge_cost(benchmark, tmp_path: Path) -> None:
    target = tmp_path / "call.wav"
    left, right = (Path(p) for p in stereo_files(str(target)))
    src = tmp_path / "src"
    src.mkdir()
    _half(src / "l.wav", 500.0, MINUTES * 60)
    _half(src / "r.wav", 1500.0, MINUTES * 60)

    def prepare() -> None:
        shutil.copyfile(src / "l.wav", left)
        shutil.copyfile(src / "r.wav", right)
        target.unlink(missing_ok=True)

    def copy_only() -> float:
        t0 = time.perf_counter()
        shutil.copyfile(src / "l.wav", tmp_path / "c1.wav")
        shutil.copyfile(src / "r.wav", tmp_path / "c2.wav")
        return time.perf_counter() - t0

    copy_s = min(copy_only() for _ in range(RUNS))
    merges = []
    for _ in range(RUNS):
        prepare()
        t0 = time.process_time()
        seconds = stereo.merge(str(target))
        merges.append(time.process_time() - t0)
    assert seconds == MINUTES * 60 and not left.exists() and not right.exists()
    with wave.open(str(target), "rb") as w:
        assert (w.getnchannels(), w.getnframes()) == (2, MINUTES * 60 * 8000)
    prepare()
    benchmark.pedantic(stereo.merge, args=(str(target),), setup=prepare, rounds=1)
    merge_s = min(merges)
    benchmark.extra_info.update({
        "audio_minutes": MINUTES,
        "merge_cpu_s": round(merge_s, 3),
        "copy_s": round(copy_s, 3),
        "merge_over_copy": round(merge_s / copy_s, 2),
        "cpu_s_per_call_hour": round(merge_s * 60 / MINUTES, 2),
    })

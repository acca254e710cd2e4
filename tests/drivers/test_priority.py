"""drivers/priority.py: audio threads run 10 nice steps above their process where allowed,
threads they start inherit it, and where it is not allowed the reason comes back."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from drivers.priority import AUDIO_NICE_STEP, raise_audio_priority

ROOT = Path(__file__).resolve().parents[2]


def _in_a_thread() -> tuple[int, tuple[int, str], int]:
    """(nice before, what raise_audio_priority returned, nice of a thread it then started),
    in a thread of its own so the test's own thread keeps its priority."""
    out: list[object] = []

    def child() -> None:
        out.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    def audio() -> None:
        before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        got = raise_audio_priority()
        t = threading.Thread(target=child)
        t.start()
        t.join()
        out[:0] = [before, got]
    t = threading.Thread(target=audio)
    t.start()
    t.join()
    before, got, inherited = out
    assert isinstance(before, int) and isinstance(got, tuple) and isinstance(inherited, int)
    return before, got, inherited


def test_the_thread_and_the_threads_it_starts_run_ten_steps_higher_where_allowed() -> None:
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    before, (nice, why), inherited = _in_a_thread()
    if os.geteuid() == 0:
        assert (nice, why) == (max(-20, before + AUDIO_NICE_STEP), "")
    else:
        assert nice == before and why.startswith("kept: "), (nice, why)
    assert inherited == nice
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine


def test_without_the_right_the_priority_is_kept_and_the_reason_named() -> None:
    code = ("from drivers.priority import raise_audio_priority as r; n, why = r();"
            " print(n, why, sep='|')")
    cmd = [sys.executable, "-c", code]
    if os.geteuid() == 0:           # root without CAP_SYS_NICE, as a service may be run
        cmd = ["setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", *cmd]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    nice, why = out.stdout.strip().split("|")
    assert (int(nice), why) == (os.getpriority(os.PRIO_PROCESS, 0), "kept: Permission denied")

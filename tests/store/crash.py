"""Kill a CDR writer at random moments, many times; count what survived.

Shared by the quick test (``tests/store/test_crash_safety.py``, a few seconds
in ``make test``) and the long soak in ``make bench``.
"""
from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CrashReport:
    kills: int = 0
    acked: set[str] = field(default_factory=set)
    lost: set[str] = field(default_factory=set)
    rows: int = 0
    integrity: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _read_lines(proc: subprocess.Popen[bytes], buf: bytearray, timeout: float,
                until: str | None = None) -> list[str]:
    """Lines printed within ``timeout`` s (or until the line ``until``, or EOF)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    end = time.monotonic() + timeout
    lines: list[str] = []
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            lines.append(line.decode())
        if until is not None and until in lines:
            break
    return lines


def run(db: Path, kills: int, seed: int = 1) -> CrashReport:
    rng = random.Random(seed)
    report = CrashReport()
    t0 = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, "-m", "tests.store.crash_writer", str(db)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT,
                                env=env)
        buf = bytearray()
        try:
            lines = _read_lines(proc, buf, 20.0, until="ready")
            lines += _read_lines(proc, buf, rng.uniform(0.002, 0.08))   # writing meanwhile
        finally:
            proc.send_signal(signal.SIGKILL)              # ours, by PID
            proc.wait(10)
        lines += _read_lines(proc, buf, 2.0)               # what it printed before dying (EOF)
        report.acked.update(x for x in lines if x and x != "ready")
        assert proc.stdout is not None
        proc.stdout.close()
        report.kills += 1
    conn = sqlite3.connect(db)
    try:
        report.integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        stored = {r[0] for r in conn.execute("SELECT id FROM cdr")}
    finally:
        conn.close()
    report.rows = len(stored)
    report.lost = report.acked - stored
    report.seconds = time.monotonic() - t0
    return report

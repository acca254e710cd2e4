"""A CDR writer SIGKILLed at random moments loses no acknowledged record and never
corrupts the database (WAL + synchronous=FULL); the long soak runs in ``make bench``."""
from __future__ import annotations

from pathlib import Path

from tests.store.crash import run


def test_sigkill_mid_write_loses_no_acknowledged_cdr(tmp_path: Path) -> None:
    report = run(tmp_path / "var" / "callbox.db", kills=20, seed=7)
    assert report.kills == 20 and len(report.acked) > 20
    assert report.lost == set(), f"acknowledged but missing: {sorted(report.lost)[:5]}"
    assert report.integrity == ["ok"]
    assert report.rows >= len(report.acked)          # unacknowledged commits may survive too

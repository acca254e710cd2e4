"""The long crash soak: 200 SIGKILLs of a CDR writer at random moments (``make test``
runs 20 of them in tests/store/test_crash_safety.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.store.crash import run


def test_crash_soak(benchmark: Any, tmp_path: Path) -> None:
    kills = 3 if benchmark.disabled else 200
    reports = []
    benchmark.pedantic(lambda: reports.append(run(tmp_path / "callbox.db", kills, seed=11)),
                       rounds=1, iterations=1)
    r = reports[0]
    assert r.lost == set() and r.integrity == ["ok"]
    benchmark.extra_info.update({"kills": r.kills, "acknowledged": len(r.acked),
                                 "rows": r.rows, "lost": len(r.lost),
                                 "integrity_check": r.integrity[0],
                                 "seconds": round(r.seconds, 1)})

"""Import throughput: a 100,000-row customer CSV into an empty box, and into a box that
already holds those customers (``update``: every row is a duplicate). Rows per second
of the whole import (read, check, duplicate detection, one write transaction)."""
from __future__ import annotations

import asyncio
import csv
import random
import time
from pathlib import Path
from typing import Any

from firmware.crm.imports import run_import
from firmware.crm.permissions import Principal
from firmware.crm.service import Crm
from firmware.store import Store
from tests.benchmarks.crm_dataset import CACHE, mobile, name


def _csv(rows: int) -> Path:
    f = CACHE / f"import-{rows}.csv"
    if not f.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        rng = random.Random(9)
        tmp = f.with_name(f.name + ".tmp")
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["姓名", "手机", "公司", "邮箱", "标签"])
            for i in range(1, rows + 1):
                w.writerow([name(rng, i), mobile(i), f"Company {i % 997}",
                            f"c{i}@example.com", "vip" if i % 10 == 0 else ""])
        tmp.replace(f)
    return f


async def _import(db_dir: Path, data: Path, twice: bool) -> list[dict[str, Any]]:
    store = await Store.open(db_dir / "callbox.db")
    try:
        crm = Crm(store)
        await crm.put_phone_settings(country_code="86")
        out = []
        for mode in (("skip", "update") if twice else ("skip",)):
            t0 = time.perf_counter()
            s = await run_import(crm, data, actor=Principal.system("bench"), on_duplicate=mode)
            s["wall_s"] = time.perf_counter() - t0
            out.append(s)
        return out
    finally:
        await store.close()


def test_import_throughput(benchmark: Any, tmp_path: Path) -> None:
    rows = 2000 if benchmark.disabled else 100_000
    data = _csv(rows)
    runs: list[list[dict[str, Any]]] = []
    n = iter(range(100))

    def once() -> None:
        d = tmp_path / f"box{next(n)}"
        d.mkdir()
        runs.append(asyncio.run(_import(d, data, twice=True)))
    benchmark.pedantic(once, rounds=1, iterations=1)
    fresh, update = runs[-1]
    assert (fresh["imported"], update["updated"]) == (rows, rows)
    benchmark.extra_info.update({
        "rows": rows, "file_mb": round(data.stat().st_size / 1e6, 1),
        "fresh_rows_per_s": round(rows / fresh["wall_s"]),
        "update_rows_per_s": round(rows / update["wall_s"]),
        "fresh_s": round(fresh["wall_s"], 2), "update_s": round(update["wall_s"], 2),
        "fresh_read_check_s": fresh["read_s"], "fresh_write_s": fresh["write_s"],
        "update_read_check_s": update["read_s"], "update_write_s": update["write_s"]})

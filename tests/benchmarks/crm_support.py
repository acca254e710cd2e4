"""Running CRM queries against the cached benchmark box from a synchronous benchmark.

One event loop and one ``Store`` + ``Crm`` per module; ``run(coro)`` runs a
coroutine to completion. ``percentiles`` times single calls for p50/p95 (the
figures the issue's targets are stated in), and ``naive`` ones are timed the
same way in the same process, so the ratio is what matters.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import pytest

from firmware.crm.service import Crm
from firmware.store import Store
from tests.benchmarks import crm_dataset


class Bench:
    def __init__(self, db: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.store = self.run(Store.open(db, recordings_dir=db.parent / "no-recordings",
                                         check=False))
        self.crm = Crm(self.store)

    def run(self, coro: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.store.close())
        self.run(self.loop.shutdown_default_executor())
        self.loop.close()


def size(config: pytest.Config) -> str:
    return "smoke" if config.getoption("benchmark_disable") else "full"


@pytest.fixture(scope="module")
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    b = Bench(crm_dataset.dataset(size(request.config)))
    yield b
    b.close()


def percentiles(fn: Callable[[Any], Any], args: list[Any]) -> dict[str, float]:
    """p50/p95/max in milliseconds of ``fn(arg)`` over ``args`` (after 3 warm-up calls)."""
    for a in args[:3]:
        fn(a)
    times = []
    for a in args:
        t0 = time.perf_counter()
        fn(a)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 3),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 3),
            "max_ms": round(times[-1], 3), "n": len(times)}


def samples(benchmark: Any, full: int) -> int:
    return 3 if benchmark.disabled else full

"""List, search and report queries at 100,000 customers / 1,000,000 CDRs (target: p95
under 50 ms), each through the same store call the API makes. ``naive`` figures are
the same query forced to scan (``NOT INDEXED`` or ``LIKE``), timed in the same process."""
from __future__ import annotations

import random
from typing import Any

from firmware.store.customers import CustomerFilter
from tests.benchmarks.crm_dataset import END, SIZES, mobile
from tests.benchmarks.crm_support import Bench, bench, percentiles, samples, size  # noqa: F401

DAY = 86400.0


def _figures(benchmark: Any, fn: Any, args: list[Any], naive: Any = None,
             naive_n: int = 10) -> None:
    it = iter(args * 1000)
    benchmark(lambda: fn(next(it)))
    info: dict[str, Any] = {"ours": percentiles(fn, args)}
    if naive is not None:
        info["naive"] = percentiles(naive, args[:samples(benchmark, naive_n)])
        info["ratio_p50"] = round(info["naive"]["p50_ms"] / info["ours"]["p50_ms"], 1)
    benchmark.extra_info.update(info)


def test_search_by_name_fragment(benchmark: Any, bench: Bench) -> None:  # noqa: F811
    frags = ["Müller", "Tanaka", "Company 12", "Silva", "Anna K", "Company 4711"]
    page = bench.crm.customers.page

    def ours(q: str) -> Any:
        return bench.run(page(CustomerFilter(q=q), "name", 50))

    def naive(q: str) -> Any:
        return bench.run(bench.store.db.fetchall(
            "SELECT id FROM customers WHERE name LIKE ? OR company LIKE ? ORDER BY name"
            " LIMIT 50", (f"%{q}%", f"%{q}%")))
    assert ours("Müller")[1] > 0
    _figures(benchmark, ours, frags * samples(benchmark, 40), naive)


def test_search_by_two_character_chinese_name(benchmark: Any, bench: Bench) -> None:  # noqa: F811
    frags = ["王芳", "李娜", "张伟", "刘洋", "陈静"]
    page = bench.crm.customers.page
    _figures(benchmark, lambda q: bench.run(page(CustomerFilter(q=q), "name", 50)),
             frags * samples(benchmark, 40))


def test_search_by_number(benchmark: Any, bench: Bench, request: Any) -> None:  # noqa: F811
    customers, _ = SIZES[size(request.config)]
    rng = random.Random(5)
    nums = ["+86" + mobile(rng.randint(1, customers)) for _ in range(samples(benchmark, 300))]
    page = bench.crm.customers.page

    def naive(n: str) -> Any:                   # the same page, matching by LIKE (a scan)
        return bench.run(page(CustomerFilter(phone_suffix=n[1:]), "name", 50))
    assert bench.run(page(CustomerFilter(phone=nums[0])))[1] == 1
    _figures(benchmark, lambda n: bench.run(page(CustomerFilter(phone=n), "name", 50)), nums,
             naive)


def test_customer_list_pages(benchmark: Any, bench: Bench) -> None:  # noqa: F811
    page = bench.crm.customers.page
    offsets = [0, 50, 500, 5000, 50_000 if not benchmark.disabled else 500]
    _figures(benchmark, lambda o: bench.run(page(CustomerFilter(), "name", 50, o)),
             offsets * samples(benchmark, 20))


def test_ticket_list_pages(benchmark: Any, bench: Bench) -> None:  # noqa: F811
    t = bench.crm.tickets
    _figures(benchmark, lambda st: bench.run(t.page(state=st, limit=50)),
             ["new", "assigned", "in_progress", None] * samples(benchmark, 25))


def test_call_list_pages(benchmark: Any, bench: Bench) -> None:  # noqa: F811
    from firmware.store.cdr import CdrFilter
    cdr = bench.store.cdr
    _figures(benchmark, lambda q: bench.run(cdr.page(50, 0, CdrFilter(since=END - 7 * DAY,
                                                                      queue=q))),
             ["support", "sales", None] * samples(benchmark, 30))


def test_kpi_queries(benchmark: Any, bench: Bench) -> None:  # noqa: F811
    """Whole-day windows (what a report page asks for) read the daily rollup; the hourly
    report and windows cut inside a day read the CDRs through the covering index."""
    kpi = bench.crm.records.kpi
    end = (END // DAY) * DAY
    spans = [("queue", 1), ("agent", 1), ("hour", 1), ("queue", 7), ("day", 7), ("day", 30),
             ("agent", 30)]

    def ours(a: tuple[str, int]) -> Any:
        return bench.run(kpi(a[0], end - a[1] * DAY, end))

    def naive(a: tuple[str, int]) -> Any:
        return bench.run(bench.store.db.fetchall(
            "SELECT queue, COUNT(*), SUM(disposition = 'answered') FROM cdr NOT INDEXED"
            " WHERE started_at >= ? AND started_at < ? GROUP BY queue",
            (end - a[1] * DAY, end)))
    assert ours(("queue", 1))[0]["offered"] > 0
    _figures(benchmark, ours, spans * samples(benchmark, 20), naive, 7)
    benchmark.extra_info["raw_day_by_hour"] = percentiles(
        lambda a: ours(a), [("hour", 1)] * samples(benchmark, 20))
    benchmark.extra_info["raw_week_cut_inside_days"] = percentiles(
        lambda a: bench.run(kpi("queue", end - 7 * DAY + 1, end - 1)),
        [None] * samples(benchmark, 10))


def test_cost_totals(benchmark: Any, bench: Bench) -> None:  # noqa: F811
    totals = bench.crm.rating.totals
    _figures(benchmark, lambda by: bench.run(totals(by, END - 7 * DAY, END)),
             ["trunk", "agent"] * samples(benchmark, 10))

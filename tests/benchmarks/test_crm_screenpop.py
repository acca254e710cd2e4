"""Screen pop at 100,000 customers and 1,000,000 CDRs (target: under 2 ms).

The lookup is ``ScreenPop.lookup``: the caller's number as the trunk presents
it (national format) -> E.164 -> ``customer_phones_e164`` -> customer, open
tickets, the last five interactions (``cdr_caller`` under every spelling,
notes, ticket events, survey answers). The naive reference is the same
lookup written by hand with ``NOT INDEXED`` on the phone and CDR tables (a
scan, what the data would cost without the indexes), timed in the same
process; ``ratio_p50`` is naive/indexed.
"""
from __future__ import annotations

import random
from typing import Any

from firmware.crm.phone import PhoneSettings, normalise, spellings
from tests.benchmarks.crm_dataset import SIZES, mobile
from tests.benchmarks.crm_support import Bench, bench, percentiles, samples, size  # noqa: F401,E501

CN = PhoneSettings("86", "0", "00")


async def naive_pop(b: Bench, caller: str) -> dict[str, Any]:
    e164 = normalise(caller, CN)
    db = b.store.db
    ids = [r[0] for r in await db.fetchall(
        "SELECT customer_id FROM customer_phones NOT INDEXED WHERE e164 = ?", (e164,))]
    if not ids:
        return {}
    cust = await db.fetchone("SELECT * FROM customers WHERE id = ?", (ids[0],))
    keys = spellings(e164, CN)
    marks = ",".join("?" * len(keys))
    calls = await db.fetchall(f"SELECT * FROM cdr NOT INDEXED WHERE caller_number IN ({marks})"
                              " ORDER BY started_at DESC LIMIT 5", keys)
    tickets = await db.fetchall("SELECT * FROM tickets NOT INDEXED WHERE customer_id = ? AND"
                                " state NOT IN ('resolved', 'closed')", (ids[0],))
    return {"customer": dict(cust), "calls": len(calls), "tickets": len(tickets)}


def test_screen_pop(benchmark: Any, bench: Bench, request: Any) -> None:  # noqa: F811
    customers, cdrs = SIZES[size(request.config)]
    rng = random.Random(3)
    callers = [mobile(rng.randint(1, customers)) for _ in range(samples(benchmark, 2000))]
    callers = [c if i % 2 else "0" + c for i, c in enumerate(callers)]
    pop = bench.crm.screen_pop.lookup
    hits = [bench.run(pop(c)) for c in callers[:50]]
    assert all(h["matched_by"] == "phone" for h in hits)
    assert any(h["last_interactions"] for h in hits)
    it = iter(callers * 1000)
    benchmark(lambda: bench.run(pop(next(it))))
    indexed = percentiles(lambda c: bench.run(pop(c)), callers)
    naive = percentiles(lambda c: bench.run(naive_pop(bench, c)),
                        callers[:samples(benchmark, 20)])
    benchmark.extra_info.update({
        "customers": customers, "cdrs": cdrs, "indexed": indexed, "naive": naive,
        "ratio_p50": round(naive["p50_ms"] / indexed["p50_ms"], 1)})


def test_screen_pop_by_ticket_number(benchmark: Any, bench: Bench) -> None:  # noqa: F811
    ids = [r[0] for r in bench.run(bench.store.db.fetchall(
        "SELECT id FROM tickets WHERE customer_id IS NOT NULL LIMIT 500"))]
    pop = bench.crm.screen_pop.lookup
    assert bench.run(pop("", {"ticket": str(ids[0])}))["matched_by"] == "ticket_number"
    it = iter(ids * 1000)
    benchmark(lambda: bench.run(pop("", {"ticket": str(next(it))})))
    benchmark.extra_info.update(percentiles(
        lambda t: bench.run(pop("", {"ticket": str(t)})), ids[:samples(benchmark, 500)]))

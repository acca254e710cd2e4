"""Call rating: longest prefix, billing increments rounded up, connection fee, re-rating."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from firmware.store.cdr import insert_sql
from firmware.store.db import ValidationError
from firmware.store.rating import to_micro
from tests.crm.support import crm_opened
from tests.store.support import T0, call

RATES = [{"prefix": "", "price_per_min": "1.00", "increment_s": 60},
         {"prefix": "86", "price_per_min": "0.10", "increment_s": 6, "connection_fee": "0.05"},
         {"prefix": "86138", "price_per_min": "0.30", "increment_s": 30}]


async def outbound(crm, number: str, talk_s: float, start: float = T0, trunk: str = "carrier"
                   ) -> str:
    rec = call(start, id=str(uuid.uuid4()), talk_s=talk_s, trunk=trunk, agent="201",
               queue="", caller_number="201", **({} if talk_s else
                                                 {"agent_answered_at": None,
                                                  "disposition": "failed"}))
    # the outbound flow writes direction and dialled number with the record
    rec.direction, rec.dialed_number = "out", number
    async with crm.db.transaction() as conn:
        await conn.execute(*insert_sql(rec.checked()))
    return rec.id


@pytest.mark.parametrize("number, talk_s, prefix, billed_s, cost", [
    ("+8613812345678", 61.0, "86138", 90, "0.450000"),     # 61 s -> 3 x 30 s at 0.30/min
    ("+8613812345678", 60.0, "86138", 60, "0.300000"),     # exactly 2 increments
    ("+861062345678", 7.2, "86", 12, "0.070000"),           # 2 x 6 s at 0.10 + 0.05 fee
    ("+861062345678", 6.0004, "86", 6, "0.060000"),         # ms rounding: not a 2nd increment
    ("+442079460958", 1.0, "", 60, "1.000000"),             # the catch-all prefix
    ("+861062345678", 0.0, "86", 0, "0.000000"),            # unanswered: no connection fee
])
async def test_rated_when_written(tmp_path: Path, number: str, talk_s: float, prefix: str,
                                  billed_s: int, cost: str) -> None:
    async with crm_opened(tmp_path) as crm:
        await crm.rating.put_table("carrier", "CNY", RATES)
        cid = await outbound(crm, number, talk_s)
        got = await crm.rating.cost(cid)
        assert (got["prefix"], got["billed_s"], got["cost"], got["currency"]) == \
            (prefix, billed_s, cost, "CNY")


async def test_inbound_and_unknown_trunks_are_not_rated(tmp_path: Path) -> None:
    async with crm_opened(tmp_path) as crm:
        await crm.rating.put_table("carrier", "CNY", RATES)
        rec = call(T0, trunk="carrier")
        await crm.store.cdr.insert(rec)
        cid = await outbound(crm, "+8613812345678", 30.0, trunk="other")
        assert await crm.rating.cost(rec.id) is None and await crm.rating.cost(cid) is None


async def test_rerate_a_period_after_a_price_change_is_idempotent(tmp_path: Path) -> None:
    async with crm_opened(tmp_path) as crm:
        await crm.rating.put_table("carrier", "CNY", RATES)
        ids = [await outbound(crm, "+8613812345678", 61.0, T0 + 3600 * i) for i in range(3)]
        await crm.rating.put_table("carrier", "CNY", [
            {"prefix": "86", "price_per_min": "0.20", "increment_s": 60}])
        assert await crm.rating.rerate(T0 + 3600, T0 + 3 * 3600) == 2
        assert await crm.rating.rerate(T0 + 3600, T0 + 3 * 3600) == 2
        costs = [(await crm.rating.cost(i))["cost"] for i in ids]
        assert costs == ["0.450000", "0.400000", "0.400000"]       # the first kept its price
        rows = await crm.db.fetchval("SELECT COUNT(*) FROM cdr_cost")
        assert rows == 3
        totals = await crm.rating.totals("trunk", T0, T0 + 86400)
        assert totals == [{"trunk": "carrier", "currency": "CNY", "calls": 3, "billed_s": 330,
                           "cost": "1.250000", "cost_micro": 1_250_000}]
        c = await crm.customers.put(await crm.customer_from_input(
            {"name": "Wang", "phones": ["13812345678"]}))
        by_customer = await crm.rating.totals("customer", T0, T0 + 86400,
                                              await crm.phone_settings())
        assert [(t["customer_id"], t["calls"]) for t in by_customer] == [(c.id, 3)]
        assert [t["agent"] for t in await crm.rating.totals("agent", T0, T0 + 86400)] == ["201"]


@pytest.mark.parametrize("value, ok", [("0.0125", 12500), ("1", 1_000_000), (0.5, 500_000),
                                       ("0.0000001", None), ("-1", None), ("abc", None)])
def test_prices_are_exact_decimals(value: object, ok: int | None) -> None:
    if ok is None:
        with pytest.raises(ValidationError):
            to_micro("rates[0].price_per_min", value)
    else:
        assert to_micro("rates[0].price_per_min", value) == ok


async def test_a_record_completed_after_it_was_written_is_rated_again(tmp_path: Path) -> None:
    """A flow may write the CDR at the call's first moment and fill in the talk time later."""
    async with crm_opened(tmp_path) as crm:
        await crm.rating.put_table("carrier", "CNY", RATES)
        cid = await outbound(crm, "+8613812345678", 0.0)
        assert (await crm.rating.cost(cid))["cost"] == "0.000000"
        async with crm.db.transaction() as conn:
            await conn.execute("UPDATE cdr SET talk_s = 61, disposition = 'answered'"
                               " WHERE id = ?", (cid,))
        assert (await crm.rating.cost(cid))["cost"] == "0.450000"

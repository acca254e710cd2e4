"""Call rating: a rate table per trunk, the price of every outbound call, totals.

The price itself is defined once, in SQL, by the ``cdr_rating`` view of
migration 0003_crm (longest matching E.164 prefix of the trunk's table; talk time
rounded to milliseconds, then up to whole billing increments; the connection
fee on answered calls only; money in integer millionths). A trigger rates each
outbound CDR in the transaction that writes it; ``rerate`` recomputes a period
from the same view after a rate change, so running it twice gives the same
rows.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from firmware.crm.phone import PhoneSettings, try_normalise
from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError

MICRO = Decimal(1_000_000)
_PREFIX = re.compile(r"^[0-9]{0,15}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
GROUPS = {"trunk": "c.trunk", "queue": "cdr.queue", "agent": "cdr.agent"}


def to_micro(field: str, v: Any) -> int:
    """A price given as a decimal string or number -> integer millionths."""
    try:
        d = Decimal(str(v).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(field, "a decimal amount like 0.0125", v) from None
    if not d.is_finite() or d < 0 or d > 1_000_000:
        raise ValidationError(field, "an amount between 0 and 1000000", v)
    micro = d * MICRO
    if micro != micro.to_integral_value():
        raise ValidationError(field, "at most 6 decimal places", v)
    return int(micro)


def money(micro: int) -> str:
    return str((Decimal(micro) / MICRO).quantize(Decimal("0.000001")))


class Rating:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put_table(self, trunk: str, currency: str, rates: list[dict[str, Any]]) -> None:
        trunk = f.text("rate_table.trunk", trunk, 32, required=True)
        if not isinstance(currency, str) or not _CURRENCY.match(currency):
            raise ValidationError("rate_table.currency", "a three-letter ISO 4217 code", currency)
        rows = []
        seen = set()
        for i, r in enumerate(rates):
            prefix = str(r.get("prefix", "")).lstrip("+")
            if not _PREFIX.match(prefix) or prefix in seen:
                raise ValidationError(f"rates[{i}].prefix", "0-15 digits, each prefix once",
                                      r.get("prefix"))
            seen.add(prefix)
            rows.append((trunk, prefix, to_micro(f"rates[{i}].price_per_min",
                                                 r.get("price_per_min")),
                         f.integer(f"rates[{i}].increment_s", r.get("increment_s", 60), 1, 3600),
                         to_micro(f"rates[{i}].connection_fee", r.get("connection_fee", 0)),
                         f.text(f"rates[{i}].description", r.get("description", ""), 100)))
        async with self._db.transaction("rating.put_table") as conn:
            await conn.execute("INSERT INTO rate_tables (trunk, currency) VALUES (?, ?)"
                               " ON CONFLICT(trunk) DO UPDATE SET currency = excluded.currency",
                               (trunk, currency))
            await conn.execute("DELETE FROM rates WHERE trunk = ?", (trunk,))
            await conn.executemany(
                "INSERT INTO rates (trunk, prefix, price_per_min_micro, increment_s,"
                " connection_fee_micro, description) VALUES (?, ?, ?, ?, ?, ?)", rows)

    async def tables(self) -> list[dict[str, Any]]:
        out = []
        for t in await self._db.fetchall("SELECT * FROM rate_tables ORDER BY trunk"):
            rates = await self._db.fetchall("SELECT * FROM rates WHERE trunk = ? ORDER BY prefix",
                                            (t["trunk"],))
            out.append({"trunk": t["trunk"], "currency": t["currency"], "rates": [
                {"prefix": r["prefix"], "price_per_min": money(r["price_per_min_micro"]),
                 "increment_s": r["increment_s"],
                 "connection_fee": money(r["connection_fee_micro"]),
                 "description": r["description"]} for r in rates]})
        return out

    async def delete_table(self, trunk: str) -> None:
        async with self._db.transaction("rating.delete_table") as conn:
            cur = await conn.execute("DELETE FROM rate_tables WHERE trunk = ?", (trunk,))
            if cur.rowcount == 0:
                raise NotFound("no such rate table", table="rate_tables", key=trunk)

    async def rerate(self, since: float, until: float, trunk: str | None = None) -> int:
        """Rate again every outbound call that started in ``[since, until)``."""
        since = f.timestamp("since", since)
        until = f.timestamp("until", until)
        extra, params = ("", []) if trunk is None else (" AND trunk = ?", [trunk])
        async with self._db.transaction("rating.rerate") as conn:
            await conn.execute(
                "DELETE FROM cdr_cost WHERE cdr_id IN (SELECT id FROM cdr WHERE started_at >= ?"
                f" AND started_at < ? AND direction = 'out'{extra})", [since, until, *params])
            cur = await conn.execute(
                "INSERT INTO cdr_cost (cdr_id, started_at, trunk, prefix, billed_s, cost_micro,"
                " currency, rated_at) SELECT cdr_id, started_at, trunk, prefix, billed_s,"
                " cost_micro, currency, ? FROM cdr_rating WHERE cdr_id IN (SELECT id FROM cdr"
                f" WHERE started_at >= ? AND started_at < ? AND direction = 'out'{extra})",
                [self._db.wall(), since, until, *params])
            return cur.rowcount

    async def cost(self, cdr_id: str) -> dict[str, Any] | None:
        r = await self._db.fetchone("SELECT * FROM cdr_cost WHERE cdr_id = ?", (cdr_id,))
        if r is None:
            return None
        return {"prefix": r["prefix"], "billed_s": r["billed_s"], "cost": money(r["cost_micro"]),
                "cost_micro": r["cost_micro"], "currency": r["currency"]}

    async def totals(self, by: str, since: float, until: float,
                     phone: PhoneSettings | None = None) -> list[dict[str, Any]]:
        """Calls, billed seconds and cost per trunk / queue / agent / customer and currency."""
        since = f.timestamp("since", since)
        until = f.timestamp("until", until)
        if by == "customer":
            rows = await self._db.fetchall(
                "SELECT cdr.dialed_number AS k, c.currency, COUNT(*) AS calls,"
                " SUM(c.billed_s) AS billed_s, SUM(c.cost_micro) AS cost_micro FROM cdr_cost c"
                " JOIN cdr ON cdr.id = c.cdr_id WHERE c.started_at >= ? AND c.started_at < ?"
                " GROUP BY cdr.dialed_number, c.currency", (since, until))
            acc: dict[tuple[Any, str], list[int]] = {}
            for r in rows:
                e164 = try_normalise(r["k"], phone or PhoneSettings())
                cust = None
                if e164:
                    cust = await self._db.fetchval(
                        "SELECT MIN(customer_id) FROM customer_phones WHERE e164 = ?", (e164,))
                a = acc.setdefault((cust, r["currency"]), [0, 0, 0])
                a[0] += r["calls"]
                a[1] += r["billed_s"]
                a[2] += r["cost_micro"]
            return [{"customer_id": k[0], "currency": k[1], "calls": v[0], "billed_s": v[1],
                     "cost": money(v[2]), "cost_micro": v[2]}
                    for k, v in sorted(acc.items(), key=lambda kv: (-kv[1][2], str(kv[0])))]
        col = GROUPS.get(by)
        if col is None:
            raise ValidationError("by", "one of trunk, queue, agent, customer", by)
        rows = await self._db.fetchall(
            f"SELECT {col} AS k, c.currency, COUNT(*) AS calls, SUM(c.billed_s) AS billed_s,"
            " SUM(c.cost_micro) AS cost_micro FROM cdr_cost c JOIN cdr ON cdr.id = c.cdr_id"
            " WHERE c.started_at >= ? AND c.started_at < ? GROUP BY k, c.currency"
            " ORDER BY cost_micro DESC, k", (since, until))
        return [{by: r["k"], "currency": r["currency"], "calls": r["calls"],
                 "billed_s": r["billed_s"], "cost": money(r["cost_micro"]),
                 "cost_micro": r["cost_micro"]} for r in rows]

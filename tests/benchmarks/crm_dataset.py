"""The benchmark box: 100,000 customers and 1,000,000 CDRs, built once and cached.

Built with the real schema (``Store.open`` runs the migrations), then filled
with plain ``executemany`` (synchronous off while building: this is a fixture,
not the product) and ``ANALYZE``d. The file lives in ``.cache/bench/`` (never
in ``var/``) under a name carrying its size, the schema version and this
module's version, so a schema change builds a new one. ``make test`` runs the
benchmarks once with timing off on a small dataset of the same shape.

Shape: customers with 1-2 numbers (a mobile, sometimes a Beijing landline),
Chinese and Latin names; CDRs over one year, 5 queues, 40 agents, 85 %
answered; 70 % of the callers are customers (presented in national format as
trunks do), 10 % of the calls are outbound and rated; 20,000 tickets.
"""
from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
import uuid
from pathlib import Path

from firmware.store import Store
from firmware.store.customers import grams
from firmware.store.db import load_migrations

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "bench"
VERSION = 3
SIZES = {"full": (100_000, 1_000_000), "smoke": (2_000, 20_000)}
END = 1_795_000_000.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
LATIN = ["Anna", "Ben", "Chris", "Dana", "Eric", "Fiona", "Gareth", "Hana", "Ivan", "Julia",
         "Kenji", "Lena", "Marco", "Nora", "Oscar", "Paula", "Quinn", "Rosa", "Sven", "Tara"]
FAMILY = ["Smith", "Müller", "Rossi", "Tanaka", "Novak", "Garcia", "Kowalski", "Dubois",
          "Jensen", "Silva", "Ivanova", "Brown", "Schmidt", "Moreau", "Lindqvist"]
QUEUES = ["support", "sales", "billing", "repair", "vip"]


def mobile(i: int) -> str:
    """A unique mobile number per customer index (national significant number)."""
    return f"13{(i * 7919) % 10:d}{(i * 104729) % 100_000_000:08d}"


def name(rng: random.Random, i: int) -> str:
    if i % 3:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return f"{rng.choice(LATIN)} {rng.choice(FAMILY)}"


def path(size: str) -> Path:
    customers, cdrs = SIZES[size]
    return CACHE / f"crm-{customers}-{cdrs}-v{VERSION}-s{len(load_migrations())}.db"


def dataset(size: str) -> Path:
    dest = path(size)
    if dest.exists():
        return dest
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + f".build-{os.getpid()}")
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    t0 = time.monotonic()
    asyncio.run(_schema(tmp))
    _fill(tmp, *SIZES[size])
    Path(str(tmp) + ".lock").unlink(missing_ok=True)
    os.replace(tmp, dest)
    print(f"built {dest.name} in {time.monotonic() - t0:.0f} s")
    return dest


async def _schema(db: Path) -> None:
    store = await Store.open(db, recordings_dir=db.parent / "no-recordings")
    try:
        async with store.db.transaction() as conn:
            await conn.execute("UPDATE crm_settings SET value = '86' WHERE key ="
                               " 'phone.country_code'")
            await conn.execute("INSERT INTO rate_tables VALUES ('carrier', 'CNY')")
            await conn.executemany(
                "INSERT INTO rates (trunk, prefix, price_per_min_micro, increment_s,"
                " connection_fee_micro) VALUES ('carrier', ?, ?, ?, ?)",
                [("86", 100_000, 6, 0), ("8613", 150_000, 60, 50_000), ("", 1_000_000, 60, 0)])
            for q in QUEUES:
                await conn.execute(
                    "INSERT INTO queues (name, strategy, wrapup_s, ring_timeout_s, max_wait_s,"
                    " sl_threshold_s) VALUES (?, 'longest-idle', 5, 20, 0, 20)", (q,))
            await conn.executemany(
                "INSERT INTO users (username, password_hash, role, seat, created_at)"
                " VALUES (?, 'x', 'agent', ?, 0)", [(f"agent{i}", str(200 + i)) for i in range(40)])
    finally:
        await store.close()


def _fill(db: Path, customers: int, cdrs: int) -> None:
    rng = random.Random(18)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.executemany(
            "INSERT INTO customers (id, name, company, email, address, owner_id, custom,"
            " created_at, updated_at) VALUES (?, ?, ?, '', '', NULL, '{}', ?, ?)",
            ((i, name(rng, i), f"Company {i % 5000}", END - i, END - i)
             for i in range(1, customers + 1)))
        conn.executemany(
            "INSERT INTO customer_phones (customer_id, position, e164, label) VALUES (?, ?, ?, ?)",
            (row for i in range(1, customers + 1) for row in
             ([(i, 0, "+86" + mobile(i), "mobile")]
              + ([(i, 1, f"+8610{60000000 + i:08d}", "office")] if i % 4 == 0 else []))))
        conn.executemany("INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)",
                         ((i, "vip") for i in range(1, customers + 1, 10)))
        conn.executemany("INSERT INTO customer_grams (gram, customer_id) VALUES (?, ?)",
                         ((g, cid) for cid, n in conn.execute(
                             "SELECT id, name FROM customers").fetchall()
                          for g in grams(n)))
    with conn:
        def calls():
            for n in range(cdrs):
                start = END - 365 * 86400 + n * (365 * 86400 / cdrs) + rng.random()
                known = rng.random() < 0.7
                cust = rng.randint(1, customers)
                caller = mobile(cust) if known else f"15{rng.randint(0, 999_999_999):09d}"
                out = rng.random() < 0.1
                answered = rng.random() < 0.85
                wait = rng.uniform(0, 60)
                talk = rng.uniform(20, 600) if answered else 0.0
                agent = f"{200 + rng.randrange(40)}" if answered else ""
                yield (uuid.UUID(int=rng.getrandbits(128)).hex, start, start + 1,
                       start + wait if answered else None, start + wait + talk + 1,
                       "201" if out else caller, rng.choice(QUEUES) if not out else "",
                       agent, wait, talk, "answered" if answered else "abandoned",
                       "out" if out else "in", ("+86" + caller) if out else "",
                       "carrier" if out else "trunk1")
        conn.executemany(
            "INSERT INTO cdr (id, started_at, answered_at, agent_answered_at, ended_at,"
            " caller_number, queue, agent, wait_s, talk_s, disposition, hangup_by, direction,"
            " dialed_number, trunk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'caller', ?, ?, ?)",
            calls())
    with conn:
        conn.executemany(
            "INSERT INTO tickets (customer_id, type, state, priority, subject, created_by,"
            " created_at, updated_at, due_at, next_escalation_at) VALUES (?, ?, ?, ?, ?, 'x',"
            " ?, ?, ?, ?)",
            ((rng.randint(1, customers), rng.choice(["complaint", "repair", "inquiry"]),
              rng.choice(["new", "assigned", "in_progress", "resolved", "closed"]),
              rng.choice(["low", "normal", "high"]), f"ticket {i}", END - i * 60,
              END - i * 60, END - i * 60 + 86400, None) for i in range(customers // 5)))
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()

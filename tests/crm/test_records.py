"""Retention purge, privacy export and erase of a number, the audit log's guarantees."""
from __future__ import annotations

import json
import sqlite3
import uuid
import zipfile
from pathlib import Path

import pytest

from firmware.crm import privacy
from firmware.crm.permissions import Principal
from firmware.store import QueueEvent
from tests.crm.support import crm_opened
from tests.store.support import T0, StepClock, call

DAY = 86400.0
ADMIN = Principal.system("test")


async def seed_call(crm, start: float, queue: str, number: str = "5551234",
                    with_recording: bool = True) -> str:
    cid = str(uuid.uuid4())
    rel = ""
    if with_recording:
        rel = f"2026/11/01/{cid}.wav"
        f = crm.records.root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"RIFF" + b"\0" * 1000)
    await crm.store.cdr.insert(call(start, id=cid, queue=queue, caller_number=number,
                                    recording=rel))
    await crm.store.queue_log.append(QueueEvent(start + 1, cid, queue, "ENTERQUEUE",
                                                position=1))
    if with_recording:
        await crm.store.recordings.index(rel, cid, 60.0)
    return cid


async def test_purge_applies_per_queue_rules_deletes_files_and_audits(tmp_path: Path) -> None:
    clock = StepClock(T0)
    async with crm_opened(tmp_path, clock) as crm:
        old_sales = await seed_call(crm, T0 - 40 * DAY, "sales")
        old_support = await seed_call(crm, T0 - 40 * DAY, "support")
        new_sales = await seed_call(crm, T0 - 5 * DAY, "sales")
        for rel in [r.path for r in await crm.store.recordings.list()]:
            await crm.db.executemany("UPDATE recordings SET created_at = ? WHERE path = ?",
                                     [((await crm.store.cdr.get(rel.split("/")[-1][:-4]))
                                       .started_at, rel)], "test")
        await crm.records.put_rule("recording", 30)                  # default: 30 days
        await crm.records.put_rule("recording", 90, "support")       # support keeps 90
        await crm.records.put_rule("cdr", 35, "sales")
        summary = await crm.purge(ADMIN)
        assert summary == {"recordings": 1, "bytes": 1004, "calls": 1}
        assert await crm.store.cdr.get(old_sales) is None
        assert await crm.store.queue_log.for_call(old_sales) == []
        assert not (crm.records.root / f"2026/11/01/{old_sales}.wav").exists()
        assert (crm.records.root / f"2026/11/01/{old_support}.wav").exists()
        assert await crm.store.recordings.for_call(new_sales) != []
        audit, _ = await crm.audit.page(action="retention.purge")
        assert audit[0].detail == summary and audit[0].actor == "system:test"
        assert await crm.purge(ADMIN) == {"recordings": 0, "bytes": 0, "calls": 0}


async def test_privacy_export_and_erase_cover_every_record_of_a_number(tmp_path: Path) -> None:
    async with crm_opened(tmp_path) as crm:
        c = await crm.customers.put(await crm.customer_from_input(
            {"name": "Wang", "phones": ["13812345678", "13900001111"]}))
        other = await crm.customers.put(await crm.customer_from_input(
            {"name": "Li", "phones": ["13700001111"]}))
        await crm.customers.add_note(c.id, "ann", "wants a callback")
        t = await crm.tickets.create(type_="complaint", subject="noise", actor="ann",
                                     customer_id=c.id)
        calls = [await seed_call(crm, T0 - 100, "support", "013812345678"),
                 await seed_call(crm, T0 - 50, "support", "+8613812345678")]
        kept = await seed_call(crm, T0 - 10, "support", "13700001111")
        await crm.surveys.put("csat", [{"text": "ok?", "choices": {"1": "yes"}}])
        await crm.record_survey_answer("csat", 0, calls[0], "013812345678", "1")

        out = await privacy.export_number(crm, ADMIN, "138 1234 5678")
        with zipfile.ZipFile(out["path"]) as z:
            names = set(z.namelist())
            assert {f"recordings/2026/11/01/{i}.wav" for i in calls} <= names
            assert [x["id"] for x in json.loads(z.read("customers.json"))] == [c.id]
            assert {x["id"] for x in json.loads(z.read("calls.json"))} == set(calls)
            assert [x["id"] for x in json.loads(z.read("tickets.json"))] == [t["id"]]
            assert len(json.loads(z.read("survey_answers.json"))) == 1
            assert len(json.loads(z.read("notes.json"))) == 1

        result = await privacy.erase_number(crm, ADMIN, "+8613812345678")
        assert result["customers"] == 1 and result["calls_anonymised"] == 2
        assert result["recordings"] == 2
        assert await crm.customers.get(c.id) is None and await crm.tickets.get(t["id"]) is None
        for i in calls:
            rec = await crm.store.cdr.get(i)
            assert rec is not None and rec.caller_number == "" and rec.recording == ""
            assert rec.talk_s == 60.0                                # statistics stay
            assert not (crm.records.root / f"2026/11/01/{i}.wav").exists()
        assert (await crm.store.cdr.get(kept)).caller_number == "13700001111"
        assert await crm.customers.get(other.id) is not None
        rows = []
        for table in ("customers", "customer_phones", "cdr", "survey_answers", "audit_log",
                      "customer_notes", "tickets"):
            rows += [str(tuple(r)) for r in await crm.db.fetchall(f"SELECT * FROM {table}")]
        dump = "\n".join(rows)
        assert "3812345678" not in dump
        entries, _ = await crm.audit.page(action="privacy.erase")
        assert entries[0].detail["number"] == "+86138****5678"


async def test_audit_log_refuses_update_and_delete_and_detects_edits(tmp_path: Path) -> None:
    async with crm_opened(tmp_path) as crm:
        for i in range(3):
            await crm.audit.append("ann", "agent", "customer.view", f"customer:{i}")
        assert await crm.audit.verify() == {"ok": True, "rows": 3, "first_bad": None}
        for sql in ("UPDATE audit_log SET actor = 'eve'", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="audit_log is append-only"):
                async with crm.db.transaction() as conn:
                    await conn.execute(sql)
        assert await crm.db.fetchval("SELECT COUNT(*) FROM audit_log") == 3
        path = crm.store.path
    with sqlite3.connect(path) as raw:                 # editing the file behind the triggers
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("UPDATE audit_log SET target = 'customer:99' WHERE seq = 2")
    raw.close()
    async with crm_opened(tmp_path) as crm:
        assert await crm.audit.verify() == {"ok": False, "rows": 2, "first_bad": 2}


async def test_kpi_from_the_daily_rollup_equals_kpi_from_the_cdrs(tmp_path: Path) -> None:
    """Two independent paths to the same figures: triggers' rollup vs. a scan of the CDRs."""
    import random
    from firmware.store import Queue
    rng = random.Random(4)
    day0 = (T0 // DAY) * DAY
    clock = StepClock(T0)
    async with crm_opened(tmp_path, clock) as crm:
        await crm.store.config.put_queue(Queue("sales", sl_threshold_s=10))
        for i in range(300):
            start = day0 + rng.uniform(0, 3 * DAY)
            ok = rng.random() < 0.8
            wait = rng.uniform(0, 40)
            rec = call(start, queue=rng.choice(["sales", "support"]),
                       agent=rng.choice(["201", "202"]) if ok else "", wait_s=wait,
                       talk_s=rng.uniform(10, 300) if ok else 0.0,
                       disposition="answered" if ok else "abandoned",
                       agent_answered_at=start + 8 if ok else None)
            await crm.store.cdr.insert(rec)
        # a record completed after it was written moves in the rollup too
        async with crm.db.transaction() as conn:
            await conn.execute("UPDATE cdr SET disposition = 'abandoned', talk_s = 0"
                               " WHERE id = (SELECT id FROM cdr ORDER BY id LIMIT 1)")
        for by in ("queue", "agent", "day"):
            whole = await crm.records.kpi(by, day0, day0 + 3 * DAY)          # rollup
            scan = await crm.records.kpi(by, day0, day0 + 3 * DAY - 0.001)    # CDR scan
            assert whole == scan and sum(r["offered"] for r in whole) == 300
        assert [r["day"] for r in await crm.records.kpi("day", day0, day0 + 3 * DAY)] == \
            sorted({time_day(day0 + i * DAY) for i in range(3)})
        await crm.records.put_rule("cdr", 1)
        clock.t = day0 + 10 * DAY
        await crm.purge(ADMIN)                           # statistics outlive purged records
        assert await crm.store.cdr.count() == 0
        assert sum(r["offered"] for r in await crm.records.kpi("queue", day0,
                                                                day0 + 3 * DAY)) == 300


def time_day(t: float) -> str:
    import time
    return time.strftime("%Y-%m-%d", time.gmtime(t))


async def test_two_character_names_are_found_through_the_pair_index(tmp_path: Path) -> None:
    from firmware.store.customers import CustomerFilter
    async with crm_opened(tmp_path) as crm:
        for n in ("王芳", "王芳芳", "李娜", "Anna Smith"):
            await crm.customers.put(await crm.customer_from_input({"name": n}))
        found = await crm.customers.page(CustomerFilter(q="王芳"))
        assert sorted(c.name for c in found[0]) == ["王芳", "王芳芳"]
        assert [c.name for c in (await crm.customers.page(CustomerFilter(q="an")))[0]] == \
            ["Anna Smith"]                                  # two Latin letters: a scan
        c = (await crm.customers.page(CustomerFilter(q="李娜")))[0][0]
        await crm.customers.put(await crm.customer_from_input({"name": "李明"}, c))
        assert (await crm.customers.page(CustomerFilter(q="李娜")))[1] == 0
        assert (await crm.customers.page(CustomerFilter(q="李明")))[1] == 1

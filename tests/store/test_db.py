"""Opening the database: durability settings, migrations, refusing newer schemas."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from firmware.errors import StoreError
from firmware.store import SchemaTooNew, Store
from firmware.store.db import MIGRATIONS_DIR, load_migrations, newest
from tests.store.support import call, opened


async def test_open_creates_folders_and_sets_wal_full_and_foreign_keys(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        assert (tmp_path / "var" / "callbox.db").exists()
        assert await store.pragma("journal_mode") == "wal"
        assert await store.pragma("synchronous") == 2          # FULL
        assert await store.pragma("foreign_keys") == 1
        assert await store.pragma("busy_timeout") == 5000


async def test_migrations_from_empty_reach_the_newest_version(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        assert await store.schema_version() == newest(load_migrations()) >= 1
        tables = {r[0] for r in await store.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"schema_version", "trunks", "trunk_sources", "dids", "ivr_menus", "ivr_options",
            "queues", "seats", "seat_queues", "users", "web_sessions", "secrets", "cdr",
            "queue_log", "event_log", "recordings"} <= tables


async def test_reopen_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    rec = call()
    async with opened(tmp_path) as store:
        await store.cdr.insert(rec)
    async with opened(tmp_path) as store:
        rows = await store.db.fetchall("SELECT version, name FROM schema_version")
        assert [(r[0], r[1]) for r in rows] == \
            [(m.version, m.name) for m in load_migrations()]
        assert await store.cdr.get(rec.id) == rec


async def test_refuses_a_database_from_newer_firmware(tmp_path: Path) -> None:
    async with opened(tmp_path):
        pass
    db = tmp_path / "var" / "callbox.db"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'from_the_future', 0)")
    conn.close()
    with pytest.raises(SchemaTooNew) as err:
        await Store.open(db)
    assert err.value.db_version == 99
    ours = newest(load_migrations())
    assert err.value.code_version == ours
    assert f"database schema version 99 (from_the_future) is newer than this firmware's {ours}" \
        in str(err.value)


async def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    migs = tmp_path / "migs"
    migs.mkdir()
    shutil.copy(MIGRATIONS_DIR / "0001_initial.sql", migs)
    (tmp_path / "only1").mkdir()
    shutil.copy(MIGRATIONS_DIR / "0001_initial.sql", tmp_path / "only1")
    (migs / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")
    with pytest.raises(StoreError, match="migration 0002_broken failed"):
        await Store.open(tmp_path / "var" / "callbox.db", migrations_dir=migs)
    async with opened(tmp_path, migrations_dir=migs.parent / "only1") as store:
        assert await store.schema_version() == 1   # still at the version before the failure
    async with opened(tmp_path) as store:         # the real firmware still opens it
        assert await store.schema_version() == newest(load_migrations())
        assert await store.db.fetchval(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'") == 0


async def test_migration_numbers_must_be_unique(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (x);")
    (tmp_path / "0001_b.sql").write_text("CREATE TABLE b (x);")
    with pytest.raises(StoreError, match="must be unique"):
        load_migrations(tmp_path)


async def test_a_reserved_number_landing_later_is_applied_after_higher_ones(
        tmp_path: Path) -> None:
    """Parts built side by side reserve numbers (0005 lines ... 0008 desk): a build may
    lack some, and one that lands later is applied on its own."""
    early, late = tmp_path / "early", tmp_path / "late"
    for d in (early, late):
        d.mkdir()
        shutil.copy(MIGRATIONS_DIR / "0001_initial.sql", d)
        (d / "0008_desk.sql").write_text("CREATE TABLE desk_t (x INTEGER);")
    (late / "0005_lines.sql").write_text("CREATE TABLE lines_t (x INTEGER);")
    async with opened(tmp_path, migrations_dir=early) as store:
        assert await store.schema_version() == 8
    async with opened(tmp_path, migrations_dir=late) as store:
        rows = await store.db.fetchall("SELECT version, name FROM schema_version ORDER BY version")
        assert [(r[0], r[1]) for r in rows] == [(1, "initial"), (5, "lines"), (8, "desk")]
        assert await store.db.fetchval("SELECT COUNT(*) FROM lines_t") == 0
    with pytest.raises(SchemaTooNew, match="5 \\(lines\\)"):   # the early build: unknown 0005
        await Store.open(tmp_path / "var" / "callbox.db", migrations_dir=early)


async def test_refuses_a_database_whose_history_differs(tmp_path: Path) -> None:
    async with opened(tmp_path):
        pass
    db = tmp_path / "var" / "callbox.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET name = 'something_else'")
    conn.close()
    with pytest.raises(StoreError, match="migration history does not match"):
        await Store.open(db)


async def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "callbox.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open database") as err:
        await Store.open(bad)
    assert err.value.path == str(bad)


async def test_health_reports_the_database(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await store.cdr.insert(call())
        h = await store.health()
    assert h["status"] == "ok" and h["schema_version"] == newest(load_migrations())
    assert h["calls"] == 1


async def test_backup_is_a_consistent_openable_copy(tmp_path: Path) -> None:
    rec = call()
    (tmp_path / "backup").mkdir()
    async with opened(tmp_path) as store:
        await store.cdr.insert(rec)
        await store.checkpoint()
        assert (tmp_path / "var" / "callbox.db-wal").stat().st_size == 0
        dest = await store.backup(tmp_path / "backup" / "callbox.db")
        await store.cdr.insert(call())                  # later writes are not in the copy
    assert sorted(p.name for p in dest.parent.iterdir()) == ["callbox.db"]
    copy = await Store.open(dest)
    try:
        assert await copy.cdr.count() == 1 and await copy.cdr.get(rec.id) == rec
    finally:
        await copy.close()


WRITER = """
import asyncio, sys
from firmware.store import Store
from tests.store.support import call
async def main():
    store = await Store.open(sys.argv[1])
    while True:
        rec = await store.cdr.insert(call())
        print(rec.id, flush=True)
asyncio.run(main())
"""


async def test_acknowledged_records_survive_a_killed_writer(tmp_path: Path) -> None:
    """SIGKILL the writing process mid-stream: every acknowledged CDR is there, none torn."""
    import asyncio
    import os
    import signal
    import sys
    db = tmp_path / "var" / "callbox.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(db), stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2], env={**os.environ, "PYTHONPATH": "."})
    acked: list[str] = []
    try:
        assert proc.stdout is not None
        while len(acked) < 40:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "writer exited early"
            acked.append(line.decode().strip())
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    async with opened(tmp_path) as store:           # quick_check runs on open
        assert await store.pragma("integrity_check") == "ok"
        for call_id in acked:
            assert await store.cdr.get(call_id) is not None, call_id
        assert await store.cdr.count() >= len(acked)

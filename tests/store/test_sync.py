"""``store.sync.in_thread`` relies on two aiosqlite internals; an upgrade that drops them
must fail here, not in a screen pop."""
from __future__ import annotations

import threading
from pathlib import Path

from firmware.store.sync import in_thread
from tests.store.support import opened


async def test_a_block_runs_in_the_connection_thread_in_one_trip(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        def block(conn, x):  # type: ignore[no-untyped-def]
            n = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            return threading.current_thread(), n, x
        async with store.db.reading() as conn:
            thread, n, x = await in_thread(conn, block, 42)
    assert thread is not threading.main_thread() and n > 10 and x == 42

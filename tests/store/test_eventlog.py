"""The event log: bus events persisted in batches, queried by kind and time."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from firmware.events import EventBus
from firmware.store import EventLogWriter, ValidationError
from tests.store.support import T0, opened


class Wall:
    """A clock whose wall time moves one second per reading."""

    def __init__(self) -> None:
        self.t = T0

    def wall(self) -> float:
        self.t += 1.0
        return self.t


async def test_bus_events_are_persisted_with_their_time_and_data(tmp_path: Path) -> None:
    bus = EventBus(Wall())  # type: ignore[arg-type]
    async with opened(tmp_path) as store:
        writer = EventLogWriter(store.events, bus)
        writer.start()
        bus.publish("call.queued", call="c1", queue="support", position=1)
        bus.publish("acd.trace", line="offer c1 -> 201 (leastrecent)")
        bus.publish("call.ended", call="c1", path=Path("/x"))   # non-JSON values as text
        await writer.flush()
        rows = await store.events.query()
        await writer.close()
    assert [(r.ts, r.kind) for r in rows] == [(T0 + 1, "call.queued"), (T0 + 2, "acd.trace"),
                                              (T0 + 3, "call.ended")]
    assert rows[0].data == {"call": "c1", "queue": "support", "position": 1}
    assert rows[2].data["path"] == "/x"
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)


async def test_a_full_batch_is_written_without_waiting_for_the_timer(tmp_path: Path) -> None:
    bus = EventBus(Wall())  # type: ignore[arg-type]
    async with opened(tmp_path) as store:
        writer = EventLogWriter(store.events, bus, delay=3600, max_batch=3)
        writer.start()
        for i in range(3):
            bus.publish("acd.trace", line=f"t{i}")
        await writer.idle()                  # the write the full batch started, not the timer
        assert writer.written == 3
        assert [r.data["line"] for r in await store.events.query(kind="acd.trace")] == \
            ["t0", "t1", "t2"]
        await writer.close()


async def test_close_flushes_and_unsubscribes(tmp_path: Path) -> None:
    bus = EventBus(Wall())  # type: ignore[arg-type]
    async with opened(tmp_path) as store:
        writer = EventLogWriter(store.events, bus, delay=3600)
        writer.start()
        bus.publish("agent.state", agent="201", state="idle")
        await writer.close()
        bus.publish("agent.state", agent="201", state="busy")   # after close: not logged
        await asyncio.sleep(0)
        assert [r.data["state"] for r in await store.events.query()] == ["idle"]


async def test_query_by_kind_prefix_time_and_seq(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await store.events.append_many([(T0 + i, k, {"i": i}) for i, k in enumerate(
            ["acd.trace", "acd.decision", "call.queued", "acd.trace", "acdx.other"])])
        q = store.events.query
        assert [r.data["i"] for r in await q(kind="acd.trace")] == [0, 3]
        assert [r.data["i"] for r in await q(prefix="acd.")] == [0, 1, 3]
        assert [r.data["i"] for r in await q(since=T0 + 1, until=T0 + 3)] == [1, 2]
        first_two = await q(limit=2)
        assert [r.data["i"] for r in await q(after_seq=first_two[-1].seq)] == [2, 3, 4]
        with pytest.raises(ValidationError) as err:
            await q(limit=0)
        assert err.value.field == "limit"


async def test_events_kept_when_the_write_fails_and_written_later(tmp_path: Path) -> None:
    bus = EventBus(Wall())  # type: ignore[arg-type]
    async with opened(tmp_path) as store:
        writer = EventLogWriter(store.events, bus, delay=3600)
        writer.start()
        bus.publish("x", n=1)
        await store.db.conn.execute("PRAGMA query_only = ON")   # the disk "refuses" writes
        with pytest.raises(Exception):
            await writer.flush()
        await store.db.conn.execute("PRAGMA query_only = OFF")
        bus.publish("x", n=2)
        await writer.close()
        assert [r.data["n"] for r in await store.events.query()] == [1, 2]


async def test_events_published_from_another_thread_reach_the_log(tmp_path: Path) -> None:
    import threading
    bus = EventBus(Wall())  # type: ignore[arg-type]
    async with opened(tmp_path) as store:
        writer = EventLogWriter(store.events, bus, delay=3600)
        writer.start()
        t = threading.Thread(target=lambda: bus.publish("hw.temperature", celsius=41.5))
        t.start()
        t.join()
        await asyncio.sleep(0)                   # the hop onto the loop runs
        await writer.close()
        assert [r.data for r in await store.events.query()] == [{"celsius": 41.5}]


async def test_store_attach_event_log_flushes_at_close(tmp_path: Path) -> None:
    bus = EventBus(Wall())  # type: ignore[arg-type]
    async with opened(tmp_path) as store:
        store.attach_event_log(bus, delay=3600)
        bus.publish("system.started", web="http://127.0.0.1:8080")
    async with opened(tmp_path) as store:
        assert [r.kind for r in await store.events.query()] == ["system.started"]

"""A call's record from its first moment, the keeper that outlasts a failing disk,
and what the next start makes of what a killed daemon left."""
from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest

from acd_core.clock import ManualClock
from firmware.errors import StoreError
from firmware.events import EventBus
from firmware.flows.reconcile import reconcile
from firmware.store import CallRecord, QueueEvent, Store
from firmware.store.db import ValidationError
from firmware.store.keeper import RecordKeeper
from firmware.timers import TIMERS
from tests.flows.conftest import MOH, FlowHarness
from tests.flows.fakes import FakeLeg


async def _stages(h: FlowHarness, call: str) -> str | None:
    row = await h.store.db.fetchone("SELECT stage FROM calls_live WHERE id = ?", (call,))
    return None if row is None else row[0]


async def test_the_call_is_on_record_from_its_first_moment_to_its_cdr(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        h.seat_registered("201")
        caller = h.call()
        call_id = await h.until(lambda: next((e.data["call"] for e in h.events
                                              if e.kind == "call.started"), None), "started")
        await h.until(lambda: caller.playing, "the menu")
        assert await _stages(h, call_id) == "answered"
        caller.press("1")
        seat = await h.dialled_leg(1)
        assert await _stages(h, call_id) == "queued"
        seat.far_answers()
        await h.until(lambda: h.pool.bridged, "bridged")
        await h.until(lambda: asyncio.ensure_future(_stages(h, call_id)), "stage")
        assert await _stages(h, call_id) == "connected"
        caller.far_hangs_up()
        rec = await h.finished()
        assert await _stages(h, call_id) is None           # the CDR replaced it
        assert [c.id for c in await h.cdrs()] == [rec.id]


async def test_a_refusing_database_delays_records_but_never_a_seat(tmp_path: Path) -> None:
    """Writes fail (the database refuses them) while a call ends: the seat is released
    at once and the next caller is offered to it; the records follow when writes work."""
    async with FlowHarness(tmp_path) as h:
        h.seat_registered("201")
        first = await _connected_call(h, 1)
        await h.store.db.conn.execute("PRAGMA query_only = ON")   # every write now fails
        first.far_hangs_up()
        await h.finished(0)
        assert h.keeper.describe()["status"] == "degraded"
        assert h.keeper.describe()["waiting_records"] >= 2
        second = await _queued(h)
        await h.dialled_leg(2)                                    # 201 is offered again
        await h.store.db.conn.execute("PRAGMA query_only = OFF")
        h.advance(TIMERS["storage.retry"])
        await h.until(lambda: h.keeper.describe()["waiting_records"] == 0, "records written")
        second.far_hangs_up()
        await h.finished(1)
        cdrs = await h.cdrs()
        events = [e.event for e in await h.store.queue_log.query()]
    assert sorted(c.disposition for c in cdrs) == ["abandoned", "answered"]
    assert events.count("COMPLETECALLER") == 1 and events.count("ENTERQUEUE") == 2


async def _queued(h: FlowHarness) -> FakeLeg:
    caller = h.call()
    await h.until(lambda: caller.playing, "the menu")
    caller.press("1")
    await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "hold music")
    return caller


async def _connected_call(h: FlowHarness, n: int) -> FakeLeg:
    caller = await _queued(h)
    seat = await h.dialled_leg(n)
    seat.far_answers()
    await h.until(lambda: len(h.pool.bridged) >= n, "bridged")
    return caller


# -- the keeper on its own ----------------------------------------------------------------
async def test_the_keeper_keeps_order_retries_on_its_clock_and_clears_its_alarm(
        tmp_path: Path) -> None:
    clock, bus, written = ManualClock(), EventBus(), []
    alarms = []
    bus.subscribe("storage.", lambda e: alarms.append(e.kind))
    keeper = RecordKeeper(tmp_path, clock, bus)
    full = [True]

    def writer(n: int):  # type: ignore[no-untyped-def]
        async def write() -> None:
            if full[0]:
                raise StoreError("write failed: database or disk is full")
            written.append(n)
        return write

    assert await keeper.write("one", writer(1)) is False
    assert await keeper.write("two", writer(2)) is False       # queued behind, in order
    assert keeper.describe() == {"status": "degraded", "detail": "disk full",
                                 "waiting_records": 2, "dropped_records": 0,
                                 "last_error": "write failed: database or disk is full"}
    full[0] = False
    clock.advance(TIMERS["storage.retry"])
    for _ in range(20):
        await asyncio.sleep(0)
    assert written == [1, 2]
    assert keeper.check_now() == ""                            # a real write works again
    assert keeper.describe()["status"] == "ok"
    assert alarms == ["storage.alarm", "storage.alarm_cleared"]


async def test_a_record_the_store_refuses_as_invalid_is_not_retried(tmp_path: Path) -> None:
    keeper = RecordKeeper(tmp_path, ManualClock(), EventBus())

    async def bad() -> None:
        raise ValidationError("cdr.did", "a number", "abc")

    assert await keeper.write("bad", bad) is False
    assert keeper.describe()["waiting_records"] == 0 and keeper.dropped == 1


def test_a_full_disk_is_an_alarm_before_any_call_writes(tmp_path: Path) -> None:
    keeper = RecordKeeper(tmp_path / "nowhere", ManualClock(), EventBus())
    assert keeper.check_now().startswith("storage error") or keeper.check_now() == "disk full"
    assert keeper.describe()["status"] == "degraded"


# -- what a killed daemon leaves ---------------------------------------------------------
def _wav_with_zero_sizes(path: Path, seconds: float) -> None:
    data = b"\x00\x00" * int(8000 * seconds)
    path.write_bytes(b"RIFF" + struct.pack("<I", 0) + b"WAVEfmt " +
                     struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" +
                     struct.pack("<I", 0) + data)


async def test_the_next_start_completes_what_the_killed_daemon_left(tmp_path: Path) -> None:
    recordings = tmp_path / "var" / "recordings"
    (recordings / ".incoming").mkdir(parents=True)
    store = await Store.open(tmp_path / "var" / "callbox.db", recordings_dir=recordings)
    bus = EventBus()
    try:
        t0 = 1_800_000_000.0
        ended = CallRecord(id="a" * 32, started_at=t0, disposition="answered",
                           hangup_by="caller", caller_number="5551234", queue="support",
                           agent="201", wait_s=3.0, talk_s=20.0, ended_at=t0 + 30)
        queued = CallRecord(id="b" * 32, started_at=t0 + 1, caller_number="5559876",
                            queue="support", answered_at=t0 + 1.5)
        await store.calls_live.put(ended, "ended")
        await store.calls_live.put(queued, "queued")
        await store.queue_log.append(QueueEvent(ts=t0 + 2, call_id=queued.id, queue="support",
                                                event="ENTERQUEUE"))
        _wav_with_zero_sizes(recordings / ".incoming" / f"{ended.id}.wav", 2.0)
        _wav_with_zero_sizes(recordings / ".incoming" / f"{'c' * 32}.wav", 1.0)
        first = await reconcile(store, recordings, bus)
        again = await reconcile(store, recordings, bus)
        done = {c.id: c for c in await store.cdr.list()}
        events = [(e.call_id[0], e.event, e.info) for e in await store.queue_log.query()]
        indexed = {r.call_id[0]: r for r in await store.recordings.list()}
        left = await store.calls_live.count()
    finally:
        await store.close()
    assert (first.calls_finished, first.calls_interrupted, first.queue_closed,
            first.recordings_indexed, first.recordings_orphaned) == (1, 1, 1, 2, 1)
    assert not any(vars(again).values()) and left == 0
    assert done[ended.id].disposition == "answered" and done[ended.id].recording
    assert (recordings / done[ended.id].recording).exists()
    assert indexed["a"].seconds == pytest.approx(2.0)
    q = done[queued.id]
    assert (q.disposition, q.hangup_by, q.failure_reason) == \
        ("failed", "system", "interrupted by restart (queued)")
    assert events == [("b", "ENTERQUEUE", ""), ("b", "INTERRUPTED", "daemon restart (queued)")]
    assert "c" in indexed and not list((recordings / ".incoming").glob("*.wav"))

"""Queue events (Asterisk queue_log vocabulary): append, per-call and filtered queries."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from firmware.store import QueueEvent, ValidationError
from tests.store.support import T0, opened

CALL = "c0ffee00-0000-4000-8000-000000000001"


def answered_call() -> list[QueueEvent]:
    return [QueueEvent(T0, CALL, "support", "ENTERQUEUE", position=1),
            QueueEvent(T0 + 20, CALL, "support", "RINGNOANSWER", "202", ring_s=15.0),
            QueueEvent(T0 + 27, CALL, "support", "CONNECT", "201", wait_s=27.0, ring_s=3.0),
            QueueEvent(T0 + 87, CALL, "support", "COMPLETECALLER", "201", wait_s=27.0,
                       talk_s=60.0)]


async def test_append_and_read_back_a_call_in_order(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await store.queue_log.append(*answered_call())
        got = await store.queue_log.for_call(CALL)
    assert [replace(e, id=None) for e in got] == answered_call()
    assert [e.event for e in got] == ["ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETECALLER"]
    assert all(e.id is not None for e in got)


async def test_query_by_queue_agent_event_and_time(tmp_path: Path) -> None:
    other = "c0ffee00-0000-4000-8000-000000000002"
    async with opened(tmp_path) as store:
        await store.queue_log.append(*answered_call())
        await store.queue_log.append(
            QueueEvent(T0 + 100, other, "sales", "ENTERQUEUE", position=1),
            QueueEvent(T0 + 130, other, "sales", "ABANDON", position=1, orig_position=1,
                       wait_s=30.0))
        q = store.queue_log.query
        assert [e.call_id for e in await q(queue="sales")] == [other, other]
        assert [e.event for e in await q(agent="201")] == ["CONNECT", "COMPLETECALLER"]
        assert [e.wait_s for e in await q(event="ABANDON")] == [30.0]
        assert [e.event for e in await q(since=T0 + 27, until=T0 + 100)] == \
            ["CONNECT", "COMPLETECALLER"]
        assert len(await q(limit=2)) == 2


async def test_one_bad_event_rejects_the_whole_batch(tmp_path: Path) -> None:
    events = answered_call()
    events[2] = replace(events[2], event="CONNECTED")
    async with opened(tmp_path) as store:
        with pytest.raises(ValidationError) as err:
            await store.queue_log.append(*events)
        assert err.value.field == "queue_log.event"
        assert await store.queue_log.for_call(CALL) == []
        with pytest.raises(ValidationError) as err:
            await store.queue_log.append(replace(events[0], position=-1))
        assert err.value.field == "queue_log.position"

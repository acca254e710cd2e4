"""Call detail records: round trip, listing with filters, validation."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from firmware.errors import StoreError
from firmware.store import CdrFilter, ValidationError
from tests.store.support import T0, call, opened


async def test_insert_get_round_trip(tmp_path: Path) -> None:
    rec = call()
    async with opened(tmp_path) as store:
        assert await store.cdr.insert(rec) == rec
        assert await store.cdr.get(rec.id) == rec
        assert await store.cdr.get("00000000-0000-0000-0000-000000000000") is None
        assert await store.cdr.get("not-a-uuid") is None


async def test_a_hex_uuid_id_is_kept_as_given(tmp_path: Path) -> None:
    import uuid
    rec = call(id=uuid.uuid4().hex)
    async with opened(tmp_path) as store:
        await store.cdr.insert(rec)
        assert (await store.cdr.get(rec.id)).id == rec.id


async def test_list_is_newest_first_with_paging_and_filters(tmp_path: Path) -> None:
    recs = [call(T0 + 100 * i, queue=q, agent=a, disposition=d,
                 **({} if d == "answered" else {"agent_answered_at": None, "talk_s": 0.0}))
            for i, (q, a, d) in enumerate([("support", "201", "answered"),
                                           ("sales", "202", "answered"),
                                           ("support", "", "abandoned"),
                                           ("support", "201", "answered")])]
    async with opened(tmp_path) as store:
        for r in recs:
            await store.cdr.insert(r)
        assert [r.id for r in await store.cdr.list()] == [r.id for r in reversed(recs)]
        assert [r.id for r in await store.cdr.list(2, 1)] == [recs[2].id, recs[1].id]
        support = CdrFilter(queue="support")
        assert await store.cdr.count(support) == 3
        assert [r.id for r in await store.cdr.list(filters=CdrFilter(agent="201"))] == \
            [recs[3].id, recs[0].id]
        assert [r.id for r in await store.cdr.list(filters=CdrFilter(disposition="abandoned"))] \
            == [recs[2].id]
        window = CdrFilter(since=T0 + 100, until=T0 + 300)
        assert [r.id for r in await store.cdr.list(filters=window)] == [recs[2].id, recs[1].id]
        items, total = await store.cdr.page(1, 0, support)
        assert (len(items), total) == (1, 3)


@pytest.mark.parametrize("change, field", [
    ({"id": "42"}, "cdr.id"),
    ({"id": "0F8FAD5B-D9CB-469F-A165-70867728950E"}, "cdr.id"),
    ({"disposition": "busy"}, "cdr.disposition"),
    ({"hangup_by": "nobody"}, "cdr.hangup_by"),
    ({"ended_at": T0 - 1}, "cdr.ended_at"),
    ({"answered_at": T0 + 1000}, "cdr.answered_at"),
    ({"started_at": "yesterday"}, "cdr.started_at"),
    ({"wait_s": -1}, "cdr.wait_s"),
    ({"talk_s": float("nan")}, "cdr.talk_s"),
    ({"did": "1OO"}, "cdr.did"),
    ({"recording": "../../etc/shadow"}, "cdr.recording"),
    ({"caller_name": "evil\r\nname"}, "cdr.caller_name"),
])
async def test_a_bad_field_is_named_and_nothing_is_written(tmp_path: Path, change: dict,
                                                          field: str) -> None:
    good = call()
    async with opened(tmp_path) as store:
        await store.cdr.insert(good)
        with pytest.raises(ValidationError) as err:
            await store.cdr.insert(replace(call(), **change))
        assert err.value.field == field
        assert await store.cdr.count() == 1
        assert await store.cdr.get(good.id) == good


async def test_a_duplicate_id_is_refused_and_the_first_row_kept(tmp_path: Path) -> None:
    rec = call()
    async with opened(tmp_path) as store:
        await store.cdr.insert(rec)
        with pytest.raises(StoreError, match="call record not stored"):
            await store.cdr.insert(replace(rec, disposition="failed", failure_reason="dup"))
        assert await store.cdr.get(rec.id) == rec


async def test_bad_listing_arguments_name_the_parameter(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        for kwargs, field in (({"limit": 0}, "limit"), ({"offset": -1}, "offset"),
                              ({"filters": CdrFilter(disposition="x")}, "disposition"),
                              ({"filters": CdrFilter(since=-5)}, "since")):
            with pytest.raises(ValidationError) as err:
                await store.cdr.list(**kwargs)
            assert err.value.field == field

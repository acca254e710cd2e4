"""Routing on a ManualClock: routes by DID and line, black and white lists, schedules."""
from __future__ import annotations

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from firmware.errors import FlowError
from firmware.flows import routing
from firmware.flows.routing import Router, Snapshot
from firmware.store import Store
from firmware.store.inbound import ListEntry, Prompt, Route
from firmware.store.schedules import Schedule
from tests.flows.conftest import MOH, FlowHarness

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> float:
    """Epoch seconds of a wall-clock time in Shanghai."""
    return datetime.datetime(y, mo, d, h, mi, tzinfo=SHANGHAI).timestamp()


def test_the_most_specific_route_wins() -> None:
    snap = Snapshot(routes=[
        Route("*", "queue:any"), Route("100", "ivr:main"), Route("10*", "queue:prefix"),
        Route("100", "queue:fxo-group", trunk="fxo"), Route("*", "queue:fxo2", trunk="fxo/2"),
        Route("100", "queue:line", trunk="e1/1"), Route("100", "queue:channel", trunk="e1/1/5"),
    ])
    assert snap.route_for("demo", "100").target == "ivr:main"          # exact DID, any line
    assert snap.route_for("demo", "105").target == "queue:prefix"      # longest prefix
    assert snap.route_for("demo", "7").target == "queue:any"
    assert snap.route_for("fxo/1", "100").target == "queue:fxo-group"  # line group
    assert snap.route_for("fxo/2", "").target == "queue:fxo2"          # a line without DID
    assert snap.route_for("fxo/2", "100").target == "queue:fxo-group"  # DID first, then line
    assert snap.route_for("e1/1/5", "100").target == "queue:channel"   # the channel itself
    assert snap.route_for("e1/1/7", "100").target == "queue:line"
    assert snap.route_for("e1/2/7", "100").target == "ivr:main"
    assert Snapshot(routes=[Route("100", "ivr:main", trunk="demo")]).route_for("other", "100") \
        is None


def test_routes_somewhere_answers_from_the_installed_router(tmp_path: Path) -> None:
    router = Router.__new__(Router)
    router._snap = Snapshot(routes=[Route("100", "ivr:main", trunk="demo")])
    router._stale = False
    routing.install(router)
    try:
        assert routing.routes_somewhere("demo", "100") is True
        assert routing.routes_somewhere("demo", "999") is False
        assert routing.routes_somewhere("other", "100") is False
    finally:
        routing.uninstall(router)
    with pytest.raises(FlowError) as err:
        routing.routes_somewhere("demo", "100")
    assert "no route table installed" in str(err.value) and err.value.did == "100"


async def blocklist(store: Store) -> None:
    await store.inbound.put_prompt(Prompt("go-away", texts={"en": "not today"}))
    await store.inbound.put_list_entry(ListEntry("block", "+8613900000001", note="spam"))
    await store.inbound.put_list_entry(ListEntry("block", "+86139000000*",
                                                 target="message:go-away"))
    await store.inbound.put_list_entry(ListEntry("block", "+8613700000000",
                                                 expires_at=1_767_000_000.0))   # Dec 2025
    await store.inbound.put_list_entry(ListEntry("vip", "+8613800000002", priority=10))
    await store.inbound.put_list_entry(ListEntry("vip", "+8613800000003", target="seat:202"))


async def test_a_blocked_caller_is_refused_before_answering(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=blocklist) as h:
        caller = h.call(caller="013900000001")        # national spelling of the listed number
        rec = await h.finished()
    assert caller.commands == [("reject", 603)]
    assert (rec.disposition, rec.answered_at, rec.outcome) == ("rejected", None, "blocked")
    assert rec.failure_reason == "blocked caller spam"
    assert h.kinds("call.blocked") == ["call.blocked"]


async def test_a_blocked_prefix_hears_its_message_and_an_expired_entry_is_ignored(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=blocklist) as h:
        blocked = h.call(caller="13900000077")
        await h.until(lambda: blocked.playing, "the message")
        assert h.heard(blocked) == ["en-us: not today"]
        blocked.prompt_finished()
        rec = await h.finished()
        assert blocked.did("hangup") and rec.disposition == "no-agent"
        free = h.call(caller="13700000000")               # its entry expired
        await h.until(lambda: free.playing, "the IVR")
        assert h.heard(free) == ["ivr-main.wav"]
        free.far_hangs_up()
        await h.finished()


async def test_a_vip_is_served_before_earlier_callers_and_can_have_a_seat(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=blocklist) as h:
        first = h.call(did="200", caller="13811111111")
        await h.until(lambda: first.playing and first.playing.endswith(MOH), "first waits")
        h.advance(10)
        vip = h.call(did="200", caller="13800000002")
        await h.until(lambda: vip.playing and vip.playing.endswith(MOH), "vip waits")
        h.seat_registered("201")
        await h.dialled_leg(1)
        offered = [e.data for e in h.events if e.kind == "call.offered"]
        assert offered[0]["caller"] == "13800000002" and offered[0]["vip"] is True
        assert offered[0]["priority"] == 10
        own = h.call(did="200", caller="13800000003")      # VIP with a dedicated seat
        seat = await h.dialled_leg(2)
        assert h.pool.dialled[1][1] == h.ctx.seats.uri("202")
        seat.far_answers()
        await h.until(lambda: h.pool.bridged, "the VIP's own seat answered")
        for leg in (first, vip, own):
            leg.far_hangs_up()
        for i in range(3):
            await h.finished(i)


async def office(store: Store) -> None:
    await store.inbound.put_prompt(Prompt("holiday", texts={"en": "happy holidays"}))
    await store.inbound.put_schedule(Schedule.from_doc("office", "Asia/Shanghai", {
        "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "days": {"2026-10-01": {"closed": True, "note": "National Day",
                                "target": "message:holiday"},
                 "2026-09-27": {"hours": [["10:00", "16:00"]], "note": "make-up day"}}}))
    await store.inbound.put_prompt(Prompt("closed", texts={"en": "we are closed"}))
    await store.inbound.put_route(Route("300", "queue:support", schedule="office",
                                        closed_target="message:closed"))


@pytest.mark.parametrize("wall, heard, outcome", [
    (at(2026, 9, 28, 10), MOH, ""),                                  # a Monday, open
    (at(2026, 9, 28, 19), "en-us: we are closed", "closed"),          # after hours
    (at(2026, 9, 26, 11), "en-us: we are closed", "closed"),          # Saturday
    (at(2026, 9, 27, 11), MOH, ""),                                   # a Sunday worked
    (at(2026, 10, 1, 11), "en-us: happy holidays", "holiday"),        # holiday's own target
])
async def test_the_schedule_decides_open_or_closed_in_its_time_zone(
        tmp_path: Path, wall: float, heard: str, outcome: str) -> None:
    async with FlowHarness(tmp_path, configure=office, wall=wall) as h:
        caller = h.call(did="300")
        await h.until(lambda: caller.playing, "something plays")
        assert h.heard(caller)[-1].endswith(heard)
        if outcome:
            caller.prompt_finished()
        else:
            caller.far_hangs_up()
        rec = await h.finished()
    assert rec.outcome == outcome
    assert rec.disposition == ("no-agent" if outcome else "abandoned")

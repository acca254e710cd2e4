"""An agent's own call on the ManualClock: hold, transfers (blind, attended, to a seat, a
queue, a number), conference, the phone's transfer button, pickup, wrap-up."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.errors import ApiError
from tests.cti.conftest import DeskHarness
from tests.cti.fakes import out_legs


async def test_hold_gives_the_caller_music_and_the_agent_silence(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        ann = await h.p("ann")
        assert h.pool.hears(seat) == {caller} and h.pool.hears(caller) == {seat}
        out = await h.cti.act(ann, "hold")
        assert out["state"] == "held" and caller.held
        assert caller.commands[-1] == ("hold", h.moh())
        assert h.pool.hears(seat) == set() and h.pool.hears(caller) == set()
        with pytest.raises(ApiError, match="hold: the call is held"):
            await h.cti.act(ann, "hold")
        h.advance(12)
        await h.cti.act(ann, "resume")
        assert not caller.held and h.pool.hears(seat) == {caller}
        caller.far_hangs_up()
        rec = await h.finished()
    kinds = h.kinds("call.")
    assert "call.held" in kinds and "call.resumed" in kinds
    trace = [e.data for e in h.events if e.kind == "acd.trace" and e.data.get("type") == "CallEnded"]
    assert trace[-1]["hold"] == 12.0 and rec.disposition == "answered"


async def test_blind_transfer_to_a_seat_frees_the_agent_and_the_new_seat_takes_over(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path, wrapup_s=10) as h:
        caller, seat, live = await h.connected()
        await h.cti.act(await h.p("ann"), "transfer", target="203")
        assert seat.ended.done() and caller.held                 # the agent is gone at once
        assert h.state("201") == "wrap-up"
        ring = out_legs(h.pool, "sip:203@")[-1]
        assert ring.info["caller_id"] == "5551234"               # 203 sees the caller
        ring.far_answers()
        await h.until(lambda: h.pool.hears(caller) == {ring}, "caller talks to 203")
        assert not caller.held and h.cti.call_of("203") is live and h.state("203") == "on-call"
        h.advance(30)
        caller.far_hangs_up()
        rec = await h.finished()
        events = await h.queue_events(rec.id)
        assert h.state("203") == "wrap-up"                       # the queue's wrap-up
    assert events == ["ENTERQUEUE", "CONNECT", "TRANSFER", "COMPLETECALLER"]
    assert (rec.agent, rec.disposition, rec.hangup_by) == ("203", "answered", "caller")
    transfer = [e.data for e in h.events if e.kind == "acd.trace"
                and e.data.get("type") == "CallEnded"][0]
    assert transfer["agent"] == "201" and transfer["transfer"] == "seat:203"


async def test_a_blind_transfer_nobody_answers_goes_back_to_the_queue(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        await h.cti.act(await h.p("ann"), "transfer", target="203")
        ring = out_legs(h.pool, "sip:203@")[-1]
        h.advance(30)                                            # desk.transfer_ring
        await h.until(lambda: ring.ended.done(), "the unanswered transfer is dropped")
        h.seat_registered("203")
        await h.until(lambda: len(out_legs(h.pool, "sip:203@")) == 2 or
                      len(out_legs(h.pool, "sip:201@")) == 2, "offered again from the queue")
        assert caller.playing and caller.playing.endswith("moh.wav")
        caller.far_hangs_up()
        rec = await h.finished()
    assert rec.queue == "support" and rec.disposition == "abandoned"
    assert "call.transfer_failed" in h.kinds("call.")


async def test_blind_transfer_to_a_queue_waits_there_and_is_offered_to_its_agent(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        h.seat_registered("202")
        await h.cti.act(await h.p("ann"), "transfer", target="sales")
        await h.until(lambda: out_legs(h.pool, "sip:202@"), "sales' seat rings")
        out_legs(h.pool, "sip:202@")[-1].far_answers()
        await h.until(lambda: h.cti.call_of("202"), "connected in sales")
        caller.far_hangs_up()
        rec = await h.finished()
        events = await h.queue_events(rec.id)
    assert events == ["ENTERQUEUE", "CONNECT", "TRANSFER", "ENTERQUEUE", "CONNECT",
                      "COMPLETECALLER"]
    assert (rec.queue, rec.agent) == ("sales", "202")


async def test_attended_transfer_agent_talks_first_then_completes(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        ann = await h.p("ann")
        await h.cti.act(ann, "transfer", target="203", attended=True)
        assert caller.held and not seat.ended.done()
        with pytest.raises(ApiError, match="not answered yet"):
            await h.cti.act(ann, "complete")
        consult = out_legs(h.pool, "sip:203@")[-1]
        consult.far_answers()
        await h.until(lambda: h.pool.hears(seat) == {consult}, "agent consults 203")
        assert h.pool.hears(caller) == set()                     # the caller hears music only
        await h.cti.act(ann, "complete")
        assert seat.ended.done() and h.pool.hears(caller) == {consult}
        caller.far_hangs_up()
        rec = await h.finished()
    assert rec.agent == "203"


async def test_the_agent_hanging_up_while_consulting_completes_the_transfer(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        await h.cti.act(await h.p("ann"), "transfer", target="203", attended=True)
        consult = out_legs(h.pool, "sip:203@")[-1]
        consult.far_answers()
        await h.until(lambda: live.consult_up, "consulting")
        seat.far_hangs_up()
        await h.until(lambda: h.pool.hears(caller) == {consult}, "caller with 203")
        assert live.agent == "203" and live.state == "talking"
        consult.far_hangs_up()
        rec = await h.finished()
    assert (rec.agent, rec.hangup_by) == ("203", "agent")


async def test_conference_of_three_then_the_third_leaves(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        ann = await h.p("ann")
        await h.cti.act(ann, "conference", target="0123456789")
        third = h.trunks.last()
        assert h.trunks.dialled[-1][0] == "0123456789"
        third.far_answers()
        await h.until(lambda: live.state == "conference", "three-way")
        assert h.pool.hears(caller) == {seat, third} and h.pool.hears(third) == {caller, seat}
        third.far_hangs_up()
        await h.until(lambda: live.state == "talking", "back to two")
        assert h.pool.hears(caller) == {seat}
        seat.far_hangs_up()
        rec = await h.finished()
    assert rec.hangup_by == "agent" and "call.conference" in h.kinds("call.")


async def test_a_conference_on_a_full_node_is_refused_and_nothing_changes(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path, capacity=2) as h:
        caller, seat, live = await h.connected()
        dialled = len(h.pool.dialled)
        with pytest.raises(Exception, match="no room on the conversation's node"):
            await h.cti.act(await h.p("ann"), "conference", target="203")
        assert len(h.pool.dialled) == dialled and not caller.held and live.state == "talking"
        assert h.pool.hears(caller) == {seat}
        caller.far_hangs_up()
        await h.finished()


async def test_transfer_to_an_outside_number_through_the_trunks(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        await h.store.config.put_queue((await h.store.config.queue("support")))  # unchanged
        await h.cti.store.put_queue_caller_id("support", "+862150001000")
        caller, seat, live = await h.connected()
        await h.cti.act(await h.p("ann"), "transfer", target="013800001111")
        number, caller_id, far = h.trunks.dialled[-1]
        assert (number, caller_id) == ("013800001111", "+862150001000")
        far.far_answers()
        await h.until(lambda: h.pool.hears(caller) == {far}, "caller with the outside number")
        far.far_hangs_up()
        await h.finished()


async def test_the_phones_transfer_button_is_a_blind_transfer(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        seat.far_refers("<sip:203@192.0.2.10>")
        await h.until(lambda: out_legs(h.pool, "sip:203@"), "203 rings")
        assert seat.ended.done()
        out_legs(h.pool, "sip:203@")[-1].far_answers()
        await h.until(lambda: live.agent == "203", "203 has the call")
        caller.far_hangs_up()
        await h.finished()


async def test_pickup_takes_a_call_ringing_another_seat_of_the_queue(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        h.seat_registered("201")
        caller = h.call()
        await h.until(lambda: caller.playing, "menu")
        caller.press("1")
        ringing = await h.dialled_leg(1)
        await h.until(lambda: "201" in h.cti.offers, "201 rings")
        with pytest.raises(ApiError, match="no call is ringing"):
            await h.cti.pickup(await h.p("cat"))                 # 202 serves sales only
        out = await h.cti.pickup(await h.p("bob"))               # 203 serves support
        assert out == {"call": out["call"], "picked_from": "201", "ringing": "203"}
        picker = out_legs(h.pool, "sip:203@")[-1]
        assert not ringing.ended.done()                          # both ring: first one wins
        picker.far_answers()
        await h.until(lambda: h.cti.call_of("203"), "203 has the call")
        assert ringing.ended.done()
        assert h.state("201") == "available"                     # released, no penalty
        caller.far_hangs_up()
        rec = await h.finished()
        events = [e for e in await h.store.queue_log.query() if e.call_id == rec.id]
    assert [e.event for e in events] == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    assert events[1].agent == "203" and events[1].info == "pickup" and rec.agent == "203"


async def test_wrap_up_with_a_disposition_ends_the_wrap_up(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path, wrapup_s=60) as h:
        caller, seat, live = await h.connected()
        ann = await h.p("ann")
        caller.far_hangs_up()
        rec = await h.finished()
        await h.until(lambda: h.cti.owed.get("201") == rec.id, "a disposition is owed")
        assert h.state("201") == "wrap-up"
        with pytest.raises(Exception, match="wrapup.disposition|disposition"):
            await h.cti.wrapup(ann, "not-a-code")
        out = await h.cti.wrapup(ann, "sale", "wants the blue one")
        assert out["code"] == "sale" and out["agent_state"] == "available"
        assert "201" not in h.cti.owed
        rows = await h.cti.store.dispositions_of(rec.id)
    assert [(r["agent"], r["code"], r["note"]) for r in rows] == [("201", "sale",
                                                                   "wants the blue one")]

"""A caller in a queue on a ManualClock: offers, ring timeouts, failures, connect, record."""
from __future__ import annotations

from pathlib import Path

from firmware.errors import MediaError
from firmware.store import Queue
from tests.flows.conftest import MOH, FlowHarness
from tests.flows.fakes import FakeLeg

RETRY = 5.0     # the engine's rest after a no-answer (AgentSpec.retry_delay default)


async def queued(h: FlowHarness, digit: str = "1") -> FakeLeg:
    caller = h.call()
    await h.until(lambda: caller.playing, "the menu prompt")
    caller.press(digit)
    await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "music on hold")
    return caller


async def test_ring_timeout_is_ringnoanswer_and_the_call_is_offered_again(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, ring_timeout_s=15) as h:
        h.seat_registered("201")
        caller = await queued(h)
        first = await h.dialled_leg(1)
        assert h.pool.dialled[0][1] == h.ctx.seats.uri("201")
        h.advance(14.9)
        assert not first.ended.done()                      # still ringing
        h.advance(0.1)                                     # the 15 s ring timeout
        await h.until(lambda: first.ended.done(), "the unanswered seat leg hung up")
        await h.until(lambda: h.kinds("queue.ringnoanswer"), "RINGNOANSWER")
        ring = [e for e in h.events if e.kind == "queue.ringnoanswer"][0].data["ring"]
        assert ring == 15.0
        h.advance(RETRY)                                   # the seat rests, then is offered again
        second = await h.dialled_leg(2)
        second.far_answers()
        await h.until(lambda: h.pool.bridged, "bridged")
        assert h.pool.bridged == [(caller, second)]
        h.advance(42.0)
        caller.far_hangs_up()
        rec = await h.finished()
        events = await h.queue_events(rec.id)
        cdrs = await h.cdrs()
        recordings = await h.store.recordings.for_call(rec.id)
    assert events == ["ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETECALLER"]
    assert second.did("hangup")                            # the caller left first
    assert (rec.disposition, rec.hangup_by, rec.agent) == ("answered", "caller", "201")
    assert rec.wait_s == 20.0 and rec.talk_s == 42.0
    assert rec.recording and [r.path for r in recordings] == [rec.recording]
    assert (h.cfg.recordings_dir / rec.recording).exists()
    assert not list((h.cfg.recordings_dir / ".incoming").glob("*.wav"))
    assert [c.id for c in cdrs] == [rec.id]


async def test_a_dial_that_fails_is_ringnoanswer_at_once_and_the_next_offer_goes_out(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        h.seat_registered("201")
        h.pool.dial_error = MediaError("node 1: node full", node=1)
        caller = await queued(h)
        await h.until(lambda: h.kinds("queue.ringnoanswer"), "RINGNOANSWER")
        assert [e.data["ring"] for e in h.events if e.kind == "queue.ringnoanswer"] == [0.0]
        h.pool.dial_error = None
        h.advance(RETRY)
        seat = await h.dialled_leg(1)
        seat.far_answers()
        await h.until(lambda: h.pool.bridged, "bridged")
        seat.far_hangs_up()
        rec = await h.finished()
        events = await h.queue_events(rec.id)
    assert events == ["ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETEAGENT"]
    assert caller.did("hangup")
    assert (rec.disposition, rec.hangup_by) == ("answered", "agent")


async def test_caller_leaving_while_the_seat_rings_abandons_and_stops_the_ringing(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        h.seat_registered("201")
        caller = await queued(h)
        seat = await h.dialled_leg(1)
        h.advance(7.0)
        caller.far_hangs_up()
        rec = await h.finished()
        events = await h.queue_events(rec.id)
        cdrs = await h.cdrs()
    assert seat.did("hangup")
    assert events == ["ENTERQUEUE", "RINGNOANSWER", "ABANDON"]
    assert (rec.disposition, rec.hangup_by, rec.wait_s) == ("abandoned", "caller", 7.0)
    assert len(cdrs) == 1


async def test_a_declined_offer_is_ringnoanswer_declined(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        h.seat_registered("201")
        caller = await queued(h)
        seat = await h.dialled_leg(1)
        seat.far_hangs_up(486, "Busy Here")
        await h.until(lambda: h.kinds("queue.ringnoanswer"), "RINGNOANSWER")
        caller.far_hangs_up()
        rec = await h.finished()
        log = await h.store.queue_log.query()
    assert [(e.event, e.info) for e in log if e.call_id == rec.id][1] == \
        ("RINGNOANSWER", "declined or unreachable")


async def test_node_failure_mid_call_fails_the_call_with_one_record(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        h.seat_registered("201")
        caller = await queued(h)
        seat = await h.dialled_leg(1)
        seat.far_answers()
        await h.until(lambda: h.pool.bridged, "bridged")
        caller.node_fails()
        seat.node_fails()
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert (rec.disposition, rec.hangup_by) == ("failed", "system")
    assert rec.failure_reason == "media node failed"
    assert [c.id for c in cdrs] == [rec.id]


async def test_a_recording_that_fails_to_start_leaves_the_call_connected(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        h.seat_registered("201")
        h.pool.record_error = MediaError("node 1: record_start: disk full", node=1)
        caller = await queued(h)
        seat = await h.dialled_leg(1)
        seat.far_answers()
        await h.until(lambda: h.kinds("call.connected"), "connected")
        h.advance(30.0)
        caller.far_hangs_up()
        rec = await h.finished()
        recordings = await h.store.recordings.list()
    assert (rec.disposition, rec.talk_s, rec.recording) == ("answered", 30.0, "")
    assert recordings == []


async def test_wrap_up_holds_the_next_offer_for_its_seconds(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, wrapup_s=5) as h:
        h.seat_registered("201")
        first = await queued(h)
        seat = await h.dialled_leg(1)
        seat.far_answers()
        await h.until(lambda: h.pool.bridged, "first call bridged")
        second = await queued(h)
        first.far_hangs_up()
        await h.finished(0)
        h.advance(4.9)
        assert len(h.pool.dialled) == 1                    # 201 is wrapping up
        h.advance(0.1)
        await h.dialled_leg(2)
        second.far_hangs_up()
        await h.finished(1)
        cdrs = await h.cdrs()
    assert sorted(c.disposition for c in cdrs) == ["abandoned", "answered"]


async def test_caller_leaving_at_the_moment_of_queue_entry_is_abandoned_not_failed(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        caller = h.call()
        h.bus.subscribe("queue.enterqueue", lambda e: caller.far_hangs_up())
        await h.until(lambda: caller.playing, "the menu prompt")
        caller.press("1")
        rec = await h.finished()
        events = await h.queue_events(rec.id)
    assert (rec.disposition, rec.hangup_by, rec.failure_reason) == ("abandoned", "caller", "")
    assert events == ["ENTERQUEUE", "ABANDON"]


async def test_the_seat_is_dialled_showing_the_caller_and_the_queue(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        h.seat_registered("201")
        caller = await queued(h)                     # "Ann Caller" <sip:5551234@...>
        seat = await h.dialled_leg(1)
        assert (seat.info["caller_id"], seat.info["caller_name"]) == \
            ("5551234", "support: Ann Caller")
        caller.far_hangs_up()
        await h.finished()


async def test_a_queue_can_show_the_number_only_and_an_odd_number_goes_anonymous(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        await h.store.config.put_queue(Queue(name="support", caller_display="{number}"))
        h.seat_registered("201")
        caller = h.call(caller="+86 138 0000", name="")
        await h.until(lambda: caller.playing, "the menu prompt")
        caller.press("1")
        seat = await h.dialled_leg(1)
        assert (seat.info["caller_id"], seat.info["caller_name"]) == ("anonymous", "+86 138 0000")
        caller.far_hangs_up()
        await h.finished()

"""Supervisors on the ManualClock: listen, whisper, barge, intercept (from the wallboard,
the supervisor's seat rung from the call's node), refusals, and forcing agents' states."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.crm.permissions import PermissionDenied
from firmware.errors import ApiError, MediaError
from tests.cti.conftest import DeskHarness
from tests.cti.fakes import out_legs


async def test_listen_then_whisper_then_barge_the_caller_never_hears_a_whisper(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        sue = await h.p("sue")
        await h.cti.supervise(sue, "201", "listen")
        sup = out_legs(h.pool, "sip:301@")[-1]
        assert sup.info["caller_name"] == "listen 201"
        assert h.pool.hears(sup) == set()                    # nothing until it answers
        sup.far_answers()
        await h.until(lambda: h.pool.hears(sup) == {caller, seat}, "the supervisor listens")
        assert sup not in h.pool.hears(caller) and sup not in h.pool.hears(seat)
        await h.cti.supervise(sue, "201", "whisper")
        assert sup in h.pool.hears(seat) and sup not in h.pool.hears(caller)
        await h.cti.supervise(sue, "201", "barge")
        assert h.pool.hears(caller) == {seat, sup} and h.pool.hears(seat) == {caller, sup}
        await h.cti.supervise(sue, "201", "listen")          # and back
        assert h.pool.hears(caller) == {seat} and h.pool.hears(sup) == {caller, seat}
        caller.far_hangs_up()
        await h.finished()
        await h.until(lambda: sup.ended.done(), "the supervisor's leg ends with the call")
    kinds = h.kinds("supervisor.")
    assert kinds[:3] == ["supervisor.listen", "supervisor.whisper", "supervisor.barge"]


async def test_intercept_hands_the_call_to_the_supervisor_and_frees_the_agent(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path, wrapup_s=20) as h:
        caller, seat, live = await h.connected()
        sue = await h.p("sue")
        await h.cti.supervise(sue, "201", "listen")
        sup = out_legs(h.pool, "sip:301@")[-1]
        sup.far_answers()
        await h.until(lambda: live.sup is not None and live.sup.state == "listen", "listening")
        await h.cti.supervise(sue, "201", "intercept")
        await h.until(lambda: seat.ended.done(), "the agent's leg is hung up")
        assert live.agent == "301" and h.pool.hears(caller) == {sup}
        assert h.state("201") == "wrap-up"
        caller.far_hangs_up()
        rec = await h.finished()
        events = await h.queue_events(rec.id)
    assert rec.agent == "301" and events[-2] == "TRANSFER"
    assert "supervisor.intercept" in h.kinds("supervisor.")


async def test_no_room_for_the_supervisor_refuses_before_anything_changes(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path, capacity=2) as h:
        caller, seat, live = await h.connected()
        dialled = len(h.pool.dialled)
        with pytest.raises(MediaError) as err:
            await h.cti.supervise(await h.p("sue"), "201", "whisper")
        assert err.value.reason == "no room on the conversation's node"
        assert len(h.pool.dialled) == dialled and live.sup is None and not h.pool.paths
        caller.far_hangs_up()
        await h.finished()


async def test_an_agent_may_not_supervise_and_a_second_supervisor_is_refused(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        with pytest.raises(PermissionDenied):
            await h.cti.supervise(await h.p("bob"), "201", "listen")
        await h.add_users({"tim": ("team_leader", "209")})
        await h.cti.supervise(await h.p("sue"), "201", "listen")
        tim = await h.cti.principal_for_seat("209")
        with pytest.raises(ApiError, match="already supervised by seat 301"):
            await h.cti.supervise(tim, "201", "barge")
        with pytest.raises(ApiError, match="agent 203 is not on a call"):
            await h.cti.supervise(await h.p("sue"), "203", "listen")
        caller.far_hangs_up()
        await h.finished()


async def test_agent_states_by_the_agent_and_forced_by_a_supervisor(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        h.seat_registered("201", "203")
        ann, sue = await h.p("ann"), await h.p("sue")
        out = await h.cti.agent_state_change(ann, "paused", "lunch")
        assert (out["state"], out["reason"]) == ("paused", "lunch")
        out = await h.cti.agent_state_change(ann, "paused", "3")        # by position
        assert out["reason"] == "meeting"
        with pytest.raises(Exception, match="pause_reason"):
            await h.cti.agent_state_change(ann, "paused", "nap")
        await h.cti.agent_state_change(ann, "available")
        assert h.state("201") == "available"
        await h.cti.agent_state_change(ann, "logged-out")
        with pytest.raises(ApiError, match="logged out already"):
            await h.cti.agent_state_change(ann, "logged-out")
        await h.cti.agent_state_change(ann, "logged-in")
        with pytest.raises(PermissionDenied):
            await h.cti.force(ann, "203", "logged-out")
        out = await h.cti.force(sue, "203", "paused", "2")
        assert (out["state"], out["reason"]) == ("paused", "lunch")
        await h.cti.force(sue, "203", "logged-out")
        stored = await h.cti.store.sessions()
        assert stored["203"] == (False, None) and stored["201"] == (True, None)
        # a restart keeps them: a fresh engine logs every seat in, the desk restores
        h.acd.close()
        from firmware.flows.acd_runner import AcdRunner
        h.acd = h.ctx.acd = AcdRunner(h.bus, h.clock)
        h.acd.configure(await h.store.config.queues(), await h.store.config.seats())
        await h.cti.restore_sessions()
        assert h.state("203") == "logged-out"
    forced = [e.data for e in h.events if e.kind == "supervisor.force"]
    assert [(f["agent"], f["state"], f["user"]) for f in forced] == [
        ("203", "paused", "sue"), ("203", "logged-out", "sue")]

"""Feature codes from seats, and recording by rule or on demand, on the ManualClock."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.cti import codes
from firmware.errors import ApiError
from firmware.store.agentdesk import RecordingRule
from tests.cti.conftest import DeskHarness, seat_dials
from tests.cti.fakes import out_legs


@pytest.mark.parametrize("dialled, action, arg", [
    ("*11", "login", ""), ("*21", "pause", ""), ("*212", "pause", "2"), ("*4", "wrapup", ""),
    ("*43", "wrapup", "3"), ("*8", "pickup", ""), ("*31201", "listen", "201"),
    ("*352033", "force-pause", "2033"), ("*37203", "force-logout", "203"),
])
def test_codes_parse_to_their_action_and_argument(dialled: str, action: str, arg: str) -> None:
    found = codes.parse(dialled)
    assert found is not None and (found[0].action, found[1]) == (action, arg)


@pytest.mark.parametrize("dialled", ["*99", "*11x", "*111", "*31", "201", "*"])
def test_what_is_not_a_code_is_refused(dialled: str) -> None:
    assert codes.parse(dialled) is None


async def test_pause_and_available_by_code_answer_with_a_confirmation(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        h.seat_registered("201")
        leg, task = seat_dials(h, "201", "*212")
        await h.until(lambda: leg.playing, "the confirmation")
        assert leg.did("answer") and leg.playing.endswith("code-ok.wav")
        assert h.acd.agent_state("201") == ("paused", "lunch")
        h.advance(3)                                           # desk.code_answer
        await h.until(lambda: task.done(), "hung up")
        assert leg.did("hangup")
        leg2, _ = seat_dials(h, "201", "*22")
        await h.until(lambda: leg2.playing, "the confirmation")
        assert h.state("201") == "available"
        leg2.far_hangs_up()


async def test_an_agent_seat_may_not_use_supervisor_codes(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        leg, _ = seat_dials(h, "203", "*37201")                # bob (agent) forces 201 out
        await h.until(lambda: leg.playing, "the refusal")
        assert leg.playing.endswith("code-refused.wav") and h.state("201") != "logged-out"
        refused = [e.data for e in h.events if e.kind == "agent.feature_code_refused"]
        assert refused and "may not force" in refused[0]["error"]
        leg.far_hangs_up()


async def test_a_supervisor_listens_and_whispers_by_code_from_its_seat(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()
        sup, task = seat_dials(h, "301", "*32201")             # whisper to 201
        await h.until(lambda: live.sup is not None, "supervising")
        assert sup.did("answer") and live.sup.mode == "whisper"
        assert h.pool.hears(sup) == {caller, seat}
        assert sup in h.pool.hears(seat) and sup not in h.pool.hears(caller)
        sup.far_hangs_up()                                     # the supervisor leaves
        await h.until(lambda: live.sup is None, "supervision over")
        assert h.pool.hears(caller) == {seat}
        await h.until(lambda: task.done(), "the code's flow returns")
        caller.far_hangs_up()
        await h.finished()


async def test_pickup_by_code_connects_the_seat_that_dialled_it(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        h.seat_registered("201")
        caller = h.call()
        await h.until(lambda: caller.playing, "menu")
        caller.press("1")
        ringing = await h.dialled_leg(1)
        await h.until(lambda: "201" in h.cti.offers, "201 rings")
        picker, _ = seat_dials(h, "203", "*8")
        await h.until(lambda: h.cti.call_of("203"), "203 has the call")
        await h.until(lambda: ringing.ended.done(), "201 stops ringing")
        assert h.pool.hears(caller) == {picker}
        caller.far_hangs_up()
        rec = await h.finished(0)
    assert rec.agent == "203"


async def test_on_demand_recording_stereo_with_the_notice(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        await h.cti.store.put_recording_rule(RecordingRule("agent", "201", "on_demand",
                                                           announce=True, stereo=True))
        caller, seat, live = await h.connected()
        assert live.recording.active is None and not h.pool.recordings
        ann = await h.p("ann")
        out = await h.cti.act(ann, "record", on=True)
        assert out["recording"] and caller.playing.endswith("recording-notice.wav")
        [(path, (legs, stereo))] = h.pool.recorded.items()
        assert legs == [caller, seat] and stereo                # caller left, agent right
        with pytest.raises(ApiError, match="being recorded already"):
            await h.cti.act(ann, "record", on=True)
        h.advance(20)
        await h.cti.act(ann, "record", on=False)
        await h.cti.act(ann, "record", on=True)                 # a second segment
        caller.far_hangs_up()
        rec = await h.finished()
        meta = await h.cti.store.recordings_of(rec.id)
        indexed = await h.store.recordings.for_call(rec.id)
    assert [m["layout"] for m in meta] == ["caller-left agent-right"] * 2
    assert [m["trigger"] for m in meta] == ["on_demand", "on_demand"]
    assert rec.recording == meta[0]["path"] and meta[1]["path"].endswith(f"{rec.id}-2.wav")
    assert sorted(r.path for r in indexed) == sorted(m["path"] for m in meta)
    assert caller.commands.count(("play", (str(h.cfg.prompts_dir / "recording-notice.wav"),
                                           False))) == 1   # the notice once per call


async def test_a_queue_never_recorded_refuses_on_demand_and_records_nothing(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        await h.cti.store.put_recording_rule(RecordingRule("queue", "support", "never"))
        caller, seat, live = await h.connected()
        with pytest.raises(ApiError, match="switched off"):
            await h.cti.act(await h.p("ann"), "record", on=True)
        caller.far_hangs_up()
        rec = await h.finished()
    assert not h.pool.recordings and rec.recording == ""


async def test_a_transfer_closes_the_segment_and_records_the_new_parties(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        caller, seat, live = await h.connected()             # recorded by the default rule
        [(first, (legs, _))] = h.pool.recorded.items()
        assert legs == [caller, seat]
        await h.cti.act(await h.p("ann"), "transfer", target="203", attended=True)
        consult = out_legs(h.pool, "sip:203@")[-1]
        consult.far_answers()
        await h.until(lambda: live.consult_up, "consulting")
        await h.cti.act(await h.p("ann"), "complete")
        second = [p for p in h.pool.recorded if p != first]
        assert len(second) == 1 and h.pool.recorded[second[0]][0] == [caller, consult]
        caller.far_hangs_up()
        rec = await h.finished()
        meta = await h.cti.store.recordings_of(rec.id)
    assert [m["agent"] for m in meta] == ["201", "203"]

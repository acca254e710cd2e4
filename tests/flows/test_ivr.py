"""The IVR menu on a ManualClock: barge-in, retries, timeouts, invalid keys."""
from __future__ import annotations

from pathlib import Path

from tests.flows.conftest import IVR_PROMPT, MOH, FlowHarness


def plays(leg, name: str) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for c, a in leg.commands if c == "play" and a[0].endswith(name))


async def test_silence_replays_the_prompt_after_each_timeout_then_hangs_up(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, retries=2, menu_timeout_s=5) as h:
        caller = h.call()
        for attempt in (1, 2, 3):
            await h.until(lambda: plays(caller, IVR_PROMPT) == attempt, f"prompt #{attempt}")
            caller.prompt_finished()
            await h.until(lambda: h.clock.next_deadline() is not None, "the digit timer")
            h.advance(4.9)
            assert plays(caller, IVR_PROMPT) == attempt     # still waiting for a key
            h.advance(0.1)
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert plays(caller, IVR_PROMPT) == 3
    assert caller.did("hangup")
    assert (rec.disposition, rec.hangup_by) == ("no-choice", "system")
    assert [c.id for c in cdrs] == [rec.id]


async def test_a_key_during_the_prompt_stops_it_and_chooses_the_queue(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        caller = h.call()
        await h.until(lambda: caller.playing and caller.playing.endswith(IVR_PROMPT), "prompt")
        caller.press("2")                                   # barge-in, prompt still playing
        await h.until(lambda: caller.did("stop_play"), "prompt stopped")
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "caller on hold")
        assert h.events[[e.kind for e in h.events].index("queue.enterqueue")].data["queue"] == "sales"
        caller.far_hangs_up()
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert (rec.queue, rec.disposition) == ("sales", "abandoned")


async def test_an_invalid_key_replays_the_prompt_and_a_valid_one_then_routes(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, retries=2) as h:
        caller = h.call()
        await h.until(lambda: plays(caller, IVR_PROMPT) == 1, "prompt #1")
        caller.press("9")
        await h.until(lambda: plays(caller, IVR_PROMPT) == 2, "prompt #2 after the invalid key")
        caller.press("1")
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "caller on hold")
        caller.far_hangs_up()
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert rec.queue == "support"
    assert h.clock.now() == 0.0                             # no timeout was needed


async def test_caller_hanging_up_in_the_menu_is_an_abandoned_call(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        caller = h.call()
        await h.until(lambda: plays(caller, IVR_PROMPT) == 1, "prompt")
        caller.far_hangs_up()
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert (rec.disposition, rec.hangup_by, rec.queue) == ("abandoned", "caller", "")
    assert len(cdrs) == 1

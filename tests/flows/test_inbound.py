"""Routing and the call record: every path writes exactly one CDR."""
from __future__ import annotations

from pathlib import Path

from firmware.errors import MediaError
from tests.flows.conftest import MOH, FlowHarness


async def test_unknown_did_is_refused_404_with_a_rejected_record(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        caller = h.call(did="999")
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert caller.commands == [("reject", 404)]
    assert (rec.disposition, rec.did) == ("rejected", "999")
    assert "no route for DID '999'" in rec.failure_reason
    assert [c.id for c in cdrs] == [rec.id]


async def test_did_bound_to_another_trunk_does_not_route(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        caller = h.call(did="100", trunk="carrier-b")
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert caller.commands == [("reject", 404)]
    assert rec.disposition == "rejected"


async def test_a_did_straight_to_a_queue_skips_the_ivr(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        caller = h.call(did="200")
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "hold music")
        assert [c for c, _ in caller.commands][:2] == ["answer", "play"]
        caller.far_hangs_up()
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert (rec.queue, rec.disposition) == ("support", "abandoned")


async def test_a_failing_answer_still_leaves_one_failed_record(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path) as h:
        caller = h.call()
        caller.fail["answer"] = MediaError("node 1: answer refused", node=1)
        rec = await h.finished()
        cdrs = await h.cdrs()
    assert rec.disposition == "failed" and "answer refused" in rec.failure_reason
    assert [c.id for c in cdrs] == [rec.id]
    assert h.kinds("call.") == ["call.started", "call.ended"]

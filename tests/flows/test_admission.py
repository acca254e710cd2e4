"""Refused before answering (``flows.admission``, ManualClock): a route that leads
straight to a queue nobody would take the call in (the engine's join rule over the
queue's current agents) is refused unanswered with the queue's ``refuse_with`` signal,
and leaves a ``rejected`` CDR; what would take the call (an agent, an overflow to
voicemail, a menu that asks first) is answered as before."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.flows import admission
from firmware.store import Queue, Seat, Store
from firmware.store.db import ValidationError
from firmware.store.inbound import QueueRules, Route
from firmware.store.ivrtree import IvrTree
from firmware.store.voicemail import VoicemailBox
from tests.flows.conftest import MOH, FlowHarness

HA1 = "0" * 32

#: IVR "welcome" says something and sets data, then queues: no question asked
WELCOME = {"start": "hello", "language": "en", "nodes": {
    "hello": {"type": "play", "prompt": {"text": "welcome"}, "next": "node:tag"},
    "tag": {"type": "set", "data": {"segment": "web"}, "next": "queue:nobody"}}}
#: IVR "choose" asks first: its queues are not asked before answering
CHOOSE = {"start": "menu", "language": "en", "nodes": {
    "menu": {"type": "menu", "prompt": {"text": "press 1"},
             "options": {"1": "queue:nobody", "2": "queue:jammed"}}}}


async def queues(store: Store) -> None:
    await store.voicemail.put_box(VoicemailBox("general"))
    for name in ("nobody", "jammed", "spill", "full", "tovm"):
        await store.config.put_queue(Queue(name, moh_file=MOH))
    await store.inbound.put_queue_rules(QueueRules("nobody", join_empty=("unavailable",)))
    await store.inbound.put_queue_rules(QueueRules("jammed", join_empty=("unavailable",),
                                                   refuse_with="congestion"))
    await store.inbound.put_queue_rules(QueueRules("spill", join_empty=("unavailable",),
                                                   overflow="queue:full",
                                                   refuse_with="congestion"))
    await store.inbound.put_queue_rules(QueueRules("full", max_len=0, overflow="hangup"))
    await store.inbound.put_queue_rules(QueueRules("tovm", join_empty=("unavailable",),
                                                   overflow="voicemail:general"))
    await store.inbound.put_ivr_tree(IvrTree.from_doc("welcome", WELCOME))
    await store.inbound.put_ivr_tree(IvrTree.from_doc("choose", CHOOSE))
    for number, target in (("301", "queue:nobody"), ("302", "queue:jammed"),
                           ("303", "queue:spill"), ("304", "queue:tovm"),
                           ("305", "ivr:welcome"), ("306", "ivr:choose")):
        await store.inbound.put_route(Route(number, target))
    await store.config.put_seat(Seat("203", HA1, queues={"nobody": 0, "jammed": 0}))


async def refused(h: FlowHarness, did: str) -> tuple[list[tuple[str, object]], object]:
    caller = h.call(did=did)
    rec = await h.finished()
    return caller.commands, rec


@pytest.mark.parametrize("did, code, queue, why, via", [
    ("301", 486, "nobody", "join-empty", ["nobody"]),          # default: busy
    ("302", 503, "jammed", "join-empty", ["jammed"]),          # refuse_with congestion
    ("303", 503, "spill", "full", ["spill", "full"]),          # overflows inside the engine
    ("305", 486, "nobody", "join-empty", ["nobody"]),          # an IVR that asks nothing
])
async def test_nobody_would_take_it_refused_before_answer(tmp_path: Path, did: str, code: int,
                                                          queue: str, why: str,
                                                          via: list[str]) -> None:
    async with FlowHarness(tmp_path, configure=queues) as h:
        commands, rec = await refused(h, did)
        cdrs = await h.cdrs()
        events = [e for e in h.events if e.kind == "call.refused"]
        queued = await h.queue_events(rec.id)                  # type: ignore[attr-defined]
    assert commands == [("reject", code)]                      # no answer, no prompt
    assert (rec.disposition, rec.queue, rec.outcome, rec.answered_at) == \
        ("rejected", queue, f"refused:{why}", None)            # type: ignore[attr-defined]
    assert [(c.id, c.disposition, c.hangup_by) for c in cdrs] == \
        [(rec.id, "rejected", "system")]                       # type: ignore[attr-defined]
    assert why in cdrs[0].failure_reason and queue in cdrs[0].failure_reason
    assert [(e.data["queue"], e.data["why"], e.data["code"], e.data["via"]) for e in events] \
        == [(queue, why, code, via)]
    assert queued == []                                        # it never joined


async def test_an_agent_makes_the_same_route_answer(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=queues) as h:
        h.seat_registered("203")
        caller = h.call(did="301")
        seat = await h.dialled_leg(1)
        assert caller.did("answer") and not caller.did("reject")
        caller.far_hangs_up()
        seat.far_hangs_up()
        rec = await h.finished()
    assert rec.disposition != "rejected" and not rec.outcome.startswith("refused")


async def test_what_takes_the_call_is_answered_as_before(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=queues) as h:
        to_vm = h.call(did="304")          # join-empty, but the overflow is voicemail
        await h.until(lambda: h.heard(to_vm) and h.heard(to_vm)[0].startswith(
            "en-us: Please leave"), "the voicemail greeting")
        to_vm.far_hangs_up()
        rec = await h.finished(0)
        menu = h.call(did="306")           # a menu: the caller has not chosen yet
        await h.until(lambda: menu.did("answer") and menu.playing, "the menu")
        menu.far_hangs_up()
        await h.finished(1)
    assert to_vm.commands[0] == ("answer", None) and not to_vm.did("reject")
    assert rec.outcome == "overflow:join-empty>voicemail:general"
    assert not menu.did("reject")


async def test_entry_queue_walks_only_nodes_that_ask_nothing(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=queues) as h:
        found = [await admission.entry_queue(h.ctx, t) for t in
                 ("queue:jammed", "ivr:welcome", "ivr:choose", "voicemail:general", "hangup")]
    assert found == ["jammed", "nobody", None, None, None]


async def test_refuse_with_is_checked_naming_the_key(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=queues) as h:
        with pytest.raises(ValidationError) as bad:
            await h.store.inbound.put_queue_rules(QueueRules("nobody", refuse_with="silence"))
        kept = await h.store.inbound.queue_rules("jammed")
    assert bad.value.field == "queue.refuse_with" and "busy, congestion" in str(bad.value)
    assert kept.refuse_with == "congestion"

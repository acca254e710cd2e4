"""An admin edits a queue while a caller waits in it (``AcdRunner.apply_queues``, what
``App._apply_config`` calls on ``config.changed``): the engine's deadlines and the
flow's keys and announcements follow the edit without a restart."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from firmware.store.inbound import QueueRules
from tests.flows.conftest import MOH, FlowHarness
from tests.flows.test_queue_rules import did, rules


async def test_a_waiting_caller_gets_the_edited_max_wait_exit_key_and_announcements(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        caller = h.call(did=did("short"))                  # max wait 30 s, no keys
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
        h.advance(10)
        short = await h.store.config.queue("short")
        assert short is not None
        await h.store.config.put_queue(replace(short, max_wait_s=300))
        await h.store.inbound.put_queue_rules(QueueRules(
            "short", overflow="voicemail:general", announce_every_s=25, exit_key="0",
            exit_target="voicemail:general"))
        changed = h.acd.apply_queues(await h.store.config.queues(),
                                     await h.store.inbound.all_queue_rules())
        assert changed == ["short"]
        assert h.acd.apply_queues(await h.store.config.queues(),
                                  await h.store.inbound.all_queue_rules()) == []
        h.advance(25)                                      # 35 s: past the old max wait
        await h.until(lambda: h.heard(caller)[-1].startswith("en-us: You are number one"),
                      "the new announcement")
        assert not h.kinds("queue.overflow")
        caller.prompt_finished()
        await h.until(lambda: h.heard(caller)[-1] == MOH, "music again")
        caller.press("0")                                  # the exit key added by the edit
        await h.until(lambda: h.heard(caller)[-1].startswith("en-us: Please leave"), "greeting")
        caller.far_hangs_up()
        rec = await h.finished()
        log = await h.store.queue_log.query()
        config = [e.data for e in h.events if e.kind == "acd.trace" and e.data["dir"] == "config"
                  and e.data["type"] == "QueueSpec" and e.data["name"] == "short"]
    exit_row = [e for e in log if e.call_id == rec.id][-1]
    assert (exit_row.event, exit_row.info, exit_row.wait_s) == ("EXITWITHKEY",
                                                                "0>voicemail:general", 35.0)
    assert [(c["max_wait"], c["announce_every"]) for c in config] == [(30.0, None),
                                                                     (300.0, 25.0)]


async def test_only_flow_rules_changed_reach_the_caller_without_touching_the_engine(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        caller = h.call(did=did("short"))
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
        await h.store.inbound.put_queue_rules(QueueRules(
            "short", overflow="voicemail:general", exit_key="9",
            exit_target="voicemail:general"))
        traced = len(h.kinds("acd.trace"))
        assert h.acd.apply_queues(await h.store.config.queues(),
                                  await h.store.inbound.all_queue_rules()) == ["short"]
        assert len(h.kinds("acd.trace")) == traced         # same QueueSpec: no engine update
        h.advance(5)
        caller.press("9")
        await h.until(lambda: h.heard(caller)[-1].startswith("en-us: Please leave"), "greeting")
        caller.far_hangs_up()
        await h.finished()

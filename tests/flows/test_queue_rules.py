"""Every queue rule the engine decides, carried out by the flow (ManualClock): max wait
with overflow, max length, join- and leave-when-empty, the exit key, announcements with
the estimated wait, periodic messages, whisper and agent announcement, the survey."""
from __future__ import annotations

from pathlib import Path

from firmware.store import Queue, Store
from firmware.store.inbound import Prompt, QueueRules, Route
from firmware.store.ivrtree import IvrTree
from firmware.store.voicemail import VoicemailBox
from tests.flows.conftest import MOH, FlowHarness


DIDS = {"short": "701", "tiny": "702", "lonely": "703", "spill": "704", "nowhere": "705",
        "tiny-menu": "706"}


async def rules(store: Store) -> None:
    await store.voicemail.put_box(VoicemailBox("general"))
    await store.inbound.put_prompt(Prompt("thanks", texts={"en": "thanks for waiting"}))
    await store.config.put_queue(Queue("short", max_wait_s=30, moh_file=MOH))
    await store.config.put_queue(Queue("tiny", moh_file=MOH))
    await store.config.put_queue(Queue("lonely", moh_file=MOH))
    await store.config.put_queue(Queue("spill", max_wait_s=20, moh_file=MOH))
    await store.config.put_queue(Queue("nowhere", max_wait_s=20, moh_file=MOH))
    await store.inbound.put_queue_rules(QueueRules("short", overflow="voicemail:general"))
    await store.inbound.put_queue_rules(QueueRules("tiny", max_len=1, overflow="hangup"))
    await store.inbound.put_queue_rules(QueueRules(
        "lonely", join_empty=("unavailable",), leave_empty=("unavailable",),
        overflow="voicemail:general"))
    await store.inbound.put_queue_rules(QueueRules("spill", overflow="queue:sales"))
    await store.inbound.put_queue_rules(QueueRules(
        "support", announce_every_s=30, periodic_prompt="thanks", periodic_every_s=45,
        exit_key="0", exit_target="voicemail:general", whisper=True, announce_agent=True))
    for q, number in DIDS.items():
        if q != "tiny-menu":
            await store.inbound.put_route(Route(number, f"queue:{q}"))
    # a menu leads to "tiny": the caller is answered before the queue is known
    await store.inbound.put_ivr_tree(IvrTree.from_doc("tiny-menu", {
        "start": "m", "nodes": {"m": {"type": "menu", "prompt": {"text": "press 1"},
                                      "options": {"1": "queue:tiny"}}}}))
    await store.inbound.put_route(Route(DIDS["tiny-menu"], "ivr:tiny-menu"))
    from firmware.store import Seat
    await store.config.put_seat(Seat("203", "0" * 32, queues={"lonely": 0, "tiny": 0,
                                                              "short": 0}))


def did(q: str) -> str:
    return DIDS[q]


async def answer_with_prompts(h: FlowHarness, caller, seat, bridged: int) -> None:  # type: ignore[no-untyped-def]
    """The seat answers a support call: whisper and agent number play, then the bridge."""
    seat.far_answers()
    await h.until(lambda: h.heard(seat) and h.heard(caller)[-1].startswith("en-us: Agent"),
                  "whisper and agent number")
    seat.prompt_finished()
    caller.prompt_finished()
    await h.until(lambda: len(h.pool.bridged) == bridged, "bridged")


async def log_of(h: FlowHarness, rec_id: str) -> list[str]:
    return await h.queue_events(rec_id)


async def test_max_wait_overflows_to_voicemail(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        caller = h.call(did=did("short"))
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
        h.advance(29.9)
        assert not h.kinds("queue.overflow")
        h.advance(0.1)
        await h.until(lambda: h.heard(caller)[-1].startswith("en-us: Please leave"), "greeting")
        caller.prompt_finished()
        await h.until(lambda: h.heard(caller)[-1] == "beep.wav", "beep")
        caller.prompt_finished()
        await h.until(lambda: h.pool.recordings, "recording the message")
        h.advance(12)
        caller.press("#")
        await h.until(lambda: h.heard(caller)[-1].startswith("en-us: Your message"), "saved")
        caller.prompt_finished()
        rec = await h.finished()
        events = await log_of(h, rec.id)
        msgs, _ = await h.store.voicemail.page(10, 0)
        indexed = await h.store.recordings.for_call(rec.id)
    assert events == ["ENTERQUEUE", "EXITWITHTIMEOUT"]
    assert (rec.disposition, rec.outcome) == ("no-agent", "overflow:max-wait>voicemail:general")
    assert rec.wait_s == 30.0
    assert [(m.box, m.seconds, m.path) for m in msgs] == [("general", 12.0, rec.recording)]
    assert rec.recording.endswith(f"{rec.id}-vm.wav") and [r.path for r in indexed] == [
        rec.recording]
    assert (h.cfg.recordings_dir / rec.recording).exists()


async def test_max_len_refuses_the_second_caller_without_music(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        first = h.call(did=did("tiny"))
        await h.until(lambda: first.playing and first.playing.endswith(MOH), "first waits")
        second = h.call(did=did("tiny-menu"))        # answered: the menu asks first
        await h.until(lambda: second.playing, "the menu")
        second.press("1")
        rec = await h.finished(1)
        events = await log_of(h, rec.id)
        third = h.call(did=did("tiny"))              # straight to the full queue
        refused = await h.finished(2)
        first.far_hangs_up()
        await h.finished(0)
    assert events == ["ENTERQUEUE", "FULL"]
    assert not any(c == "play" and a[0].endswith(MOH) for c, a in second.commands)  # no music
    assert (rec.disposition, rec.outcome) == ("no-agent", "overflow:full")
    assert second.did("hangup")
    # refused before answering (flows.admission): busy, the queue's default
    assert third.commands == [("reject", 486)]
    assert (refused.disposition, refused.outcome) == ("rejected", "refused:full")


async def test_join_empty_and_leave_empty(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        caller = h.call(did=did("lonely"))                   # nobody registered: join-empty
        await h.until(lambda: caller.playing, "greeting")
        assert h.heard(caller)[0].startswith("en-us: Please leave")
        caller.far_hangs_up()
        rec = await h.finished()
        assert await log_of(h, rec.id) == ["ENTERQUEUE", "JOINEMPTY"]
        h.seat_registered("203")                              # now someone can answer
        second = h.call(did=did("lonely"))
        seat = await h.dialled_leg(1)
        seat.far_hangs_up(486, "Busy Here")                  # declines: the caller waits on
        await h.until(lambda: h.kinds("queue.ringnoanswer"), "RINGNOANSWER")
        h.acd.set_reachable("203", False)                     # the only member is gone
        await h.until(lambda: h.heard(second)[-1].startswith("en-us: Please leave"),
                      "leave-empty to voicemail")
        second.far_hangs_up()
        rec2 = await h.finished(1)
        events = await log_of(h, rec2.id)
    assert events == ["ENTERQUEUE", "RINGNOANSWER", "EXITEMPTY"]
    assert rec2.outcome == "overflow:leave-empty>voicemail:general"


async def test_overflow_into_another_queue_keeps_the_call_and_rings_there(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        h.seat_registered("202")                              # sales
        caller = h.call(did=did("spill"))
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
        h.advance(20)
        seat = await h.dialled_leg(1)
        assert h.pool.dialled[0][1] == h.ctx.seats.uri("202")
        seat.far_answers()
        await h.until(lambda: h.pool.bridged, "bridged in sales")
        caller.far_hangs_up()
        rec = await h.finished()
        events = await log_of(h, rec.id)
    assert events == ["ENTERQUEUE", "EXITWITHTIMEOUT", "ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    assert (rec.queue, rec.agent, rec.disposition) == ("sales", "202", "answered")
    assert rec.wait_s == 20.0                              # from the first queue's join


async def test_no_overflow_target_says_no_agent_and_hangs_up(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        caller = h.call(did=did("nowhere"))
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
        h.advance(20)
        await h.until(lambda: h.heard(caller)[-1].startswith("en-us: Sorry, no agent"), "msg")
        caller.prompt_finished()
        rec = await h.finished()
    assert caller.did("hangup")
    assert (rec.disposition, rec.hangup_by, rec.outcome) == ("no-agent", "system",
                                                             "overflow:max-wait")


async def test_exit_key_leaves_for_voicemail(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        caller = h.call(did="200")
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
        h.advance(5)
        caller.press("5")                                     # not the exit key: ignored
        caller.press("0")
        await h.until(lambda: h.heard(caller)[-1].startswith("en-us: Please leave"), "greeting")
        caller.far_hangs_up()
        rec = await h.finished()
        log = await h.store.queue_log.query()
    exit_row = [e for e in log if e.call_id == rec.id][-1]
    assert (exit_row.event, exit_row.info, exit_row.wait_s) == ("EXITWITHKEY",
                                                                "0>voicemail:general", 5.0)


async def test_announcements_give_position_and_live_wait_then_music_resumes(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        # one finished call gives the estimator a talk time (120 s) to work from
        h.seat_registered("201")
        early = h.call(did="200")
        seat = await h.dialled_leg(1)
        await answer_with_prompts(h, early, seat, 1)
        h.advance(120)
        early.far_hangs_up()
        await h.finished(0)
        busy = h.call(did="200", caller="5550001")           # takes the agent for a while
        leg = await h.dialled_leg(2)
        await answer_with_prompts(h, busy, leg, 2)
        h.advance(30)
        waiting = h.call(did="200", caller="5550002")
        await h.until(lambda: waiting.playing and waiting.playing.endswith(MOH), "waiting")
        h.advance(30)
        await h.until(lambda: h.heard(waiting)[-1].startswith("en-us: You are"), "announcement")
        ann = [e.data for e in h.events if e.kind == "queue.announce"][0]
        assert ann["position"] == 1 and ann["ewt"] is not None
        assert 50 <= ann["ewt"] <= 70          # 120 s talks, 60 s into the current one
        said = h.heard(waiting)[-1]
        assert said == ("en-us: You are number one in line. Your estimated wait time is"
                        " about one minute.")
        waiting.prompt_finished()
        await h.until(lambda: h.heard(waiting)[-1] == MOH, "music again")
        h.advance(15)                                       # 45 s: the periodic message
        await h.until(lambda: h.heard(waiting)[-1] == "en-us: thanks for waiting", "periodic")
        for c in (waiting, busy):
            c.far_hangs_up()
        await h.finished(1)
        await h.finished(2)


async def test_whisper_to_the_agent_and_agent_number_to_the_caller_before_bridging(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=rules) as h:
        h.seat_registered("201")
        caller = h.call(did="200")
        seat = await h.dialled_leg(1)
        seat.far_answers()
        await h.until(lambda: len(h.heard(seat)) == 1 and len(h.heard(caller)) >= 2, "prompts")
        assert h.heard(seat) == ["en-us: Call from queue support."]
        assert h.heard(caller)[-1] == "en-us: Agent two zero one will serve you."
        assert not h.pool.bridged                            # not before both finished
        seat.prompt_finished()
        caller.prompt_finished()
        await h.until(lambda: h.pool.bridged, "bridged")
        seat.far_hangs_up()
        rec = await h.finished()
    assert rec.disposition == "answered" and caller.did("hangup")
    assert h.kinds("queue.whisper") and h.kinds("queue.agent_announced")

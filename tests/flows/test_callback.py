"""Callbacks on a ManualClock: offered after a threshold, the place kept, one agent
reserved, the customer dialled on the line it called from, retried on no answer, and
re-entered after a restart."""
from __future__ import annotations

from pathlib import Path

from firmware.flows import callback
from firmware.flows.acd_runner import AcdRunner
from firmware.store import Store
from firmware.store.inbound import QueueRules
from tests.flows.conftest import MOH, FlowHarness


async def offer_after_20s(store: Store) -> None:
    await store.inbound.put_queue_rules(QueueRules("support", callback_offer_after_s=20,
                                                   callback_attempts=2,
                                                   callback_retry_s=60))


async def requested(h: FlowHarness, caller_number: str = "13812345678"):  # type: ignore[no-untyped-def]
    caller = h.call(did="200", caller=caller_number)
    await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
    h.advance(20)
    await h.until(lambda: h.heard(caller)[-1].startswith("en-us: To be called"), "the offer")
    assert h.heard(caller)[-1] == ("en-us: To be called back without losing your place in"
                                   " line, press one.")
    caller.press("1")
    await h.until(lambda: h.heard(caller)[-1].startswith("en-us: Thank you. We will call"),
                  "confirmation")
    assert "one three eight one two three four five six seven eight" in h.heard(caller)[-1]
    caller.prompt_finished()
    rec = await h.finished()
    return caller, rec


async def test_a_callback_keeps_the_place_and_calls_back_when_an_agent_is_reserved(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=offer_after_20s) as h:
        caller, rec = await requested(h)
        assert caller.did("hangup")
        assert (rec.disposition, rec.outcome, rec.wait_s) == ("no-agent", "callback", 20.0)
        assert await h.queue_events(rec.id) == ["ENTERQUEUE", "CALLBACK"]
        later = h.call(did="200", caller="5559999")          # joins after the callback
        await h.until(lambda: later.playing and later.playing.endswith(MOH), "later waits")
        h.advance(100)
        h.seat_registered("201")
        seat = await h.dialled_leg(1)                          # the callback goes first
        assert len(h.pool.conversations) == 1
        assert seat.info["caller_id"] == "13812345678"
        seat.far_answers()
        await h.until(lambda: h.heard(seat), "whisper to the agent")
        assert h.heard(seat) == ["en-us: Call back for queue support. Dialling the customer."]
        seat.prompt_finished()
        await h.until(lambda: h.trunks.dialled, "the customer dialled")
        customer, how = h.trunks.dialled[0]
        assert how == {"number": "13812345678", "caller_id": None, "route_hint": "demo"}
        customer.far_answers()
        await h.until(lambda: customer.playing, "intro to the customer")
        customer.prompt_finished()
        await h.until(lambda: h.pool.bridged, "bridged")
        h.advance(60)
        seat.far_hangs_up()
        await h.until(lambda: not h.ctx.tasks, "callback finished")
        cdrs = {c.outcome: c for c in await h.cdrs()}
        state = await h.store.voicemail.callbacks(None)
        later.far_hangs_up()
        await h.finished(1)
    back = cdrs[f"callback:{rec.id}"]
    assert (back.direction, back.dialed_number, back.agent, back.disposition) == (
        "out", "+8613812345678", "201", "answered")
    assert back.talk_s == 60.0 and back.wait_s == 120.0       # waited from its first join
    assert [(c.call_id, c.state, c.attempts) for c in state] == [(rec.id, "done", 1)]
    offers = [(e.data["caller"], e.data["callback"]) for e in h.events if e.kind == "call.offered"]
    assert offers == [("13812345678", True), ("5559999", False)]   # the callback first


async def test_no_answer_is_retried_then_given_up(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=offer_after_20s) as h:
        _, rec = await requested(h)
        h.seat_registered("201")
        for attempt in (1, 2):
            seat = await h.dialled_leg(attempt)
            seat.far_answers()
            await h.until(lambda: h.heard(seat), "whisper")
            seat.prompt_finished()
            await h.until(lambda: len(h.trunks.dialled) == attempt, "customer dialled")
            h.advance(40)                                      # nobody answers
            await h.until(lambda: seat.ended.done(), "agent released")
            if attempt == 1:
                await h.until(lambda: any(e.kind == "queue.callback_retry" for e in h.events),
                              "the attempt stored")
                rows = await h.store.voicemail.callbacks("waiting")
                assert [(r.attempts, r.outcome) for r in rows] == [(1, "no answer")]
                h.advance(60)                                  # the retry delay
        await h.until(lambda: not h.ctx.tasks, "given up")
        state = await h.store.voicemail.callbacks(None)
        cdrs = [c for c in await h.cdrs() if c.outcome.startswith("callback:")]
    assert [(c.state, c.attempts, c.outcome) for c in state] == [("failed", 2, "no answer")]
    assert [c.disposition for c in cdrs] == ["no-agent", "no-agent"]


async def test_a_waiting_callback_is_re_entered_after_a_restart(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=offer_after_20s) as h:
        _, rec = await requested(h)
        await h.ctx.tasks.close()                         # the daemon stops
        h.acd.close()
        h.acd = AcdRunner(h.bus, h.clock)                  # and starts again
        h.acd.configure(await h.store.config.queues(), await h.store.config.seats(),
                        await h.store.inbound.all_queue_rules())
        h.ctx.acd = h.acd
        assert await callback.restore(h.ctx) == 1
        first_in_line = h.acd.engine.snapshot()["calls"][rec.id]
        assert first_in_line["callback"] is True
        assert first_in_line["join"] <= h.clock.now() - 20.0      # its place kept
        h.seat_registered("201")
        seat = await h.dialled_leg(1)
        assert seat.info["caller_id"] == "13812345678"


async def test_a_caller_without_a_number_stays_in_line(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=offer_after_20s) as h:
        caller = h.call(did="200", caller="anonymous")
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
        h.advance(20)
        await h.until(lambda: h.heard(caller)[-1].startswith("en-us: To be called"), "offer")
        caller.press("1")
        await h.until(lambda: h.heard(caller)[-1] == ("en-us: Sorry, we cannot call back this"
                                                      " number."), "refusal")
        caller.prompt_finished()
        h.seat_registered("201")
        seat = await h.dialled_leg(1)                       # still queued, offered normally
        seat.far_answers()
        await h.until(lambda: h.pool.bridged, "bridged")
        caller.far_hangs_up()
        rec = await h.finished()
        promised = await h.store.voicemail.callbacks(None)
    assert rec.disposition == "answered" and promised == []


async def test_a_box_that_cannot_dial_out_promises_no_callback(tmp_path: Path) -> None:
    async def exit_to_callback(store: Store) -> None:
        await store.inbound.put_queue_rules(QueueRules("support", callback_offer_after_s=20,
                                                       exit_key="9", exit_target="callback"))
    async with FlowHarness(tmp_path, configure=exit_to_callback) as h:
        h.ctx.trunks = None                                  # firmware.trunks not wired
        caller = h.call(did="200", caller="13812345678")
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "waiting")
        h.advance(20)
        await h.until(lambda: h.kinds("acd.trace") and any(
            e.data.get("type") == "OfferCallback" for e in h.events if e.kind == "acd.trace"),
            "the engine's offer")
        assert h.heard(caller)[-1] == MOH                     # nothing offered
        caller.press("9")
        await h.until(lambda: h.heard(caller)[-1] == ("en-us: Sorry, we cannot call you back"
                                                      " now. Please stay in line."), "refusal")
        caller.prompt_finished()
        await h.until(lambda: h.heard(caller)[-1] == MOH, "music again")
        caller.far_hangs_up()
        rec = await h.finished()
        promised = await h.store.voicemail.callbacks(None)
    assert rec.disposition == "abandoned" and promised == []

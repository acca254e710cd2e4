"""Where calls end up besides a queue (ManualClock): the post-call survey and its CSAT,
a voicemail that opens a ticket, a forward outside through the trunks, a seat."""
from __future__ import annotations

from pathlib import Path

from firmware.store import Store
from firmware.store.inbound import QueueRules, Route
from firmware.store.voicemail import VoicemailBox
from tests.flows.conftest import FlowHarness
from tests.flows.inbound_fakes import TrunksBusy


async def destinations(store: Store) -> None:
    from firmware.store.surveys import Surveys
    await Surveys(store.db).put("csat", [
        {"text": "Were you satisfied? Press 1 for yes, 2 for so-so, 3 for no.",
         "choices": {"1": "yes", "2": "so-so", "3": "no"}},
        {"text": "Was your problem solved? 1 yes, 2 no.", "choices": {"1": "yes", "2": "no"},
         "scores": {"1": 1, "2": 0}}])
    await store.inbound.put_queue_rules(QueueRules("support", survey="csat"))
    await store.voicemail.put_box(VoicemailBox("sales-vm", ticket_type="inquiry",
                                               language="zh"))
    await store.inbound.put_route(Route("501", "voicemail:sales-vm"))
    await store.inbound.put_route(Route("502", "number:+861088888888"))
    await store.inbound.put_route(Route("503", "seat:202"))


async def test_the_survey_follows_the_agent_hanging_up_and_counts_in_csat(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=destinations) as h:
        h.seat_registered("201")
        results = []
        for keys in (("1", "1"), ("3", "9", "2")):          # 9: not a choice, asked again
            caller = h.call(did="200", caller="13812345678")
            seat = await h.dialled_leg(len(results) + 1)
            seat.far_answers()
            await h.until(lambda: len(h.pool.bridged) == len(results) + 1, "bridged")
            caller.press("3")                                   # while talking: not an answer
            h.advance(30)
            seat.far_hangs_up()
            await h.until(lambda: h.heard(caller)[-1].startswith("en-us: Please rate"), "intro")
            caller.prompt_finished()
            plays = len(h.heard(caller))
            for key in keys:
                await h.until(lambda: len(h.heard(caller)) > plays, "a question")
                plays = len(h.heard(caller))
                assert "Press 1" in h.heard(caller)[-1] or "1 yes" in h.heard(caller)[-1]
                caller.press(key)
            await h.until(lambda: h.heard(caller)[-1:] == ["en-us: Thank you for your feedback."
                                                           " Goodbye."], "thanks")
            caller.prompt_finished()
            rec = await h.finished(len(results))
            results.append(rec)
        csat = await h.crm.surveys.csat("csat", by="agent")
        timeline = await h.crm.screen_pop.lookup("13812345678")
    assert [(r.disposition, r.hangup_by, r.outcome) for r in results] == [
        ("answered", "agent", "survey")] * 2
    assert csat["answers"] == 4 and csat["satisfied"] == 2
    q1, q2 = csat["questions"]
    assert (q1["csat"], q1["mean_score"], q1["by_digit"]) == (0.5, 2.0, {"1": 1, "2": 0, "3": 1})
    assert (q2["csat"], q2["mean_score"]) == (0.5, 0.5)
    assert csat["groups"]["201"]["answers"] == 4
    assert timeline["customer"] is None                         # not a customer: no card


async def test_a_voicemail_opens_a_ticket_and_is_spoken_in_the_box_language(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=destinations) as h:
        caller = h.call(did="501", caller="13812345678")
        await h.until(lambda: caller.playing, "greeting")
        assert h.heard(caller) == ["cmn: 请在提示音后留言，完成后请按井号键。"]
        caller.press("#")                                       # skips the greeting
        await h.until(lambda: h.heard(caller)[-1] == "beep.wav", "beep")
        caller.prompt_finished()
        await h.until(lambda: h.pool.recordings, "recording")
        h.advance(7)
        caller.far_hangs_up()
        rec = await h.finished()
        msgs, _ = await h.store.voicemail.page(10, 0)
        ticket = await h.crm.tickets.get(msgs[0].ticket_id)
    assert (rec.disposition, rec.hangup_by, rec.outcome) == ("no-agent", "caller",
                                                             "voicemail:sales-vm")
    assert msgs[0].seconds == 7.0 and msgs[0].caller_number == "13812345678"
    assert ticket["type"] == "inquiry" and ticket["call_id"] == rec.id
    assert ticket["subject"] == "Voicemail in sales-vm from 138****5678"


async def test_a_forward_outside_is_bridged_or_explained(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=destinations) as h:
        caller = h.call(did="502")
        await h.until(lambda: h.trunks.dialled, "dialled out")
        far, how = h.trunks.dialled[0]
        assert how == {"number": "+861088888888", "caller_id": "5551234", "route_hint": "demo"}
        far.far_answers()
        await h.until(lambda: h.pool.bridged, "bridged")
        h.advance(20)
        far.far_hangs_up()
        rec = await h.finished()
        assert (rec.disposition, rec.talk_s, rec.outcome) == ("answered", 20.0,
                                                              "forwarded:+861088888888")
        h.trunks.error = TrunksBusy("all trunks busy", number="+861088888888", tried=["demo"])
        busy = h.call(did="502")
        await h.until(lambda: h.heard(busy)[-1:] == ["en-us: Sorry, we could not connect your"
                                                     " call. Goodbye."], "explained")
        busy.prompt_finished()
        rec2 = await h.finished(1)
        h.ctx.trunks = None                                     # a build without trunks
        third = h.call(did="502")
        await h.until(lambda: third.playing, "explained")
        third.prompt_finished()
        rec3 = await h.finished(2)
    assert rec2.disposition == "no-agent" and "all trunks busy" in rec2.failure_reason
    assert rec3.failure_reason == "forwarding needs firmware.trunks, which this build lacks"


async def test_a_seat_route_rings_the_seat_and_says_when_nobody_answers(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=destinations) as h:
        caller = h.call(did="503")
        seat = await h.dialled_leg(1)
        assert h.pool.dialled[0][1] == h.ctx.seats.uri("202")
        seat.far_answers()
        await h.until(lambda: h.pool.bridged, "bridged")
        caller.far_hangs_up()
        rec = await h.finished()
        assert (rec.disposition, rec.agent, rec.queue) == ("answered", "202", "")
        assert await h.queue_events(rec.id) == []                 # the ACD was not involved
        second = h.call(did="503")
        leg = await h.dialled_leg(2)
        h.advance(30)
        await h.until(lambda: h.heard(second)[-1:] == ["en-us: Sorry, nobody answered."
                                                       " Goodbye."], "nobody")
        second.prompt_finished()
        rec2 = await h.finished(1)
    assert leg.did("hangup")
    assert (rec2.disposition, rec2.failure_reason) == ("no-agent", "seat 202 did not answer")

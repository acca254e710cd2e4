"""IVR trees on a ManualClock: sub-menus, digit input with a terminator, lookups read
back, call data for routing and the screen pop, language, branches, hours, loops."""
from __future__ import annotations

from pathlib import Path

from firmware.store import Store
from firmware.store.inbound import Prompt, Route
from firmware.store.ivrtree import IvrTree
from firmware.store.schedules import Schedule
from tests.flows.conftest import MOH, FlowHarness

TREE = {
    "start": "main", "language": "en",
    "nodes": {
        "main": {"type": "menu", "prompt": {"text": {"en": "main menu", "zh": "主菜单"}},
                 "options": {"1": "queue:support", "2": "node:ticket", "3": "node:customer",
                             "8": "node:zh", "9": "node:vip", "0": "node:loop"},
                 "invalid": "prompt:invalid", "timeout_s": 4, "retries": 1,
                 "fail": "voicemail:general"},
        "ticket": {"type": "input", "prompt": {"text": "enter your ticket number"},
                   "var": "ticket", "max_digits": 6, "timeout_s": 3, "next": "node:status",
                   "fail": "node:main"},
        "status": {"type": "lookup", "lookup": "ticket", "var": "ticket",
                   "found": "queue:support", "not_found": "node:main"},
        "customer": {"type": "input", "prompt": {"text": "your customer number"},
                     "var": "cust", "next": "node:cust-status"},
        "cust-status": {"type": "lookup", "lookup": "customer", "var": "cust",
                        "found": "queue:support", "not_found": "hangup"},
        "zh": {"type": "set", "language": "zh", "next": "node:main"},
        "vip": {"type": "set", "data": {"segment": "gold"}, "priority": 7,
                "next": "node:route"},
        "route": {"type": "branch", "var": "segment", "cases": {"gold": "node:hours"},
                  "default": "queue:support"},
        "hours": {"type": "hours", "schedule": "always", "open": "queue:sales",
                  "closed": "hangup"},
        "loop": {"type": "play", "prompt": {"text": "round"}, "next": "node:loop"},
    }}


async def tree(store: Store) -> None:
    await store.inbound.put_prompt(Prompt("invalid", texts={"en": "wrong key", "zh": "错误"}))
    await store.inbound.put_schedule(Schedule.from_doc("always", "UTC", {
        "weekly": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                      "sun")}}))
    from firmware.store.voicemail import VoicemailBox
    await store.voicemail.put_box(VoicemailBox("general"))
    await store.inbound.put_ivr_tree(IvrTree.from_doc("deep", TREE))
    await store.inbound.put_route(Route("400", "ivr:deep"))


async def seeded(h: FlowHarness) -> tuple[int, int]:
    """A customer with an open ticket due on 2026-01-15."""
    c = await h.crm.customers.put(await h.crm.customer_from_input(
        {"name": "Wang Fang", "phones": ["13812345678"]}))
    t = await h.crm.tickets.create(type_="repair", subject="no dial tone", actor="admin",
                                   customer_id=c.id)
    await h.store.db.executemany("UPDATE tickets SET due_at = ? WHERE id = ?",
                                 [(1_768_478_400.0, t["id"])], "test")     # 2026-01-15 12:00Z
    return int(c.id), int(t["id"])


async def test_ticket_number_with_terminator_is_read_back_and_feeds_the_screen_pop(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=tree) as h:
        _, ticket = await seeded(h)
        h.seat_registered("201")
        caller = h.call(did="400", caller="5550000")
        await h.until(lambda: caller.playing, "main menu")
        caller.press("2")
        await h.until(lambda: len(h.heard(caller)) == 2, "ticket prompt")
        for key in str(ticket) + "#":
            caller.press(key)
        await h.until(lambda: len(h.heard(caller)) == 3, "status read back")
        said = h.heard(caller)[2]
        assert said.startswith("en-us: Ticket ") and "is new" in said
        assert "It is due on January fifteenth, twenty twenty-six." in said
        caller.prompt_finished()
        await h.dialled_leg(1)
        offer = next(e.data for e in h.events if e.kind == "call.offered")
        assert offer["screen_pop"]["matched_by"] == "ticket_number"
        assert offer["screen_pop"]["customer"]["name"] == "Wang Fang"
        # an agent without numbers.unmasked sees the customer's phone masked
        assert offer["screen_pop"]["customer"]["phones"][0]["number"] == "+86138****5678"
        caller.far_hangs_up()
        rec = await h.finished()
    assert rec.queue == "support"
    inputs = [e.data for e in h.events if e.kind == "ivr.input"]
    assert inputs == [{"call": rec.id, "ivr": "deep", "node": "ticket", "var": "ticket",
                       "digits": len(str(ticket))}]


async def test_customer_lookup_in_chinese_reads_the_open_tickets(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=tree) as h:
        customer, ticket = await seeded(h)
        caller = h.call(did="400")
        await h.until(lambda: caller.playing, "main menu")
        caller.press("8")                                    # 中文
        await h.until(lambda: len(h.heard(caller)) == 2, "main menu in Chinese")
        assert h.heard(caller)[1] == "cmn: 主菜单"
        caller.press("3")
        await h.until(lambda: len(h.heard(caller)) == 3, "customer prompt")
        for key in str(customer) + "#":
            caller.press(key)
        await h.until(lambda: len(h.heard(caller)) == 4, "read back")
        digits = "".join("零一二三四五六七八九"[int(c)] for c in str(ticket))
        assert h.heard(caller)[3].startswith("cmn: 客户")
        assert f"您有一个未完成的工单。工单{digits}的状态是新建。" in h.heard(caller)[3]
        caller.far_hangs_up()
        await h.finished()


async def test_invalid_key_says_so_and_the_fail_target_is_taken_after_the_retries(
        tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=tree) as h:
        caller = h.call(did="400")
        await h.until(lambda: caller.playing, "main menu")
        caller.press("7")
        await h.until(lambda: len(h.heard(caller)) == 2, "invalid")
        assert h.heard(caller) == ["en-us: main menu", "en-us: wrong key"]
        caller.prompt_finished()
        await h.until(lambda: len(h.heard(caller)) == 3, "menu again")
        caller.prompt_finished()
        await h.until(lambda: h.clock.next_deadline() is not None, "digit timer")
        h.advance(4)                                          # silence: retries used up
        await h.until(lambda: len(h.heard(caller)) == 4, "voicemail greeting")
        assert h.heard(caller)[3].startswith("en-us: Please leave a message")
        caller.far_hangs_up()
        rec = await h.finished()
    assert rec.outcome == "voicemail:general"
    assert [e.data["node"] for e in h.events if e.kind == "ivr.failed"] == ["main"]


async def test_set_branch_and_hours_route_with_priority(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=tree) as h:
        caller = h.call(did="400")
        await h.until(lambda: caller.playing, "main menu")
        caller.press("9")
        await h.until(lambda: caller.playing and caller.playing.endswith(MOH), "queued")
        enter = next(e.data for e in h.events if e.kind == "queue.enterqueue")
        assert enter["queue"] == "sales"
        sets = [e.data for e in h.events if e.kind == "ivr.set"]
        assert sets[0]["priority"] == 7 and sets[0]["data"] == ["segment"]
        queued = [e.data for e in h.events if e.kind == "acd.trace"
                  and e.data.get("type") == "CallQueued"]
        assert queued[-1]["priority"] == 7
        caller.far_hangs_up()
        await h.finished()


async def test_a_tree_that_loops_for_ever_is_ended(tmp_path: Path) -> None:
    async with FlowHarness(tmp_path, configure=tree) as h:
        caller = h.call(did="400")
        await h.until(lambda: caller.playing, "main menu")
        caller.press("0")
        for _ in range(80):
            await h.until(lambda: caller.playing or caller.ended.done(), "a round")
            if caller.ended.done():
                break
            caller.prompt_finished()
            await h.until(lambda: not caller.play_done.is_set() or caller.ended.done(),
                          "next round")
        rec = await h.finished()
    assert caller.did("hangup")
    assert rec.failure_reason == "IVR deep ran 60 steps without leaving"

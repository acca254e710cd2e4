"""Ticket life cycle (a state table) and SLA escalation on an injected clock."""
from __future__ import annotations

from pathlib import Path

import pytest

from acd_core.clock import ManualClock
from firmware.crm import tickets as rules
from firmware.crm.escalation import Escalator
from firmware.errors import IllegalTransition
from firmware.events import EventBus
from tests.crm.support import PASSWORD, crm_opened
from tests.store.support import T0, StepClock


def test_every_state_has_a_row_and_every_target_is_a_state() -> None:
    assert set(rules.TRANSITIONS) == set(rules.STATES)
    for row in rules.TRANSITIONS.values():
        assert set(row) <= set(rules.EVENTS) and set(row.values()) <= set(rules.STATES)


def test_illegal_event_names_state_and_allowed_events(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(IllegalTransition) as err:
        rules.transition(17, "new", "start")
    assert "ticket 17: start is not allowed in state new; allowed: assign, resolve, close" \
        in str(err.value)
    with caplog.at_level("INFO", "callbox.crm.tickets"):
        assert rules.transition(17, "new", "assign") == "assigned"
    assert "ticket 17: new -> assigned (assign)" in caplog.text


async def test_life_cycle_logs_every_event(tmp_path: Path) -> None:
    clock = StepClock(T0)
    async with crm_opened(tmp_path, clock) as crm:
        await crm.store.users.put("ann", PASSWORD, "agent")
        t = await crm.tickets.create(type_="repair", subject="no dial tone", actor="ann")
        tid = t["id"]
        for event, kw in (("assign", {"assignee": "ann"}), ("start", {}),
                          ("wait_customer", {}), ("customer_replied", {}), ("resolve", {}),
                          ("close", {})):
            clock.t += 60
            t = await crm.tickets.apply(tid, event, "ann", **kw)
        assert t["state"] == "closed" and t["assignee"] == "ann"
        full = await crm.tickets.get(tid, with_events=True)
        assert [(e["kind"], e["from_state"], e["to_state"]) for e in full["events"]] == [
            ("created", None, "new"), ("assign", "new", "assigned"),
            ("start", "assigned", "in_progress"),
            ("wait_customer", "in_progress", "waiting_customer"),
            ("customer_replied", "waiting_customer", "in_progress"),
            ("resolve", "in_progress", "resolved"), ("close", "resolved", "closed")]
        with pytest.raises(IllegalTransition):
            await crm.tickets.apply(tid, "start", "ann")
        assert (await crm.tickets.get(tid))["state"] == "closed"       # nothing changed


async def test_escalation_agent_to_team_leader_to_supervisor(tmp_path: Path) -> None:
    clock = ManualClock(0.0, wall_at_zero=T0)
    bus = EventBus(clock)
    seen: list[dict] = []
    bus.subscribe("crm.ticket_escalated", lambda e: seen.append(e.data))
    async with crm_opened(tmp_path, clock, bus=bus) as crm:
        users = crm.store.users
        await users.put("sue", PASSWORD, "supervisor")
        await users.put("tom", PASSWORD, "team_leader")
        await crm.access.put_team("floor", leader="sue")
        await crm.access.put_team("team-a", parent="floor", leader="tom")
        await users.put("ann", PASSWORD, "agent", team="team-a")
        await crm.tickets.put_sla("complaint", "high", 3600, 1800)
        t = await crm.tickets.create(type_="complaint", subject="cut off", actor="ann",
                                     priority="high", assignee="ann")
        assert t["team"] == "team-a" and t["due_at"] == T0 + 3600
        esc = crm.escalator
        assert esc is not None
        await esc.start()
        clock.advance(3599)
        await esc.settled()
        assert (await crm.tickets.get(t["id"]))["escalation_level"] == 0
        clock.advance(1)                                      # due: up to the team leader
        await esc.settled()
        assert (await crm.tickets.get(t["id"]))["escalation_level"] == 1
        # waiting for the customer stops the clock for 2 h
        await crm.tickets.apply(t["id"], "start", "ann")
        await crm.tickets.apply(t["id"], "wait_customer", "ann")
        await esc.poke()
        clock.advance(7200)
        await esc.settled()
        assert (await crm.tickets.get(t["id"]))["escalation_level"] == 1
        await crm.tickets.apply(t["id"], "customer_replied", "ann")
        await esc.poke()
        clock.advance(1799)
        await esc.settled()
        assert (await crm.tickets.get(t["id"]))["escalation_level"] == 1
        clock.advance(1)                                      # 1800 s of running clock later
        await esc.settled()
        full = await crm.tickets.get(t["id"], with_events=True)
        assert full["escalation_level"] == 2 and full["next_escalation_at"] is None
        escalations = [e["detail"] for e in full["events"] if e["kind"] == "escalated"]
        assert escalations == [
            {"from_level": 0, "to_level": 1, "to_role": "team_leader", "notify": "tom"},
            {"from_level": 1, "to_level": 2, "to_role": "supervisor", "notify": "sue"}]
        assert [(s["ticket"], s["to_level"]) for s in seen] == [(t["id"], 1), (t["id"], 2)]
        clock.advance(86400)                                  # the top level stays
        await esc.settled()
        assert (await crm.tickets.get(t["id"]))["escalation_level"] == 2
        esc.stop()


async def test_resolved_tickets_do_not_escalate_and_reopen_starts_over(tmp_path: Path) -> None:
    clock = StepClock(T0)
    async with crm_opened(tmp_path, clock) as crm:
        t = await crm.tickets.create(type_="inquiry", subject="hours?", actor="x",
                                     priority="urgent")
        await crm.tickets.apply(t["id"], "resolve", "x")
        clock.t += 10 * 86400
        assert await crm.tickets.escalate_due(clock.t) == []
        t = await crm.tickets.apply(t["id"], "reopen", "x")
        assert t["state"] == "in_progress" and t["due_at"] == clock.t + 3600
        assert [e["to_level"] for e in await crm.tickets.escalate_due(clock.t + 3600)] == [1]

"""The quality KPIs (``firmware.crm.kpis``) on a small hand-worked day.

One agent, 201, serves queue ``support`` (wrap-up 10 s, SL 20 s) from Monday
2026-11-16 09:00 UTC (B). The events are fed to the real ACD engine and its
decisions written to the event log with them, as the daemon's runner does; the
trace's clock is offset from wall time by 1000 s (a monotonic clock) and the report
must undo that. What happens (seconds after B):

    0     201 reachable and logged in                 -> available
    60    c1 queued, offered                          -> ringing
    70    c1 answered (waited 10)                     -> on-call
    190   c1 ends                                     -> wrap-up
    200   wrap-up over                                -> available
    300   c2 queued, offered                          -> ringing
    330   c2 answered (waited 30)                     -> on-call
    390   c2 ends, transferred to 202                 -> wrap-up
    400   wrap-up over                                -> available
    450   201 pauses (lunch)                          -> paused
    500   c3 queued; 540 c3 hangs up (waited 40: an abandon)
    600   c4 queued; 602 c4 hangs up (waited 2: a short abandon, under 5 s)
    1200  201 unpauses                                -> available
    1800  201 logs out                                -> logged-out

Worked by hand:
    abandon rate      = abandoned (not short) / (offered - short) = 1 / (4 - 1) = 0.3333
    avg abandon time  = 40 s / 1 = 40.0 s
    transfer rate     = transferred / handled = 1 / 2 = 0.5
    agent time        on-call 120 + 60 = 180, wrap-up 10 + 10 = 20 (work 200);
                      available 60 + 100 + 50 + 600 = 810, ringing 10 + 30 = 40 (idle 850);
                      paused 750; logged in 0..1800 = 1800
    occupancy         = work / (work + idle) = 200 / 1050 = 0.1905
    utilization       = work / logged in = 200 / 1800 = 0.1111
    adherence         schedule agent-201: Mondays 09:00-09:20 (20 minutes); minutes
                      starting 0, 60, ..., 1140 s; working (available, ringing, on-call,
                      wrap-up) at 0, 60, 120, 180, 240, 300, 360, 420 = 8, paused at the
                      other 12: 8 / 20 = 0.4
    FCR (24 h)        answered calls with a number: c1 (5551001), c2 (5551002); 5551001
                      calls again 20 h later, 5551002 30 h later: 1 of 2 repeated in 24 h
                      -> 0.5; in 48 h both -> 0.0
    CSAT              answers 5, 4, 2 on a 1-5 scale and '#' (not a score): satisfied
                      (4 or 5) 2 of 3 = 0.6667, average (5 + 4 + 2) / 3 = 3.67
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from acd_core import acd
from acd_core.acd import trace
from firmware.crm import kpis
from firmware.store import Store
from firmware.store.access import Access
from firmware.store.schedules import Schedule
from tests.store.support import call, opened

B = 1794819600.0                 # Monday 2026-11-16 09:00 UTC
SKEW = 1000.0                    # wall time - the trace's monotonic clock
END = B + 3600
C1, C2, C3, C4 = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 5))


def _events() -> list[Any]:
    t = lambda s: B - SKEW + s   # noqa: E731  (trace time)
    return [
        acd.AgentReachable(t=t(0), agent="201", reachable=True),
        acd.AgentLoggedIn(t=t(0), agent="201"),
        acd.CallQueued(t=t(60), call=C1, queue="support"),
        acd.OfferAccepted(t=t(70), call=C1, agent="201"),
        acd.CallEnded(t=t(190), call=C1, agent="201"),
        acd.Tick(t=t(200)),
        acd.CallQueued(t=t(300), call=C2, queue="support"),
        acd.OfferAccepted(t=t(330), call=C2, agent="201"),
        acd.CallEnded(t=t(390), call=C2, agent="201", transfer="202"),
        acd.Tick(t=t(400)),
        acd.AgentPaused(t=t(450), agent="201", reason="lunch"),
        acd.CallQueued(t=t(500), call=C3, queue="support"),
        acd.CallAbandoned(t=t(540), call=C3),
        acd.CallQueued(t=t(600), call=C4, queue="support"),
        acd.CallAbandoned(t=t(602), call=C4),
        acd.AgentUnpaused(t=t(1200), agent="201"),
        acd.AgentLoggedOut(t=t(1800), agent="201"),
    ]


async def _write_trace(store: Store) -> None:
    """The engine's trace as the runner writes it: config, then each event and the
    decisions it caused, each row stamped with the wall time it was written."""
    engine = acd.Engine(0)
    q = acd.QueueSpec(name="support", wrapup=10.0, service_level=20.0, ring_timeout=None)
    a = acd.AgentSpec(agent="201", queues={"support": 0})
    rows: list[tuple[float, str]] = []
    for spec in (q, a):
        rows.append((B - 1, json.dumps(trace.record(spec, "config"))))
    engine.add_queue(q)
    engine.add_agent(a)
    for ev in _events():
        wall = ev.t + SKEW
        rows.append((wall, json.dumps(trace.record(ev, "in"))))
        for d in engine.handle(ev):
            rows.append((wall, json.dumps(trace.record(d, "out"))))
    await store.db.executemany("INSERT INTO event_log (ts, kind, data) VALUES (?, 'acd.trace', ?)",
                               rows, "event_log")


async def _write_calls_and_surveys(store: Store) -> None:
    for cid, start, number in ((C1, B + 60, "5551001"), (C2, B + 300, "5551002")):
        await store.cdr.insert(call(start, id=cid, caller_number=number))
    await store.cdr.insert(call(B + 60 + 20 * 3600, caller_number="5551001"))   # a repeat
    await store.cdr.insert(call(B + 300 + 30 * 3600, caller_number="5551002"))  # later one
    db = store.db
    await db.executemany("INSERT INTO surveys (id, name) VALUES (1, 'after-call')", [()],
                         "surveys")
    await db.executemany("INSERT INTO survey_questions (survey_id, position, text, choices)"
                         " VALUES (1, 1, 'How did we do?', ?)",
                         [(json.dumps({str(i): str(i) for i in range(1, 6)}),)], "surveys")
    await db.executemany(
        "INSERT INTO survey_answers (survey_id, position, call_id, digit, answer, ts)"
        " VALUES (1, 1, ?, ?, ?, ?)",
        [(C1, "5", "5", B + 200), (C2, "4", "4", B + 400), (C1, "2", "2", B + 210),
         (C2, "#", "skipped", B + 410)], "survey_answers")


async def test_the_hand_worked_day(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await _write_trace(store)
        await _write_calls_and_surveys(store)
        await store.inbound.put_schedule(Schedule.from_doc(
            "agent-201", "UTC", {"weekly": {"mon": [["09:00", "09:20"]]}}))
        [total] = await kpis.report(store, "total", B, END)
        assert total["key"] == "all"
        assert total["offered"] == 4 and total["abandoned"] == 1
        assert total["abandon_rate"] == pytest.approx(1 / 3, abs=1e-4)
        assert total["average_abandon_s"] == 40.0
        assert (total["handled"], total["transferred"], total["transfer_rate"]) == (2, 1, 0.5)
        assert total["occupancy"] == pytest.approx(200 / 1050, abs=1e-4)
        assert total["utilization"] == pytest.approx(200 / 1800, abs=1e-4)
        assert (total["fcr_calls"], total["repeat_calls"], total["fcr"]) == (2, 1, 0.5)
        assert (total["csat_answers"], total["csat_satisfied"]) == (3, 2)
        assert total["csat"] == pytest.approx(2 / 3, abs=1e-4)
        assert total["csat_average"] == 3.67

        [agent] = await kpis.report(store, "agent", B, END)
        assert agent["agent"] == "201"
        assert (agent["adherence"], agent["adherence_minutes"],
                agent["scheduled_minutes"]) == (0.4, 8, 20)
        assert agent["occupancy"] == pytest.approx(200 / 1050, abs=1e-4)
        assert (agent["handled"], agent["transfer_rate"]) == (2, 0.5)

        [queue] = await kpis.report(store, "queue", B, END)
        assert queue["queue"] == "support" and queue["abandon_rate"] == pytest.approx(
            1 / 3, abs=1e-4)
        assert "occupancy" not in queue                  # agent time is not a queue's

        [longer] = await kpis.report(store, "total", B, END, repeat_h=48)
        assert (longer["repeat_calls"], longer["fcr"]) == (2, 0.0)


async def test_an_agent_without_a_schedule_has_no_adherence_and_bad_input_is_named(
        tmp_path: Path) -> None:
    from firmware.store.db import ValidationError
    async with opened(tmp_path) as store:
        await _write_trace(store)
        [agent] = await kpis.report(store, "agent", B, END)
        assert agent["adherence"] is None and "scheduled_minutes" not in agent
        with pytest.raises(ValidationError, match="by"):
            await kpis.report(store, "day", B, END)
        with pytest.raises(ValidationError, match="until"):
            await kpis.report(store, "total", END, B)
        with pytest.raises(ValidationError, match="repeat_h"):
            await kpis.report(store, "total", B, END, repeat_h=0)


async def test_by_team_adds_up_its_agents_and_an_agent_of_no_team_is_apart(
        tmp_path: Path) -> None:
    """Team ``north`` has the one agent of the day (seat 201, user ann): its row is that
    agent's, to the minute and the call; before ann joins it, 201 counts under '' (no
    team)."""
    keys = ("occupancy", "utilization", "handled", "transferred", "transfer_rate",
            "adherence", "adherence_minutes", "scheduled_minutes", "fcr_calls",
            "repeat_calls", "fcr", "csat_answers", "csat_satisfied", "csat", "csat_average")
    async with opened(tmp_path) as store:
        await _write_trace(store)
        await _write_calls_and_surveys(store)
        await store.inbound.put_schedule(Schedule.from_doc(
            "agent-201", "UTC", {"weekly": {"mon": [["09:00", "09:20"]]}}))
        await store.users.put("ann", "correct horse battery", "agent", seat="201")
        [agent] = await kpis.report(store, "agent", B, END)
        [alone] = await kpis.report(store, "team", B, END)
        assert alone["team"] == "" and {k: alone[k] for k in keys} == {
            k: agent[k] for k in keys}
        await Access(store.db).put_team("north")
        await store.users.put("ann", None, "agent", seat="201", team="north")
        [north] = await kpis.report(store, "team", B, END)
        assert north["team"] == "north"
        assert (north["adherence"], north["adherence_minutes"], north["scheduled_minutes"],
                north["handled"], north["transfer_rate"], north["fcr"]) == (
            0.4, 8, 20, 2, 0.5, 0.5)
        assert north["csat"] == pytest.approx(2 / 3, abs=1e-4)

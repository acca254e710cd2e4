"""The JSON-lines trace: replay gives the same decisions, a restart from the log
restores every state (pause reasons, auto-pause, wrap-up, callbacks), and
``python -m acd_core.acd replay`` prints and checks them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from acd_core import acd
from acd_core.acd import (AgentLoggedIn, AgentPaused, AgentReachable, AgentSpec, CallAbandoned,
                          CallbackRequested, CallEnded, CallQueued, Escalation, Membership,
                          OfferAccepted, OfferDeclined, OfferTimedOut, QueueSpec, Tick, trace)
from acd_core.errors import DecodeError

ROOT = Path(__file__).resolve().parents[3]

QUEUES = (QueueSpec(name="sales", strategy="round-robin", wrapup=10.0, announce_every=30.0,
                    max_wait=300.0, overflow="support", join_empty=("unavailable",)),
          QueueSpec(name="support", strategy="ring-all", skills={"en": 1},
                    escalation=(Escalation(after=0.0, max_penalty=0),
                                Escalation(after=20.0, max_penalty=1, min_level=0))))
AGENTS = (AgentSpec(agent="201", queues={"sales": 0, "support": 0}, skills={"en": 2},
                    max_no_answer=2, retry_delay=3.0),
          AgentSpec(agent="202", queues={"sales": Membership(penalty=0, position=0),
                                         "support": 1}),
          AgentSpec(agent="203", queues={"support": 0}, skills={"en": 1}, wrapup=0.0))

EVENTS = [
    AgentLoggedIn(t=0.0, agent="201"), AgentReachable(t=0.0, agent="201", reachable=True),
    AgentLoggedIn(t=0.0, agent="202", paused="training"),
    AgentReachable(t=0.0, agent="202", reachable=True),
    AgentLoggedIn(t=1.0, agent="203"), AgentReachable(t=1.0, agent="203", reachable=True),
    CallQueued(t=2.0, call="c1", queue="sales"),
    OfferTimedOut(t=5.0, call="c1", agent="201"),
    CallQueued(t=6.0, call="c2", queue="support", priority=1, data={"cli": "+3312345"}),
    OfferAccepted(t=7.0, call="c2", agent="203"),
    Tick(t=9.0),
    OfferDeclined(t=10.0, call="c1", agent="201"),          # second no-answer: auto-pause
    AgentPaused(t=11.0, agent="203", reason="lunch"),
    CallQueued(t=12.0, call="c3", queue="sales"),
    CallbackRequested(t=20.0, call="c3"),
    CallEnded(t=40.0, call="c2", agent="203", hold=5.0),
    CallQueued(t=41.0, call="c4", queue="support", skills={"en": 1}),
    acd.AgentUnpaused(t=45.0, agent="202"),
    OfferAccepted(t=46.0, call="c1", agent="202"),
    CallEnded(t=50.0, call="c1", agent="202", transfer="sales-2nd-line"),
    Tick(t=70.0),                                            # wrap-up ends at 60: callback due
    OfferAccepted(t=72.0, call="c3", agent="202"),
    CallAbandoned(t=73.0, call="c4"),
    CallAbandoned(t=74.0, call="c1"),                        # already over: stale
]


def live_run(mod):
    eng = mod.Engine(seed=3)
    lines = [trace.dumps(r) for r in trace.config_records(3, QUEUES, AGENTS)]
    for q in QUEUES:
        eng.add_queue(q)
    for a in AGENTS:
        eng.add_agent(a)
    for ev in EVENTS:
        lines.append(trace.dumps(trace.record(ev, "in")))
        for d in eng.handle(ev):
            lines.append(trace.dumps(trace.record(d, "out")))
    return eng, lines


def test_replay_reproduces_every_decision(engine_mod):
    eng, lines = live_run(engine_mod)
    recorded = [json.loads(x) for x in lines if json.loads(x)["dir"] == "out"]
    kinds = {r["type"] for r in recorded}
    assert {"Offer", "AgentAutoPaused", "Requeued", "AgentState", "Announce", "CallbackDue",
            "Stale"} <= kinds
    replayed = [json.loads(trace.dumps(trace.record(d, "out")))
                for _, d in trace.replay(lines, engine_mod.Engine)]
    assert replayed == recorded
    assert trace.check(lines, engine_mod.Engine) == []


def test_a_restart_from_the_log_restores_states_and_reasons(engine_mod):
    eng, lines = live_run(engine_mod)
    into: list = []
    for _ in trace.replay(lines, engine_mod.Engine, into=into):
        pass
    restored = into[0]
    assert restored.snapshot() == eng.snapshot()
    snap = restored.snapshot()["agents"]
    assert (snap["201"]["state"], snap["201"]["reason"]) == ("paused", "auto:no-answer")
    assert (snap["202"]["state"], snap["202"]["call"]) == ("on-call", "c3")
    assert (snap["203"]["state"], snap["203"]["reason"]) == ("paused", "lunch")
    assert restored.snapshot()["calls"]["c3"] == {
        "queue": "sales", "state": "connected", "join": 12.0, "priority": 0, "callback": True,
        "agents": ["202"], "position": 0}
    # And the restored engine goes on exactly like the one that never stopped.
    more = [CallQueued(t=80.0, call="c5", queue="sales"), acd.AgentUnpaused(t=81.0, agent="201"),
            acd.AgentUnpaused(t=82.0, agent="203"), CallQueued(t=83.0, call="c6", queue="support"),
            Tick(t=200.0)]
    assert [restored.handle(e) for e in more] == [eng.handle(e) for e in more]


def test_event_log_rows_are_read_and_other_kinds_skipped(engine_mod):
    _, lines = live_run(engine_mod)
    rows = [json.dumps({"seq": i, "ts": 0.0, "kind": "acd.trace", "data": json.loads(x)})
            for i, x in enumerate(lines)]
    rows.insert(3, json.dumps({"seq": 99, "ts": 0.0, "kind": "sip.auth_failed", "data": {}}))
    assert trace.check(rows, engine_mod.Engine) == []


def test_the_daemon_runner_record_shape_is_the_trace_shape():
    # firmware/flows/acd_runner.py writes {"dir", "type"} + dataclasses.asdict(item)
    import dataclasses
    ev = CallQueued(t=1.0, call="c", queue="q", skills={"fr": 2})
    daemon = {"dir": "in", "type": type(ev).__name__, **dataclasses.asdict(ev)}
    assert trace.build(trace.parse(json.dumps(daemon))) == ev


@pytest.mark.parametrize("line, match", [
    ("{not json", "not JSON"),
    ("[1, 2]", "not an object"),
    ('{"dir": "in", "type": "Explode", "t": 1}', "not an ACD trace record"),
    ('{"dir": "in", "type": "Tick"}', "does not fit"),
])
def test_hostile_trace_lines_raise_a_decode_error_naming_the_line(line, match):
    with pytest.raises(DecodeError, match=match) as info:
        list(trace.replay(["", line]))
    assert info.value.line == 2


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "acd_core.acd", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_cli_replay_prints_the_decisions_and_checks_them(tmp_path, engine_mod):
    _, lines = live_run(engine_mod)
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(lines) + "\n")
    done = _cli("replay", str(path))
    assert done.returncode == 0, done.stderr
    printed = [json.loads(x) for x in done.stdout.splitlines()]
    assert printed == [json.loads(x) for x in lines if json.loads(x)["dir"] == "out"]
    assert _cli("replay", str(path), "--check").returncode == 0
    tampered = [x.replace('"agent":"203"', '"agent":"202"', 1) if '"type":"Offer"' in x else x
                for x in lines]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(tampered))
    done = _cli("replay", str(bad), "--check")
    assert done.returncode == 1 and "recorded" in done.stderr
    done = _cli("replay", "-", stdin="garbage\n")
    assert done.returncode == 2 and "line=1" in done.stderr


def test_the_example_in_the_trace_document_replays_as_printed():
    doc = (ROOT / "docs" / "acd-trace.md").read_text()
    block = doc.split("## Trace format", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    assert trace.check(block.splitlines()) == []

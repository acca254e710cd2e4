"""The ACD's JSON-lines trace: configuration, events and decisions, one per line.

Format (docs/acd-trace.md): every line is a JSON object with ``dir`` and
``type`` and the dataclass's fields::

    {"dir": "config", "type": "Engine", "seed": 0}
    {"dir": "config", "type": "QueueSpec", "name": "support", "strategy": "longest-idle", ...}
    {"dir": "config", "type": "AgentSpec", "agent": "201", "queues": {"support": {...}}, ...}
    {"dir": "in", "type": "CallQueued", "t": 1.0, "call": "c1", "queue": "support", ...}
    {"dir": "out", "type": "Offer", "t": 1.0, "call": "c1", "agent": "201", ...}

This is what the daemon's runner publishes as ``acd.trace`` events; rows of the
event log (``{"kind": "acd.trace", "data": {...}}``) are read as well.
``replay`` rebuilds an engine from the config and input lines and yields its
decisions; ``check`` compares them with the recorded output lines.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Iterable, Iterator

from acd_core.errors import DecodeError

from . import model
from ._engine import Engine

_TYPES: dict[str, type] = {cls.__name__: cls for cls in model.EVENTS + model.DECISIONS}
_TYPES.update(QueueSpec=model.QueueSpec, AgentSpec=model.AgentSpec)


def record(item: Any, direction: str) -> dict[str, Any]:
    """The trace line for a spec (``config``), an event (``in``) or a decision (``out``)."""
    rec = {"dir": direction, "type": type(item).__name__}
    rec.update(dataclasses.asdict(item))
    return rec


def config_records(engine_seed: int, queues: Iterable[model.QueueSpec],
                   agents: Iterable[model.AgentSpec]) -> list[dict[str, Any]]:
    return ([{"dir": "config", "type": "Engine", "seed": engine_seed}]
            + [record(q, "config") for q in queues] + [record(a, "config") for a in agents])


def dumps(rec: dict[str, Any]) -> str:
    return json.dumps(rec, separators=(",", ":"), ensure_ascii=False)


def parse(line: str, lineno: int = 0) -> dict[str, Any] | None:
    """One trace line as a record (None for blank lines and other event-log kinds)."""
    line = line.strip()
    if not line:
        return None
    try:
        rec = json.loads(line)
    except ValueError as exc:
        raise DecodeError("trace line is not JSON", line=lineno, offset=exc.args[0]) from None
    if not isinstance(rec, dict):
        raise DecodeError("trace line is not an object", line=lineno)
    if "kind" in rec and "data" in rec:          # an event-log row
        if rec["kind"] != "acd.trace":
            return None
        rec = rec["data"]
    if rec.get("dir") not in ("config", "in", "out") or rec.get("type") not in _TYPES | {
            "Engine": None}:
        raise DecodeError("not an ACD trace record", line=lineno, field="dir/type",
                          got=f"{rec.get('dir')}/{rec.get('type')}")
    return rec


def build(rec: dict[str, Any], lineno: int = 0) -> Any:
    """The spec, event or decision a record describes."""
    cls = _TYPES[rec["type"]]
    fields = {k: v for k, v in rec.items() if k not in ("dir", "type")}
    try:
        return cls(**fields)
    except TypeError as exc:
        raise DecodeError("trace record does not fit its type", line=lineno,
                          field=rec["type"], detail=str(exc)) from None


def read(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in enumerate(lines, 1):
        rec = parse(line, lineno)
        if rec is not None:
            yield lineno, rec


def replay(lines: Iterable[str], engine_cls: type = Engine,
           into: list | None = None) -> Iterator[tuple[int, Any]]:
    """Feeds config and input lines to a fresh ``engine_cls``; yields (line,
    decision). ``into``, when given, receives the engine (to inspect its state)."""
    eng = None
    queues: set[str] = set()
    for lineno, rec in read(lines):
        direction = rec["dir"]
        if direction == "out":
            continue
        if rec["type"] == "Engine":
            if eng is None:
                eng = engine_cls(seed=rec.get("seed", 0))
                if into is not None:
                    into.append(eng)
            continue
        if eng is None:
            eng = engine_cls()
            if into is not None:
                into.append(eng)
        item = build(rec, lineno)
        if direction == "config":
            if rec["type"] != "QueueSpec":
                out = eng.add_agent(item)
            elif item.name in queues:              # a running queue's rules changed
                out = eng.update_queue(item)
            else:
                out = eng.add_queue(item)
                queues.add(item.name)
        else:
            out = eng.handle(item)
        for decision in out:
            yield lineno, decision


def check(lines: list[str], engine_cls: type = Engine) -> list[str]:
    """Differences between the recorded decisions and a replay (empty: identical)."""
    recorded = [rec for _, rec in read(lines) if rec["dir"] == "out"]
    replayed = [record(d, "out") for _, d in replay(lines, engine_cls)]
    problems = []
    for i, (want, got) in enumerate(zip(recorded, replayed)):
        if json.loads(dumps(want)) != json.loads(dumps(got)):
            problems.append(f"decision {i}: recorded {dumps(want)} replayed {dumps(got)}")
            break
    if len(recorded) != len(replayed) and not problems:
        problems.append(f"recorded {len(recorded)} decisions, replay made {len(replayed)}")
    return problems

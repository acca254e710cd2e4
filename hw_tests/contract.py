"""The self-test contract: stages that pass, fail or skip with a sentence for a technician.

A stage is a function of the board returning the detail for "ok (...)"; it raises
:class:`Fail` with what is wrong and what to check, or :class:`Skip` when it cannot
run (part not fitted, prerequisite failed). Unexpected exceptions (a bus error, a
chip that is absent) are failures too, printed with their message, never a crash.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Callable, TextIO

from drivers.board_profile import Board


class Fail(Exception):
    """The part is faulty; the message says what and what to check."""


class Skip(Exception):
    """The stage could not run; the message says why."""


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Board], str]


@dataclass
class StageResult:
    name: str
    status: str          # "pass" | "fail" | "skip"
    detail: str


def run_stages(board: Board, stages: list[Stage], out: TextIO | None) -> list[StageResult]:
    results = []
    total = len(stages)
    for i, stage in enumerate(stages, start=1):
        if out is not None:
            out.write(f"[{i}/{total}] {stage.name} ... ")
            out.flush()
        try:
            detail = stage.run(board)
            result = StageResult(stage.name, "pass", detail)
            line = f"ok ({detail})" if detail else "ok"
        except Skip as exc:
            result = StageResult(stage.name, "skip", str(exc))
            line = f"skip ({exc})"
        except Fail as exc:
            result = StageResult(stage.name, "fail", str(exc))
            line = f"FAIL: {exc}"
        except Exception as exc:  # any driver/bus error is a failed stage with its message
            result = StageResult(stage.name, "fail", str(exc))
            line = f"FAIL: {exc}"
        results.append(result)
        if out is not None:
            out.write(line + "\n")
            out.flush()
    return results


def report(results: list[StageResult], **about: Any) -> dict[str, Any]:
    """The JSON report: ``about`` (profile, config file, injected faults) first."""
    ok = all(r.status != "fail" for r in results)
    return {**about, "result": "pass" if ok else "fail", "stages": [asdict(r) for r in results]}


def to_json(results: list[StageResult], **about: Any) -> str:
    return json.dumps(report(results, **about), indent=2, ensure_ascii=False)

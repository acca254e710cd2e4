"""The self-test contract: stages that pass, fail or skip with a sentence for a technician.

A stage is a function of the board returning the detail for "ok (...)"; it raises
:class:`Fail` with what is wrong and what to check, or :class:`Skip` when it cannot
run (part not fitted, prerequisite failed). Unexpected exceptions (a bus error, a
chip that is absent) are failures too, printed with their message, never a crash.

A stage names the chip its result rests on (``part``, a ``board.faults`` key such
as ``e1_span1``). The board's waits poll every chip, and a chip that stops
answering is recorded there (``chip not answering: ... on SPI ...``) before any
state is derived from its all-ones reads; so a chip lost during a stage fails
that stage with the chip's name and bus, whatever the stage itself concluded
from stale state, and the later stages that ``need`` it skip: one lost chip is
one failure, as one missing chip is.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Callable, TextIO

from drivers.board_profile import Board
from drivers.part_faults import NOT_ANSWERING, is_poll_fault


class Fail(Exception):
    """The part is faulty; the message says what and what to check."""


class Skip(Exception):
    """The stage could not run; the message says why."""


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Board], str]
    part: str | None = None      # the board.faults key of the chip the result rests on
    needs: bool = False          # skip when that chip already failed (not its identity stage)


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
        result = _run_one(board, stage)
        line = {"pass": f"ok ({result.detail})" if result.detail else "ok",
                "skip": f"skip ({result.detail})", "fail": f"FAIL: {result.detail}"}[result.status]
        results.append(result)
        if out is not None:
            out.write(line + "\n")
            out.flush()
    return results


def _run_one(board: Board, stage: Stage) -> StageResult:
    before = board.faults.get(stage.part) if stage.part else None
    if stage.needs and is_poll_fault(before):
        return StageResult(stage.name, "skip", f"needs a chip that failed earlier: {before}")
    try:
        result = StageResult(stage.name, "pass", stage.run(board))
    except Skip as exc:
        result = StageResult(stage.name, "skip", str(exc))
    except Fail as exc:
        result = StageResult(stage.name, "fail", str(exc))
    except Exception as exc:  # any driver/bus error is a failed stage with its message
        result = StageResult(stage.name, "fail", str(exc))
    after = board.faults.get(stage.part) if stage.part else None
    if after is not None and is_poll_fault(after) and after != before:
        # stale registers may have let the stage pass, or failed it for a wrong reason
        advice = ("(it stopped answering during this stage); reseat the card and check its "
                  "supply" if after.startswith(NOT_ANSWERING) else "(during this stage)")
        return StageResult(stage.name, "fail", f"{after} {advice}")
    return result


def report(results: list[StageResult], **about: Any) -> dict[str, Any]:
    """The JSON report: ``about`` (profile, config file, injected faults) first."""
    ok = all(r.status != "fail" for r in results)
    return {**about, "result": "pass" if ok else "fail", "stages": [asdict(r) for r in results]}


def to_json(results: list[StageResult], **about: Any) -> str:
    return json.dumps(report(results, **about), indent=2, ensure_ascii=False)

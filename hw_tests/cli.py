"""``callbox selftest [--json] [--inject FAULT]``: run every stage, print, exit 0 only on pass.

Without ``--profile`` it reads ``[hardware] profile`` (and device paths) from
``--config`` (default ``callbox.toml`` when present), else uses the simulator.
On the simulator time is a ManualClock, so "5 s" of loopback takes well under a
second; ``--inject`` breaks one simulated part first (see ``--list-faults``).
"""
from __future__ import annotations

import argparse
import logging
import sys
import tomllib
from pathlib import Path

from acd_core.clock import ManualClock, SystemClock
from drivers.board_profile import FAULTS, build
from hw_tests.contract import report, run_stages, to_json
from hw_tests.stages import all_stages


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="callbox selftest",
        description="Technician self-test of the board, the E1 span and the analog ports.")
    p.add_argument("--json", action="store_true", help="print only a JSON report")
    p.add_argument("--inject", metavar="FAULT", action="append", default=[],
                   help="simulator only: break a part first (repeatable)")
    p.add_argument("--list-faults", action="store_true", help="list the faults --inject knows")
    p.add_argument("--profile", choices=("sim", "real"),
                   help="hardware profile (default: from config, else sim)")
    p.add_argument("--config", default="callbox.toml", help="callbox.toml to read [hardware] from")
    p.add_argument("--verbose", action="store_true", help="also print the drivers' log lines")
    return p


def _hardware(args: argparse.Namespace) -> tuple[str, dict[str, object]]:
    """Profile and device paths from ``[hardware]`` (every key goes to ``board_profile.build``)."""
    hw: dict[str, object] = {}
    path = Path(args.config)
    if path.is_file():
        with path.open("rb") as fh:
            hw = dict(tomllib.load(fh).get("hardware", {}))
    profile = str(args.profile or hw.get("profile", "sim"))
    hw.pop("profile", None)
    return profile, hw


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_faults:
        for name, text in FAULTS.items():
            print(f"{name:16} {text}")
        return 0
    profile, paths = _hardware(args)
    if args.inject and profile != "sim":
        print("--inject only works with the simulator (--profile sim)", file=sys.stderr)
        return 2
    for fault in args.inject:
        if fault not in FAULTS:
            print(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}", file=sys.stderr)
            return 2
    clock = ManualClock() if profile == "sim" else SystemClock()
    drivers_log = logging.getLogger("drivers")
    saved_level = drivers_log.level
    if not args.verbose:
        drivers_log.setLevel(logging.CRITICAL)   # the stages say what matters to a technician
    board = build(profile, clock, **paths)
    try:
        if board.sim is not None:
            for fault in args.inject:
                board.sim.inject(fault)
        out = None if args.json else sys.stdout
        if out is not None:
            out.write(f"Callbox self-test, hardware profile {profile}"
                      + (f", injected: {', '.join(args.inject)}" if args.inject else "") + "\n")
        results = run_stages(board, all_stages(board), out)
    finally:
        board.close()
        drivers_log.setLevel(saved_level)
    rep = report(results)
    if args.json:
        print(to_json(results))
    else:
        failed = [r.name for r in results if r.status == "fail"]
        print("RESULT: PASS" if not failed else f"RESULT: FAIL ({', '.join(failed)})")
    return 0 if rep["result"] == "pass" else 1

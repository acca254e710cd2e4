"""``callbox selftest [--json] [--inject FAULT]``: run every stage, print, exit 0 only on pass.

The config is read and checked exactly as ``callbox run`` does
(``firmware.config.load``): ``--config PATH`` must exist; without it
``./callbox.toml`` is used when present, else the embedded defaults (the
simulator). A bad file is one line naming the file, the key or the TOML line,
and exit status 2, before any hardware is touched. ``--profile`` overrides
``[hardware] profile``. On the simulator time is a ManualClock, so "5 s" of
loopback takes well under a second; ``--inject`` breaks one simulated part
first (see ``--list-faults``). The simulated D-channel socket is not opened.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from acd_core.clock import ManualClock, SystemClock
from acd_core.errors import CallboxError
from drivers.board_profile import FAULTS, build
from drivers.card import check_settings
from firmware import config as config_mod
from hw_tests.contract import report, run_stages, to_json
from hw_tests.stages import all_stages

DEFAULT_CONFIG = Path("callbox.toml")


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
    p.add_argument("--config", metavar="PATH",
                   help="callbox.toml to test with (default: ./callbox.toml if present)")
    p.add_argument("--verbose", action="store_true", help="also print the drivers' log lines")
    return p


def _config(args: argparse.Namespace) -> tuple[config_mod.Config, str]:
    """The checked config and where it came from (for the report)."""
    if args.config is not None:
        return config_mod.load(Path(args.config)), str(Path(args.config))
    if DEFAULT_CONFIG.exists():
        return config_mod.load(DEFAULT_CONFIG), str(DEFAULT_CONFIG)
    return config_mod.load(None), "embedded defaults"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_faults:
        for name, text in FAULTS.items():
            print(f"{name:16} {text}")
        return 0
    try:
        cfg, source = _config(args)
    except CallboxError as exc:
        print(f"callbox selftest: bad configuration: {exc}", file=sys.stderr)
        return 2
    profile = args.profile or cfg.hardware.profile
    paths = cfg.board_kwargs()
    paths.pop("dchannel_socket", None)          # a self-test does not serve a D-channel peer
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
        # the timeslots against the board built (what Card does at start): with --profile
        # the config was checked for another profile's ports
        check_settings(board, cfg.card_settings())
    except CallboxError as exc:
        board.close()
        drivers_log.setLevel(saved_level)
        print(f"callbox selftest: bad configuration: {exc}", file=sys.stderr)
        return 2
    try:
        if board.sim is not None:
            for fault in args.inject:
                board.sim.inject(fault)
        out = None if args.json else sys.stdout
        if out is not None:
            out.write(f"Callbox self-test, hardware profile {profile}, config {source}"
                      + (f", injected: {', '.join(args.inject)}" if args.inject else "") + "\n")
        results = run_stages(board, all_stages(board, cfg.card_settings()), out)
    finally:
        board.close()
        drivers_log.setLevel(saved_level)
    about = {"profile": profile, "config": source, "injected": list(args.inject)}
    rep = report(results, **about)
    if args.json:
        print(to_json(results, **about))
    else:
        failed = [r.name for r in results if r.status == "fail"]
        print("RESULT: PASS" if not failed else f"RESULT: FAIL ({', '.join(failed)})")
    return 0 if rep["result"] == "pass" else 1

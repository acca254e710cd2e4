"""A thousand short calls through the whole box: nothing it holds may grow with them.

The box (``[demo] seats = 20``) takes 1,000 calls at 5 calls/s from one sipp UAC;
each goes through the IVR, waits in ``support``, is bridged to a seat (one sipp
UAS), recorded, and hung up by the caller after 2 s. Every 100 finished calls
(counted by CDRs) the daemon's open files, threads and resident memory are
sampled, with the process count and summed PSS of its whole tree. Reported in
``extra_info["samples"]``; the test fails if file descriptors or threads grow
between the 200th and the last call beyond what more media nodes
explain (a leak grows with calls; the first 100
include the pool's own growth) or if the daemon's memory grows by more than
16 MiB over that stretch (the last outside check saw +2.3 MB, flattening).
``make bench`` only: a run takes about four minutes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.appliance import Appliance
from tests.support.load import footprint, place_calls, process_tree, pss_kib, \
    register_seats, start_seats
from tests.support.net import wait_for

pytestmark = pytest.mark.network

CALLS = 1000
RATE = 5.0
HOLD_S = 2.0
SEATS = 20
EVERY = 100


def _cdrs(box: Appliance) -> int:
    return int(box.query("SELECT COUNT(*) FROM cdr")[0][0])


def soak(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "box").mkdir(parents=True, exist_ok=True)
    box = Appliance(tmp_path / "box", nodes_min=1, nodes_max=SEATS,
                    extra=f"[demo]\nseats = {SEATS}\n")
    box.start(timeout=120)
    duration = CALLS / RATE + HOLD_S + 60
    phones = start_seats(tmp_path / "seats", duration, SEATS)
    samples: list[dict[str, int]] = []
    try:
        failed = register_seats(tmp_path, box.sip_port, box.credentials(), phones.port)
        assert not failed, f"seats not registered: {failed}"
        assert box.proc is not None
        daemon = box.proc.pid
        callers = place_calls(tmp_path / "callers", box.sip_port, "100", CALLS, RATE, HOLD_S)
        for mark in range(EVERY, CALLS + 1, EVERY):
            wait_for(lambda: _cdrs(box) >= mark, 120, f"{mark} CDRs", interval=0.5)
            fp = footprint(daemon)
            tree = process_tree(daemon)
            samples.append({"calls": mark, "fds": fp.fds, "threads": fp.threads,
                            "rss_kib": fp.rss_kib, "processes": len(tree),
                            "tree_pss_kib": sum(pss_kib(p) for p in tree)})
        result = callers.wait(120)
        answered = int(box.query(
            "SELECT COUNT(*) FROM cdr WHERE disposition = 'answered'")[0][0])
    finally:
        phones.stop()
        box.stop()
    return {**result, "cdr_answered": answered, "samples": samples}


def test_a_thousand_calls_leave_no_trace(benchmark, tmp_path: Path) -> None:
    if benchmark.disabled:
        benchmark(lambda: None)
        pytest.skip("a four-minute soak; make bench runs it")
    figures = benchmark.pedantic(soak, args=(tmp_path,), rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    assert figures["calls_ok"] == CALLS and figures["cdr_answered"] == CALLS, figures
    base, last = figures["samples"][1], figures["samples"][-1]
    # each media node is a few descriptors of the daemon's (control socket, pipes)
    nodes_grew = max(0, last["processes"] - base["processes"])
    assert last["fds"] - base["fds"] <= 4 * nodes_grew, figures["samples"]
    assert last["threads"] <= base["threads"], figures["samples"]
    assert last["rss_kib"] - base["rss_kib"] <= 16 * 1024, figures["samples"]

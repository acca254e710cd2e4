"""Thirty conversations at a time for five minutes: calls keep working and nothing grows.

The box (``[demo] seats = 30``) takes a steady stream of callers through DID 100
-> IVR "1" -> ``support`` -> a seat, each recorded and held 60 s, at 0.5 calls/s,
so about 30 conversations run at once after the first minute; 150 calls in all,
five minutes of traffic. Every 30 s, the daemon's open files, threads and RSS, and
the same summed over the media nodes (their count too) are sampled. Reported in
``extra_info``; the test fails on a failed call, a missing CDR, or daemon file
descriptors or threads that grow between the first sample after warm-up (90 s)
and the last, beyond what more media nodes explain. ``make bench`` only.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.appliance import Appliance
from tests.support.load import footprint, place_calls, process_tree, register_seats, \
    start_seats
from tests.support.net import wait_for

pytestmark = pytest.mark.network

SEATS = 30
RATE = 0.5
HOLD_S = 60.0
CALLS = 150
EVERY_S = 30.0
WARM_S = 90.0
EDGE_WORKERS = 8                    # Kamailio's `children` (firmware/sipedge/render.py)


def _nodes(daemon: int) -> list[int]:
    out = []
    for pid in process_tree(daemon):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"firmware.media.node" in cmd:
            out.append(pid)
    return out


def _sample(daemon: int, t: float) -> dict[str, Any]:
    fp = footprint(daemon)
    nodes = []
    for pid in _nodes(daemon):
        try:
            nodes.append(footprint(pid))
        except OSError:
            continue                        # a node retired between the two reads
    return {"t": round(t), "fds": fp.fds, "threads": fp.threads, "rss_kib": fp.rss_kib,
            "nodes": len(nodes), "node_fds": sum(n.fds for n in nodes),
            "node_threads": sum(n.threads for n in nodes),
            "node_rss_kib": sum(n.rss_kib for n in nodes)}


def sustained(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "box").mkdir(parents=True, exist_ok=True)
    box = Appliance(tmp_path / "box", nodes_min=1, nodes_max=SEATS,
                    extra=f"[demo]\nseats = {SEATS}\n")
    box.start(timeout=120)
    traffic_s = CALLS / RATE + HOLD_S
    phones = start_seats(tmp_path / "seats", traffic_s + 60, SEATS)
    samples: list[dict[str, Any]] = []
    try:
        failed = register_seats(tmp_path, box.sip_port, box.credentials(), phones.port)
        assert not failed, f"seats not registered: {failed}"
        assert box.proc is not None
        daemon = box.proc.pid
        callers = place_calls(tmp_path / "callers", box.sip_port, "100", CALLS, RATE, HOLD_S)
        t0 = time.monotonic()
        while callers.proc.poll() is None and time.monotonic() - t0 < traffic_s + 120:
            time.sleep(EVERY_S)
            samples.append(_sample(daemon, time.monotonic() - t0))
        result = callers.wait(120)
        wait_for(lambda: box.query("SELECT COUNT(*) FROM cdr")[0][0] >= result["calls_ok"], 60,
                 "a CDR for every call")
        answered = int(box.query(
            "SELECT COUNT(*) FROM cdr WHERE disposition = 'answered'")[0][0])
        recorded = int(box.query(
            "SELECT COUNT(*) FROM cdr WHERE recording != ''")[0][0])
    finally:
        phones.stop()
        box.stop()
    return {**result, "cdr_answered": answered, "recorded": recorded, "samples": samples}


@pytest.mark.timeout(900)
def test_thirty_conversations_for_five_minutes(benchmark, tmp_path: Path) -> None:
    if benchmark.disabled:
        benchmark(lambda: None)
        pytest.skip("a six-minute load run; make bench runs it")
    figures = benchmark.pedantic(sustained, args=(tmp_path,), rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    assert figures["calls_ok"] == CALLS and figures["calls_failed"] == 0, figures
    assert figures["cdr_answered"] == CALLS and figures["recorded"] == CALLS, figures
    steady = [s for s in figures["samples"] if s["t"] >= WARM_S and s["t"] <= CALLS / RATE]
    assert len(steady) >= 3, figures["samples"]
    base, last = steady[0], steady[-1]
    grew = max(0, last["nodes"] - base["nodes"])
    # Each of Kamailio's SIP workers opens its own kept-alive placement connection
    # to the daemon the first time it handles an INVITE, so up to that many sockets
    # appear while traffic spreads over the workers; beyond that, fds must not grow.
    assert last["fds"] - base["fds"] <= 4 * grew + EDGE_WORKERS, steady
    assert last["threads"] <= base["threads"], steady

"""Legitimate calls through the edge with and without an INVITE flood: the flood's cost.

Two runs on one Kamailio edge (real, with a sipp UAS as the media node): the
reference run places 100 calls at 5/s from a trunk's address; the flood run
places the same 100 while one address inside the trunk's network and one
stranger each send 200 INVITE/s for the whole 20 s. Reported: calls completed in
each run, the 95th percentile of call set-up time (INVITE to 200, sipp's own
response-time measure) and its ratio flood / reference, how many flood INVITEs
reached the node and how many the edge answered. ``make bench`` only (about a
minute); ``make test`` has the 2-second version (tests/sipedge/test_security.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from firmware.sipedge import ha1
from tests.sipedge.peers import Peers, run, running_edge

pytestmark = pytest.mark.network

CALLS = 100
RATE = 5
FLOOD_RATE = 200
TRUNK_NET = "127.0.0.0/25"
LEGIT = "127.0.0.2"
FLOODERS = ("127.0.0.66", "127.0.0.200")     # inside the trunk's network, a stranger


def _p95(path: Path) -> float:
    """95th percentile of sipp's response times (``-trace_rtt`` CSV, milliseconds)."""
    times = sorted(float(row.split(";")[1]) for row in path.read_text().splitlines()[1:]
                   if row.count(";") >= 2)
    assert times, f"no response times in {path}"
    return times[min(len(times) - 1, int(0.95 * len(times)))]


async def _run(tmp_path: Path, flood: bool) -> dict[str, Any]:
    async with running_edge(tmp_path / "var") as e, Peers(tmp_path) as peers:
        await e.edge.set_seats({"201": ha1("201", "callbox", "x")})
        await e.edge.set_trunk_sources([(TRUNK_NET, "demo")])
        node = await peers.sipp("node", "uas_answer.xml", None, port=e.node_port(0),
                                calls=None, lifetime="150s").start()
        e.placer.nodes = [node.port]
        legit = await peers.sipp("legit", "uac_call.xml", e.remote, ip=LEGIT, calls=CALLS,
                                 lifetime="120s",
                                 args=["-s", "100", "-r", str(RATE), "-l", str(CALLS),
                                       "-trace_rtt", "-rtt_freq", "1"]).start()
        floods = []
        if flood:
            for ip in FLOODERS:
                floods.append(await peers.sipp(
                    f"flood-{ip}", "invite_flood.xml", e.remote, ip=ip, lifetime="120s",
                    calls=FLOOD_RATE * CALLS // RATE,
                    args=["-s", "100", "-r", str(FLOOD_RATE)]).start())
        code = await legit.wait(120)
        for f in floods:
            await f.wait(120)
        await node.stop()
        relayed = len([m for m in node.received("INVITE") if "sip:flood@" in m])
        [rtt] = list(tmp_path.glob("uac_call_*_rtt.csv"))
        answered_flooders = sum(len([m for m in f.received() if m.startswith("SIP/2.0")])
                                for f in floods)
        return {"calls_ok": CALLS if code == 0 else _successes(legit.log),
                "p95_setup_ms": _p95(rtt), "flood_invites_at_node": relayed,
                "answers_to_flooders": answered_flooders,
                "bans": sorted(b["ip"] for b in e.events_of("security.banned"))}


def _successes(log: Path) -> int:
    for line in log.read_text(errors="replace").splitlines():
        if "Successful call" in line:
            return int(line.split("|")[2].split()[0])
    return 0


def test_legitimate_calls_under_an_invite_flood(benchmark: Any, tmp_path: Path) -> None:
    if benchmark.disabled:
        benchmark(lambda: None)
        pytest.skip("a one-minute flood; make bench runs it")

    def both() -> dict[str, Any]:
        reference = run(_run(tmp_path / "reference", flood=False), timeout=180)
        flooded = run(_run(tmp_path / "flood", flood=True), timeout=180)
        return {"reference": reference, "flood": flooded,
                "p95_setup_ratio_flood_over_reference":
                    round(flooded["p95_setup_ms"] / max(reference["p95_setup_ms"], 0.001), 2)}
    figures = benchmark.pedantic(both, rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    assert figures["reference"]["calls_ok"] == CALLS
    assert figures["flood"]["calls_ok"] == CALLS, figures
    assert figures["flood"]["bans"] == sorted(FLOODERS)
    assert figures["flood"]["flood_invites_at_node"] <= 40

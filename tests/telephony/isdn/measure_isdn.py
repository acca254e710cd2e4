"""Call set-ups per second: our stack against itself, libpri against itself, and the
two against each other, all in this one process (run by hand; figures in docs/isdn.md).

    .venv/bin/python -m tests.telephony.isdn.measure_isdn [calls]

One call = SETUP, CALL PROCEEDING, ALERTING, CONNECT, CONNECT ACKNOWLEDGE,
DISCONNECT, RELEASE, RELEASE COMPLETE with the Q.921 acknowledgements between.
Ours-vs-ours runs on a ManualClock with frames handed over in memory; the
libpri pairs run over a SOCK_SEQPACKET pair, as in the interop tests.
"""
from __future__ import annotations

import select
import socket
import sys
import tempfile
import time
from pathlib import Path

from acd_core.clock import ManualClock
from firmware.telephony.isdn import IncomingCall, Q921Link, Q931, Released
from tests.support.libpri import PRI_CPE, PRI_NETWORK, Pri
from tests.telephony.isdn.bench import Bench


def ours_vs_ours(calls: int) -> tuple[float, int]:
    clock = ManualClock()
    qa: list[bytes] = []
    qb: list[bytes] = []
    la = Q921Link("user", clock, qa.append)
    lb = Q921Link("network", clock, qb.append)
    ea: list[object] = []
    eb: list[object] = []
    a = Q931("user", la, clock, ea.append)
    b = Q931("network", lb, clock, eb.append)
    frames = 0

    def pump() -> None:
        nonlocal frames
        while qa or qb:
            while qa:
                frames += 1
                lb.receive(qa.pop(0))
            while qb:
                frames += 1
                la.receive(qb.pop(0))
    a.start()
    pump()
    t0 = time.perf_counter()
    for _ in range(calls):
        call = b.place_call("4001", "5551234")
        pump()
        inc = [e for e in ea if isinstance(e, IncomingCall)][-1].call
        inc.proceeding()
        inc.alerting()
        inc.answer()
        pump()
        call.hangup()
        pump()
    return time.perf_counter() - t0, frames


def _pump_pris(pris: list[Pri], until) -> None:
    socks = {p.sock: p for p in pris}
    while not until():
        ready, _, _ = select.select(list(socks), [], [], 0.5)
        if not ready:
            raise RuntimeError("libpri pair stalled")
        for s in ready:
            socks[s].check_event()


def libpri_vs_libpri(calls: int) -> tuple[float, int]:
    s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    net, cpe = Pri(s1, PRI_NETWORK), Pri(s2, PRI_CPE)
    _pump_pris([net, cpe], lambda: any(e.kind == "DCHAN_UP" for e in cpe.events)
               and any(e.kind == "DCHAN_UP" for e in net.events))
    t0 = time.perf_counter()
    for n in range(calls):
        call = net.call("4001", "5551234", channel=1)
        _pump_pris([net, cpe], lambda: len([e for e in cpe.events if e.kind == "RING"]) > n)
        ring = [e for e in cpe.events if e.kind == "RING"][-1]
        cpe.proceeding(ring.call, ring.channel)
        cpe.alerting(ring.call, ring.channel)
        cpe.answer(ring.call, ring.channel)
        _pump_pris([net, cpe], lambda: len([e for e in net.events if e.kind == "ANSWER"]) > n)
        net.hangup(call, 16)
        _pump_pris([net, cpe], lambda: len([e for e in cpe.events
                                            if e.kind == "HANGUP_ACK"]) > n)
    elapsed = time.perf_counter() - t0
    frames = net.frames_in + cpe.frames_in
    net.close()
    cpe.close()
    return elapsed, frames


def ours_vs_libpri(calls: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        b = Bench(Path(tmp), "user", name="measure")
        b.link_up()
        t0 = time.perf_counter()
        for n in range(calls):
            call = b.pri.call("4001", "5551234", channel=1)
            b.run_until("ring", lambda: len(b.our(IncomingCall)) > n)
            inc = b.our(IncomingCall)[-1].call
            inc.proceeding()
            inc.alerting()
            inc.answer()
            b.run_until("answer", lambda: len([e for e in b.pri.events
                                               if e.kind == "ANSWER"]) > n)
            b.pri.hangup(call, 16)
            b.run_until("released", lambda: len(b.our(Released)) > n)
        elapsed = time.perf_counter() - t0
        frames = len(b.wire.frames)
        b.close()
    return elapsed, frames


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rows = [("ours vs ours (in memory)", ours_vs_ours(calls)),
            ("libpri vs libpri (socketpair)", libpri_vs_libpri(calls)),
            ("ours vs libpri (socketpair)", ours_vs_libpri(calls))]
    ref = calls / rows[1][1][0]
    for name, (elapsed, frames) in rows:
        rate = calls / elapsed
        print(f"{name:32s} {rate:8.0f} calls/s {frames / elapsed:9.0f} frames/s "
              f"{rate / ref:6.2f} x libpri")


if __name__ == "__main__":
    main()

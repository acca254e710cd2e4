"""The door and the stack on the daemon's loop clock, in real time, with libopenr2 line-timed.

Everything else runs in lock-step on a manual clock; this one call shows the
same parts keep time on a real asyncio loop (the way the daemon will run them):
the door sends every 20 ms on its own, the peer follows, the call completes.
"""
import asyncio
import time

from drivers.sim.timeslot_door import TimeslotDoor
from firmware.clock import LoopClock
from firmware.telephony.r2 import (ClearedForward, IncomingCall, R2Span, Released, State,
                                   variant)
from tests.support.openr2_harness import PeerProcess
from tests.telephony.r2.conftest import CN_CALLING_REMAP
from tests.telephony.r2.steps import compelled_steps, summary
from tests.telephony.r2.test_libopenr2 import ANI, DNIS


def test_a_call_in_real_time_on_the_loop_clock(tmp_path_factory, openr2_files,
                                               transcript):
    lib, shim = openr2_files
    work = tmp_path_factory.mktemp("r2rt")
    (work / "remap.conf").write_text(CN_CALLING_REMAP)
    pattern = str(work / "e1-ts{ts}.sock")
    v = variant("CN")
    events: list = []

    async def until(what, condition, peer, seconds=10.0):
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"{what} not within {seconds} s"
            peer.poll()
            await asyncio.sleep(0.005)

    async def call() -> None:
        clock = LoopClock()
        door = TimeslotDoor(clock, pattern, timeslots=(1,), idle_abcd=v.abcd("idle"))
        span = R2Span(clock, v, door, events.append, timeslots=(1,), max_dnis=3,
                      transcript=transcript)
        door.handler = span
        door.start()
        peer = PeerProcess(lib, shim, pattern, [1], "CN", work / "peer.log",
                           advanced=str(work / "remap.conf"))
        try:
            await until("line up", lambda: span.state(1) is State.IDLE and
                        span.circuit(1).rx_ab == 0b10, peer)
            await asyncio.sleep(0.1)
            assert peer.command("make_call", ts=1, ani=ANI, dnis=DNIS,
                                category="national_subscriber")["ok"]
            await until("IncomingCall", lambda: any(isinstance(e, IncomingCall) for e in events),
                        peer)
            span.accept(1)
            span.answer(1)
            await until("answered", lambda: bool(peer.find("call_answered", 1)), peer)
            peer.command("disconnect", ts=1)
            await until("released", lambda: any(isinstance(e, Released) for e in events), peer)
        finally:
            peer.close()
            door.close()

    asyncio.run(call())
    offered = next(e for e in events if isinstance(e, IncomingCall))
    assert (offered.dnis, offered.ani) == (DNIS, ANI)
    assert any(isinstance(e, ClearedForward) for e in events)
    steps = compelled_steps(transcript, 1, we_send_first=False)
    assert len(steps) == 18
    print(f"\n  CN in real time, libopenr2 calls us: {summary(steps)}")

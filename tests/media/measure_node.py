"""Measure a media node: call setup time and CPU idle / with two bridged, recorded calls.

Not a test (nothing is asserted); run it inside the private namespace:
``tests/netns-run .venv/bin/python -m tests.media.measure_node``. CPU is the
node process's own utime+stime over a window (machine-wide counters are useless
on a shared VM, docs/reference/test-peers.md#isolation-and-ports).
"""
from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.media.conftest import PoolHarness, make_cfg
from tests.media.peers import UAC, UAS, LoopTap, Sipp
from tests.support.rtp import RtpStream, tone

WINDOW_S = 10.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_share(pid: int, window: float = WINDOW_S) -> float:
    c0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(window)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


async def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="media-measure-"))
    h = PoolHarness(make_cfg(tmp, legs=4))

    async def auto_answer(leg: object) -> None:
        await leg.answer()  # type: ignore[attr-defined]

    h.handler = auto_answer
    await h.pool.start()
    peers: list[Sipp] = []
    try:
        port = h.node_sets[-1][0]
        pid = h.pool.node_pids()[1]
        await asyncio.sleep(2)
        print(f"node idle CPU: {await cpu_share(pid) * 100:.1f} % of one core")
        # Call setup: INVITE sent -> 200 OK received, as sipp's response-time counter sees it.
        setups = []
        for i in range(10):
            c = Sipp(tmp / f"s{i}", f"s{i}", UAC, RtpStream().audio(tone((500.0,), 0.2)).pcap())
            tap = LoopTap({port, c.port})
            c.call(port)
            leg = await h.next_leg()
            await asyncio.wait_for(leg.answered.wait(), 10)
            await leg.hangup()
            c.wait(20)
            c.stop()
            tap.close()
            sent = next(t for t, p in zip(tap.times[port], tap.packets[port])
                        if p.startswith(b"INVITE"))
            ok = next(t for t, p in zip(tap.times[c.port], tap.packets[c.port])
                      if p.startswith(b"SIP/2.0 200") and b"INVITE" in p.split(b"CSeq:")[1][:20])
            setups.append((ok - sent) * 1000)
        print(f"call setup INVITE -> 200 OK on the wire (pool answers on the incoming event): "
              f"median {statistics.median(setups):.1f} ms, max {max(setups):.1f} ms")
        # Two conversations: caller <-> phone bridged and recorded, RTP both ways.
        h.handler = None
        incoming = h.cfg.recordings_dir / ".incoming"
        incoming.mkdir(parents=True)
        for i in range(2):
            phone = Sipp(tmp / f"p{i}", f"p{i}", UAS,
                         RtpStream(ssrc=0x77 + i).audio(tone((1500.0,), 30)).pcap()).answer()
            caller = Sipp(tmp / f"c{i}", f"c{i}", UAC,
                          RtpStream().audio(tone((500.0,), 30)).pcap()).call(port)
            peers += [phone, caller]
            a = await h.next_leg()
            t0 = time.monotonic()
            await a.answer()
            await a.answered.wait()
            b = await h.pool.dial(a, f"sip:phone@127.0.0.1:{phone.port}")
            await b.wait_answered()
            print(f"conversation {i}: answer + dial + agent answer {1000 * (time.monotonic() - t0):.0f} ms")
            await h.pool.bridge(a, b)
            await h.pool.record(a, b, str(incoming / f"c{i}.wav"))
        await asyncio.sleep(1)
        print(f"node CPU, 2 bridged + recorded calls (4 legs, in-band DTMF on every frame): "
              f"{await cpu_share(pid) * 100:.1f} % of one core")
        rss = [l for l in Path(f"/proc/{pid}/status").read_text().splitlines()
               if l.startswith("VmRSS")]
        print(f"node {rss[0]}")
    finally:
        for p in peers:
            p.stop()
        await h.pool.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""Real calls through real media nodes: sipp callers and phones, pjsua2 nodes, the pool.

Each test starts a ``MediaPool`` on random ports in a tmp dir; sipp calls a
node's SIP port directly. Audio is judged by frequency (Goertzel) on what the
loopback interface carried or what the recorder wrote, never by the node's own
account of it. Nothing waits on a fixed sleep: every wait polls a condition
with a deadline.
"""
from __future__ import annotations

import asyncio
import math
import re
import os
import signal
import socket
import struct
import wave
from pathlib import Path

import pytest

from acd_core.clock import ManualClock
from firmware.errors import MediaError
from firmware.timers import TIMERS
from tests.media.conftest import PoolHarness, make_cfg, until
from tests.media.peers import ALAW, UAC, UAC_503, UAS, LoopTap, Sipp
from tests.support.audio import read_wav, tone_share
from tests.support.oracles import audioop
from tests.support.rtp import RtpStream, silence, tone

pytestmark = [pytest.mark.network]

CALLER_HZ = 500.0
PHONE_HZ = 1500.0
PROMPT_HZ = 1000.0


def write_prompt(path: Path, freq: float, seconds: float) -> Path:
    """An 8 kHz mono 16-bit WAV holding one sine (what a node plays to a caller)."""
    n = int(8000 * seconds)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / 8000)))
                               for i in range(n)))
    return path


def share_in(samples: list[int], freq: float) -> float:
    """Energy share of ``freq`` over the loudest two seconds of ``samples``."""
    n = 16000
    best = 0.0
    for off in range(0, max(1, len(samples) - n + 1), 4000):
        best = max(best, tone_share(samples[off:off + n], 8000, freq))
    return best


async def test_sipp_caller_hears_prompt_and_sends_rfc4733_digit(tmp_path: Path) -> None:
    h = PoolHarness(make_cfg(tmp_path))
    await h.pool.start()
    tap = None
    caller = None
    try:
        port = h.node_sets[-1][0]
        prompt = write_prompt(tmp_path / "prompt.wav", PROMPT_HZ, 3.0)
        stream = (RtpStream().audio(tone((CALLER_HZ,), 1.5)).event("5", 0.12)
                  .audio(silence(0.3)).event("#", 0.12).audio(tone((CALLER_HZ,), 3.0)))
        caller = Sipp(tmp_path / "caller", "caller", UAC, stream.pcap(),
                      headers="X-Callbox-Trunk: demo\n      ")
        tap = LoopTap({caller.media_port})
        caller.call(port, did="100")
        leg = await h.next_leg()
        assert leg.info["did"] == "100" and leg.info["trunk"] == "demo"
        assert "5551234" in leg.info["from"] and leg.info["seat"] is None
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await leg.answer()
        await asyncio.wait_for(leg.answered.wait(), 10)
        setup_s = loop.time() - t0
        incoming = str(h.cfg.recordings_dir / ".incoming")
        os.makedirs(incoming)
        rec = f"{incoming}/caller.wav"
        await h.pool.record(leg, None, rec)
        await leg.play(str(prompt))
        digits = [await asyncio.wait_for(leg.digits.get(), 15) for _ in range(2)]
        assert digits == ["5", "#"] and leg.dtmf_sources == ["rfc4733", "rfc4733"]
        await asyncio.wait_for(leg.play_done.wait(), 15)
        seconds = await h.pool.stop_record(rec)
        await leg.hangup()
        code, _reason = await asyncio.wait_for(leg.ended, 10)
        assert code == 200
        assert caller.wait(20) == 0, caller.errors()
        heard = tap.pcma_samples(caller.media_port)
        assert share_in(heard, PROMPT_HZ) > 0.5, "caller did not hear the prompt"
        rate, recorded = read_wav(Path(rec))
        assert rate == 8000 and seconds > 1.0
        assert share_in(recorded, CALLER_HZ) > 0.5, "node did not receive the caller's audio"
        print(f"call setup (answer -> ACK) {setup_s * 1000:.0f} ms")
    finally:
        if tap is not None:
            tap.close()
        if caller is not None:
            caller.stop()
        await h.pool.stop()


async def test_inband_and_rfc4733_digits_from_one_caller(tmp_path: Path) -> None:
    """In-band tones are found by acd_core's detector on the leg's received frames."""
    h = PoolHarness(make_cfg(tmp_path))
    await h.pool.start()
    caller = None
    try:
        node = h.pool.health()["nodes"][0]
        assert node["inband_dtmf"] == "enabled", node
        stream = (RtpStream().audio(silence(1.0)).inband("7", 0.1).audio(silence(0.5))
                  .event("3", 0.12).audio(silence(0.5)).inband("#", 0.1).audio(silence(2.0)))
        caller = Sipp(tmp_path / "caller", "caller", UAC, stream.pcap()).call(h.node_sets[-1][0])
        leg = await h.next_leg()
        await leg.answer()
        await leg.play(str(write_prompt(tmp_path / "moh.wav", PROMPT_HZ, 0.2)), loop=True)
        digits = [await asyncio.wait_for(leg.digits.get(), 15) for _ in range(3)]
        assert not leg.play_done.is_set(), "a looping prompt reported its end"
        await leg.stop_play()
        assert digits == ["7", "3", "#"]
        assert leg.dtmf_sources == ["inband", "rfc4733", "inband"]
        await leg.hangup()
        assert caller.wait(20) == 0, caller.errors()
    finally:
        if caller is not None:
            caller.stop()
        await h.pool.stop()


async def test_one_press_signalled_both_ways_is_one_digit(tmp_path: Path) -> None:
    """A phone that sends RFC 4733 and leaves the tone in the audio pressed one key."""
    h = PoolHarness(make_cfg(tmp_path))
    await h.pool.start()
    caller = None
    try:
        stream = (RtpStream().audio(silence(1.0)).inband("5", 0.1).event("5", 0.1)
                  .audio(silence(1.5)).event("9", 0.1).audio(silence(2.0)))
        caller = Sipp(tmp_path / "caller", "caller", UAC, stream.pcap()).call(h.node_sets[-1][0])
        leg = await h.next_leg()
        await leg.answer()
        assert await asyncio.wait_for(leg.digits.get(), 15) == "5"
        assert await asyncio.wait_for(leg.digits.get(), 15) == "9"
        # one digit each: the 5 by whichever of its two signals is decoded first (the
        # tone starts first, but on a loaded machine the event can be read before the
        # node's detector has heard 40 ms of the tone), the 9 by its event alone
        assert len(leg.dtmf_sources) == 2 and leg.dtmf_sources[1] == "rfc4733"
        assert leg.dtmf_sources[0] in ("inband", "rfc4733")
        await leg.hangup()
        assert caller.wait(20) == 0, caller.errors()
    finally:
        if caller is not None:
            caller.stop()
        await h.pool.stop()


async def test_dial_bridge_record_between_two_sipp_peers(tmp_path: Path) -> None:
    h = PoolHarness(make_cfg(tmp_path))
    await h.pool.start()
    caller = phone = tap = None
    try:
        port = h.node_sets[-1][0]
        caller = Sipp(tmp_path / "caller", "caller", UAC,
                      RtpStream().audio(tone((CALLER_HZ,), 8.0)).pcap())
        phone = Sipp(tmp_path / "phone", "phone", UAS,
                     RtpStream(ssrc=0x5151).audio(tone((PHONE_HZ,), 8.0)).pcap()).answer()
        tap = LoopTap({caller.media_port, phone.media_port})
        caller.call(port)
        a = await h.next_leg()
        await a.answer()
        await asyncio.wait_for(a.answered.wait(), 10)
        b = await h.pool.dial(a, f"sip:phone@127.0.0.1:{phone.port}", caller_id="5551234")
        await b.wait_answered()
        await h.pool.bridge(a, b)
        incoming = h.cfg.recordings_dir / ".incoming"
        incoming.mkdir(parents=True)
        rec = str(incoming / "conv.wav")
        await h.pool.record(a, b, rec)
        await until(lambda: len(tap.packets[phone.media_port]) > 150
                    and len(tap.packets[caller.media_port]) > 150, 20, "bridged audio both ways")
        await asyncio.sleep(0)  # let the recorder catch the latest frames
        seconds = await h.pool.stop_record(rec)
        with wave.open(rec, "rb") as w:   # final: the standard library reads it whole
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
            assert w.getnframes() == int(round(seconds * 8000))
        _, mixed = read_wav(Path(rec))
        assert share_in(mixed, CALLER_HZ) > 0.15 and share_in(mixed, PHONE_HZ) > 0.15, \
            "recording lacks a party"
        assert share_in(tap.pcma_samples(phone.media_port), CALLER_HZ) > 0.5
        assert share_in(tap.pcma_samples(caller.media_port), PHONE_HZ) > 0.5
        await h.pool.unbridge(a, b)
        mark = len(tap.packets[phone.media_port])
        await until(lambda: len(tap.packets[phone.media_port]) > mark + 100, 10, "RTP after unbridge")
        after = [ALAW[x] for rtp in tap.packets[phone.media_port][mark + 10:] for x in rtp[12:]]
        assert max(abs(v) for v in after) < 100, "the phone still hears the caller"
        await b.hangup()
        await a.hangup()
        await asyncio.wait_for(asyncio.gather(a.ended, b.ended), 10)
        assert caller.wait(20) == 0, caller.errors()
        assert phone.wait(20) == 0, phone.errors()
    finally:
        for peer in (caller, phone):
            if peer is not None:
                peer.stop()
        if tap is not None:
            tap.close()
        await h.pool.stop()


async def test_third_conversation_on_a_full_node_gets_503(tmp_path: Path) -> None:
    h = PoolHarness(make_cfg(tmp_path, nodes_max=1))
    await h.pool.start()
    callers: list[Sipp] = []
    try:
        port = h.node_sets[-1][0]
        legs = []
        for i in range(2):
            c = Sipp(tmp_path / f"c{i}", f"c{i}", UAC, RtpStream().audio(silence(2)).pcap())
            callers.append(c.call(port))
            leg = await h.next_leg()
            await leg.answer()
            legs.append(leg)
        assert h.pool.legs_free() == 0
        third = Sipp(tmp_path / "c3", "c3", UAC_503)
        callers.append(third.call(port))
        assert third.wait(30) == 0, third.errors()
        assert h.incoming.empty()
        for leg in legs:
            await leg.hangup()
        await until(lambda: h.pool.legs_free() == 4, 10, "legs released")
        assert [c.wait(20) for c in callers[:2]] == [0, 0]
    finally:
        for c in callers:
            c.stop()
        await h.pool.stop()


async def test_an_invite_flood_from_anyone_but_the_edge_never_reaches_the_node(
        tmp_path: Path) -> None:
    """A node takes SIP from the edge only (a kernel filter on its socket): 500 INVITEs
    from another local port are dropped unseen, the node keeps its two calls, and the
    edge's next call is served. (Unfiltered, such a flood aborts pjlib: every refused
    INVITE holds two sockets for half a second and its I/O queue runs out.)"""
    cfg = make_cfg(tmp_path, nodes_max=1, edge_only=True)
    h = PoolHarness(cfg)
    await h.pool.start()
    edge = Sipp(tmp_path / "edge", "edge", UAC, RtpStream().audio(silence(6)).pcap())
    edge.port = cfg.sip.port                       # calls come from the edge's address
    edge.extra = ["-m", "2", "-l", "2"]
    callers = [edge]
    try:
        port = h.node_sets[-1][0]
        pid = h.pool.node_pids()[1]
        edge.call(port)
        legs = [await h.next_leg(), await h.next_leg()]
        for leg in legs:
            await leg.answer()
            await asyncio.wait_for(leg.answered.wait(), 10)
        flooder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        flooder.bind(("127.0.0.1", 0))
        flooder.settimeout(0.2)
        me = flooder.getsockname()[1]
        for n in range(500):
            flooder.sendto(_invite(n, me, port), ("127.0.0.1", port))
        with pytest.raises(socket.timeout):
            flooder.recv(4096)                     # not even a 100 Trying
        flooder.close()
        await asyncio.sleep(1.0)
        assert h.incoming.empty()
        assert h.pool.node_pids() == {1: pid}      # the node lives
        assert all(not leg.ended.done() for leg in legs)
        for leg in legs:
            await leg.hangup()
        assert edge.wait(20) == 0, edge.errors()
        after = Sipp(tmp_path / "after", "after", UAC, RtpStream().audio(silence(1)).pcap())
        after.port = cfg.sip.port
        callers.append(after.call(port))
        leg = await h.next_leg()
        await leg.answer()
        await leg.hangup()
        assert after.wait(20) == 0, after.errors()
        assert h.pool.health()["nodes"][0]["restarts"] == 0
    finally:
        for c in callers:
            c.stop()
        await h.pool.stop()


def _invite(n: int, src_port: int, dst_port: int) -> bytes:
    return (f"INVITE sip:100@127.0.0.1:{dst_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{src_port};branch=z9hG4bK-flood-{n}\r\n"
            f"From: <sip:666@127.0.0.1:{src_port}>;tag=f{n}\r\n"
            f"To: <sip:100@127.0.0.1:{dst_port}>\r\nCall-ID: flood-{n}@127.0.0.1\r\n"
            f"CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


async def test_killed_node_ends_its_legs_salvages_its_recording_and_is_restarted(tmp_path: Path) -> None:
    h = PoolHarness(make_cfg(tmp_path))
    await h.pool.start()
    callers: list[Sipp] = []
    try:
        port = h.node_sets[-1][0]
        c = Sipp(tmp_path / "c1", "c1", UAC, RtpStream().audio(tone((CALLER_HZ,), 5)).pcap())
        callers.append(c.call(port))
        leg = await h.next_leg()
        await leg.answer()
        await asyncio.wait_for(leg.answered.wait(), 10)
        incoming = h.cfg.recordings_dir / ".incoming"
        incoming.mkdir(parents=True)
        rec = str(incoming / "cut.wav")
        await h.pool.record(leg, None, rec)
        await until(lambda: os.path.getsize(rec) > 4096, 10, "recorded audio on disk")
        pid = h.pool.node_pids()[1]
        os.kill(pid, signal.SIGKILL)
        assert await asyncio.wait_for(leg.ended, 10) == (0, "node_failed")
        seconds = await h.pool.stop_record(rec)   # salvaged: header rewritten from the length
        with wave.open(rec, "rb") as w:
            assert w.getnframes() == int(round(seconds * 8000)) and seconds > 0.2
        with pytest.raises(MediaError):
            await leg.play("/nonexistent.wav")
        await until(lambda: h.pool.node_pids().get(1) not in (None, pid), 20, "node restarted")
        assert h.node_sets[-2:] == [[], [port]]
        health = h.pool.health()
        assert health["nodes"][0]["restarts"] == 1 and health["status"] == "ok"
        assert [e.kind for e in h.events].count("media.node_failed") == 1
        # The restarted node serves the next call on the same port.
        c2 = Sipp(tmp_path / "c2", "c2", UAC, RtpStream().audio(silence(2)).pcap())
        callers.append(c2.call(port))
        leg2 = await h.next_leg()
        await leg2.answer()
        await asyncio.wait_for(leg2.answered.wait(), 10)
        await leg2.hangup()
        assert c2.wait(20) == 0, c2.errors()
    finally:
        for c in callers:
            c.stop()
        await h.pool.stop()


async def test_pool_grows_a_node_when_full(tmp_path: Path) -> None:
    h = PoolHarness(make_cfg(tmp_path, nodes_min=1, nodes_max=2, legs=2))
    await h.pool.start()
    callers: list[Sipp] = []
    try:
        first = h.node_sets[-1]
        assert len(first) == 1
        c = Sipp(tmp_path / "c1", "c1", UAC, RtpStream().audio(silence(2)).pcap())
        callers.append(c.call(first[0]))
        leg = await h.next_leg()
        await until(lambda: len(h.node_sets[-1]) == 2, 20, "a second node")
        second = [p for p in h.node_sets[-1] if p not in first][0]
        c2 = Sipp(tmp_path / "c2", "c2", UAC, RtpStream().audio(silence(2)).pcap())
        callers.append(c2.call(second))
        leg2 = await h.next_leg()
        assert leg2.node == 2 and leg.node == 1
        for lg in (leg, leg2):
            await lg.answer()
            await lg.hangup()
        assert [x.wait(20) for x in callers] == [0, 0]
        assert len(h.pool.health()["nodes"]) == 2
    finally:
        for c in callers:
            c.stop()
        await h.pool.stop()


@pytest.mark.slow
async def test_thirty_conversations_in_a_row_leave_the_node_healthy(tmp_path: Path) -> None:
    """Taps are reused, players and recorders destroyed: no slot leak, no crash
    (docs/reference/pjsua2.md#gotchas).

    Two conversations overlap all the time, so pjsua reuses call ids while older
    Call objects are being released (a late-released Call once hung up its successor).
    """
    h = PoolHarness(make_cfg(tmp_path))
    prompt = write_prompt(tmp_path / "p.wav", PROMPT_HZ, 0.4)
    incoming = h.cfg.recordings_dir / ".incoming"
    incoming.mkdir(parents=True)
    finished: list[float] = []
    hung_up: list[int] = []
    calls = 30

    async def converse(a: object) -> None:
        a = a  # the Leg; kept loose so the handler reads like a flow
        await a.answer()  # type: ignore[attr-defined]
        await a.play(str(prompt))  # type: ignore[attr-defined]
        b = await h.pool.dial(a, f"sip:phone@127.0.0.1:{phone.port}")  # type: ignore[arg-type]
        await b.wait_answered()
        await h.pool.bridge(a, b)  # type: ignore[arg-type]
        rec = str(incoming / f"{a.id}.wav")  # type: ignore[attr-defined]
        await h.pool.record(a, b, rec)  # type: ignore[arg-type]
        await until(lambda: os.path.getsize(rec) > 4000, 10, "recorded audio")
        finished.append(await h.pool.stop_record(rec))
        # The phone leg first: the caller's sipp places its next call as soon as it gets
        # BYE, and a node still holding this conversation's other leg would answer 503.
        await b.hangup()  # type: ignore[attr-defined]
        await asyncio.wait_for(b.ended, 10)  # type: ignore[attr-defined]
        await a.hangup()  # type: ignore[attr-defined]
        await asyncio.wait_for(a.ended, 10)  # type: ignore[attr-defined]
        hung_up.append(1)

    h.handler = converse
    await h.pool.start()
    phone = Sipp(tmp_path / "phone", "phone", UAS, alaw=audioop.lin2alaw(tone((PHONE_HZ,), 1), 2))
    phone.extra = ["-m", str(calls)]
    caller = Sipp(tmp_path / "caller", "caller", UAC, alaw=audioop.lin2alaw(tone((CALLER_HZ,), 1), 2))
    caller.extra = ["-m", str(calls), "-l", "2", "-r", "10"]
    try:
        phone.answer()
        caller.call(h.node_sets[-1][0])
        await until(lambda: len(hung_up) == calls, 120, f"{calls} conversations")
        assert caller.wait(30) == 0, caller.errors()
        assert phone.wait(30) == 0, phone.errors()
        node = h.pool.health()["nodes"][0]
        assert node["restarts"] == 0 and node["state"] == "up"
        await until(lambda: h.pool.legs_free() == 4, 10, "every leg released")
        status = await h.pool._links[1].command("status")
        assert status["legs"] == [] and status["used"] == 0 and status["recordings"] == []
        assert all(s > 0.1 for s in finished)
        assert len(list(incoming.glob("*.wav"))) == calls
    finally:
        caller.stop()
        phone.stop()
        await h.pool.stop()


async def test_idle_extra_node_is_retired_after_the_idle_time(tmp_path: Path) -> None:
    clock = ManualClock()
    idle = TIMERS["media.idle_retire"]
    h = PoolHarness(make_cfg(tmp_path, nodes_min=1, nodes_max=2, legs=2), clock=clock)
    await h.pool.start()
    callers: list[Sipp] = []
    try:
        first = h.node_sets[-1]
        c = Sipp(tmp_path / "c1", "c1", UAC, RtpStream().audio(silence(2)).pcap())
        callers.append(c.call(first[0]))
        leg = await h.next_leg()
        await until(lambda: len(h.node_sets[-1]) == 2, 20, "a second node (spare room)")
        pids = dict(h.pool.node_pids())
        await leg.answer()
        await asyncio.wait_for(leg.answered.wait(), 10)
        clock.advance(idle)                   # node 2 idle, but it is the only spare room
        assert len(h.node_sets[-1]) == 2 and os.path.exists(f"/proc/{pids[2]}")
        await leg.hangup()
        await asyncio.wait_for(leg.ended, 10)
        clock.advance(idle - 1)
        await asyncio.sleep(0)
        assert len(h.node_sets[-1]) == 2, "retired before the idle time was up"
        clock.advance(1)                      # node 1 now keeps the spare room: node 2 goes
        await until(lambda: h.node_sets[-1] == first, 10, "node 2 out of service")
        await until(lambda: len(h.pool.health()["nodes"]) == 1, 10, "node 2 retired")
        assert not os.path.exists(f"/proc/{pids[2]}")
        assert h.pool.node_pids() == {1: pids[1]}
        assert [e.kind for e in h.events].count("media.node_retired") == 1
        assert c.wait(20) == 0, c.errors()
    finally:
        for x in callers:
            x.stop()
        await h.pool.stop()


async def test_node_that_cannot_bind_its_sip_port_fails_start_naming_why(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", cfg.media.sip_port_base))
    h = PoolHarness(cfg)
    try:
        expected = re.escape(f"node 1 (sip port {cfg.media.sip_port_base}): ")
        with pytest.raises(MediaError, match=expected + ".*Address already in use"):
            await h.pool.start()
        assert h.pool.health()["nodes"][0]["state"] == "down"
    finally:
        squatter.close()
        await h.pool.stop()


async def test_bad_control_connections_are_refused_and_the_pool_serves_on(tmp_path: Path) -> None:
    """Whoever can reach the control socket (only root, 0600) still cannot upset the
    pool: garbage, a hello for a node that is not starting, a hello with someone
    else's pid, a JSON array nested 30,000 deep (past the parser's recursion
    limit), an endless line and a thousand connect/close cycles are each refused, and a call still works."""
    h = PoolHarness(make_cfg(tmp_path, nodes_min=1, nodes_max=1, legs=2))
    await h.pool.start()
    caller: Sipp | None = None
    try:
        node_pid = h.pool.health()["nodes"][0]["pid"]
        bad = [b"\x00\xffgarbage\n",
               b'{"event": "hello", "node": 1, "pid": %d}\n' % node_pid,     # already up
               b'{"event": "hello", "node": 1, "pid": 1}\n',                 # wrong pid
               b'{"event": "hello", "node": 7, "pid": %d}\n' % os.getpid(),  # unknown node
               b"[" * 30_000 + b"]" * 30_000 + b"\n",      # deep, inside the line limit
               b"[" * 100_000 + b"\n"]                        # over the line limit
        for line in bad:
            reader, writer = await asyncio.open_unix_connection(h.pool.control_path,
                                                                limit=1 << 20)
            writer.write(line)
            await writer.drain()
            assert await asyncio.wait_for(reader.read(), 10) == b"", line[:40]
            writer.close()
        for _ in range(1000):
            _, writer = await asyncio.open_unix_connection(h.pool.control_path)
            writer.close()
        assert [n["state"] for n in h.pool.health()["nodes"]] == ["up"]
        caller = Sipp(tmp_path / "c", "c", UAC, RtpStream().audio(silence(1)).pcap())
        caller.call(h.node_sets[-1][0])
        leg = await h.next_leg()
        await leg.answer()
        await leg.hangup()
        assert caller.wait(20) == 0
    finally:
        if caller is not None:
            caller.stop()
        await h.pool.stop()

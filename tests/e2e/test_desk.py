"""The agent desk end to end, with the whole box and real phones.

The demo's trunk is one address (``firmware.demo.TRUNK_ADDRESS``, which the sipp
caller binds); the phones use 127.0.0.2, so the edge authenticates them as seats
and their calls (feature codes) reach the desk.

sipp calls DID 100 and picks the support queue, talking 400 Hz; baresip seat
201 (the agent) auto-answers talking 1000 Hz; baresip seat 202 belongs to a
supervisor and, once the call is up, dials the whisper code ``*32201`` talking
2500 Hz. What each party heard is judged by frequency: the agent's own
recording of what it received, the supervisor's, and a tshark capture of the
RTP the box sent the caller. The agent hears the supervisor; the caller never
does.
"""
from __future__ import annotations

import asyncio
import threading
import time
import wave
from pathlib import Path
from typing import Iterator

import pytest

from firmware import config, demo
from firmware.store import Store
from tests.support import sipp
from tests.support.appliance import Appliance
from tests.support.audio import tone_share, windows_with_tone
from tests.support.baresip import BaresipSeat
from tests.support.capture import RtpCapture
from tests.support.net import sipp_media_port, wait_for
from tests.support.rtp import RtpStream, silence, tone

pytestmark = [pytest.mark.network, pytest.mark.slow]

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 400.0, 1000.0, 2500.0


PHONES = "127.0.0.2"


async def _provision(app: Appliance) -> None:
    """The demo and a supervisor whose seat is 202."""
    cfg = config.load(app.config)
    store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)
    try:
        await demo.provision(cfg, store)
        await store.users.put("sue", "sue-supervises-202", "supervisor", "202")
    finally:
        await store.close()


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Appliance]:
    app = Appliance(tmp_path_factory.mktemp("deskbox"), nodes_min=1, nodes_max=2)
    asyncio.run(_provision(app))
    app.start()
    try:
        yield app
    finally:
        code = app.stop()
    assert code == 0, f"appliance did not stop cleanly ({code}):\n{app.log()}"


def _windows(pcm: bytes, freq: float, threshold: float = 0.3) -> int:
    import struct
    samples = list(struct.unpack(f"<{len(pcm) // 2}h", pcm))
    n = 4000
    return sum(1 for off in range(0, len(samples) - n + 1, n)
               if tone_share(samples[off:off + n], 8000, freq) >= threshold)


def test_whisper_by_feature_code_the_agent_hears_the_supervisor_the_caller_does_not(
        box: Appliance, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    creds = box.credentials()
    agent = BaresipSeat(tmp_path / "s201", "201", creds["201"], box.sip_port, tone_hz=AGENT_HZ,
                        seconds=90, address=PHONES).start()
    sup = BaresipSeat(tmp_path / "s202", "202", creds["202"], box.sip_port,
                      tone_hz=SUPERVISOR_HZ, seconds=90, control=True, address=PHONES).start()
    result: list[sipp.SippResult] = []
    try:
        wait_for(lambda: box.registered("201") and box.registered("202"), 30, "seats registered")
        media_port = sipp_media_port()
        stream = (RtpStream().audio(silence(1.0)).event("1", 0.12).audio(silence(1.5))
                  .audio(tone((CALLER_HZ,), 8.0, amplitude=0.2)))
        with RtpCapture(tmp_path / "to-caller.pcap", media_port) as heard_by_caller:
            caller = threading.Thread(target=lambda: result.append(sipp.call(
                tmp_path / "caller", box.sip_port, "100", stream.pcap(), hold_s=10.0,
                media_port=media_port)))
            caller.start()
            wait_for(lambda: box.query("SELECT 1 FROM calls_live WHERE stage = 'connected'"),
                     20, "the caller connected to 201")
            connected = time.monotonic()
            reply = sup.dial("*32201")
            assert reply.get("ok", True), reply
            wait_for(lambda: box.query("SELECT 1 FROM event_log WHERE kind = 'supervisor.whisper'"),
                     15, f"the whisper started\n{sup.log()}\n{box.log()[-6000:]}")
            whisper_after = time.monotonic() - connected
            caller.join(60)
        assert result and result[0].returncode == 0, (result, box.log()[-4000:])
        sup.command("hangup")
        caller_pcm = heard_by_caller.pcma_audio()
        agent_heard = wait_for(lambda: agent.heard_files(), 10, "the agent's recording")[-1]
        sup_heard = wait_for(lambda: sup.heard_files(), 10, "the supervisor's recording")[-1]
        wait_for(lambda: _final(agent_heard) and _final(sup_heard), 10, "recordings closed")
        counts = {
            "agent<-supervisor": windows_with_tone(agent_heard, SUPERVISOR_HZ, threshold=0.15),
            "agent<-caller": windows_with_tone(agent_heard, CALLER_HZ, threshold=0.15),
            "supervisor<-caller": windows_with_tone(sup_heard, CALLER_HZ, threshold=0.15),
            "supervisor<-agent": windows_with_tone(sup_heard, AGENT_HZ, threshold=0.15),
            "caller<-agent": _windows(caller_pcm, AGENT_HZ, 0.3),
            "caller<-supervisor": _windows(caller_pcm, SUPERVISOR_HZ, 0.05),
        }
        print(f"\nwhisper started {whisper_after:.1f} s after connect; 0.5 s windows {counts}")
        assert counts["agent<-supervisor"] >= 4, counts
        assert counts["supervisor<-caller"] >= 4 and counts["supervisor<-agent"] >= 4, counts
        assert counts["caller<-agent"] >= 4, counts
        assert counts["caller<-supervisor"] == 0, counts       # the caller never hears it
        cdr = box.query("SELECT disposition, agent, queue FROM cdr ORDER BY started_at DESC"
                        " LIMIT 1")[0]
        assert (cdr["disposition"], cdr["agent"], cdr["queue"]) == ("answered", "201", "support")
    finally:
        agent.stop()
        sup.stop()


def _final(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() > 0
    except (EOFError, wave.Error):
        return False

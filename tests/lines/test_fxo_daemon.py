"""FXO calls through the whole daemon: the simulated PSTN line rings with caller ID.

The daemon (``App`` with the simulated card) serves the FXO ports as the line
group ``fxo``; the far end is the simulator's exchange model of FXO line 1
(``drivers/sim/fxo_line.py``: ring cadence, FSK caller ID between the rings,
dial tone on seizure, the box's DTMF digits decoded, polarity reversal on
answer and clear); seat 201 is baresip.

1. Inbound: the line rings with caller ID 5551234 "ALICE"; the IVR answers
   (off-hook), the caller keys 1 in-band, queue ``support`` rings seat 201, the
   caller's 400 Hz reaches the seat and the seat's 1000 Hz goes down the line;
   the exchange clears by polarity reversal; the CDR's trunk is ``fxo/1`` and its
   caller the caller ID.
2. Outbound: click-to-call 9-0301234 with a route ``9`` (strip 1) -> ``fxo``:
   the line is seized, the exchange's dial tone heard, 0301234 dialled in DTMF,
   the far end answers (polarity reversal); the seat hangs up and the line goes
   back on-hook; the CDR's trunk is ``fxo``.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drivers.sim.fxo_line import CallerId
from drivers.sim.pcm import sample_at
from firmware import config, demo
from firmware.app import App
from firmware.store import Store
from firmware.store.inbound import Route
from firmware.store.outbound import OutboundRoute
from tests.lines.far_end import DTMF
from tests.sipedge.peers import until
from tests.support.appliance import Appliance
from tests.support.audio import tone_share, windows_with_tone
from tests.support.baresip import BaresipSeat
from tests.support.rtp import tone

pytestmark = [pytest.mark.network, pytest.mark.slow]

CALLER_HZ, SEAT_HZ = 400.0, 1000.0


async def _provision(cfg: config.Config) -> None:
    store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)
    try:
        await demo.provision(cfg, store)
        await store.inbound.put_route(Route("*", "ivr:main", trunk="fxo"))
        await store.outbound.put(OutboundRoute("pstn", "9", ("fxo",), strip=1))
        await store.users.put("ann", "ann-calls-out-201", "agent", "201")
    finally:
        await store.close()


async def _cdrs(app: App, direction: str) -> list[dict[str, object]] | None:
    assert app.store is not None
    rows = await app.store.db.fetchall(
        "SELECT trunk, caller_number, caller_name, dialed_number, agent, queue, disposition"
        " FROM cdr WHERE direction = ? ORDER BY started_at", (direction,))
    return [dict(r) for r in rows] or None


def test_fxo_calls_in_and_out_through_the_daemon(tmp_path: Path) -> None:
    layout = Appliance(tmp_path, nodes_min=1, nodes_max=1,
                       extra="[discovery]\nenabled = false\n")
    cfg = config.load(layout.config)

    async def body() -> None:
        await _provision(cfg)
        app = App(cfg)
        seat = None
        try:
            await app.start()
            assert app.lines is not None and app.lines.fxo is not None
            assert app.api is not None and app.ctx is not None
            board = app.hardware.board
            assert board is not None and board.sim is not None
            line, clock = board.sim.fxo_lines[0], board.clock
            fxo = app.lines.fxo
            health = (await app.health())["components"]
            assert [p["state"] for p in health["hardware"]["fxo"]] == ["idle", "idle"]
            assert [l["state"] for l in health["lines"]["groups"][-1]["lines"]] == [
                "idle", "idle"]
            creds = demo.read_credentials(cfg)
            seat = BaresipSeat(tmp_path / "s201", "201", creds["201"], cfg.sip.port,
                               tone_hz=SEAT_HZ, seconds=150, control=True).start()
            await until(lambda: "201" in app._registered, "seat 201 registered", 30)

            # 1. inbound with caller ID
            line.call(CallerId("5551234", "ALICE"))
            await until(lambda: line.offhook, "the IVR answers (off-hook)", 30)
            await asyncio.sleep(1.0)
            low, high = DTMF["1"]
            line.audio.place(sample_at(clock.now() + 0.05), tone((low, high), 0.12, 0.15),
                             "dtmf")
            await until(lambda: app.ctx.cti.call_of("201"), "the seat's call", 30)
            await asyncio.sleep(1.0)
            start = sample_at(clock.now() + 0.05)
            line.audio.place(start, tone((CALLER_HZ,), 4.0, 0.2), "voice")
            await asyncio.sleep(4.5)
            down_line = line.heard.render(start + 8000, 3 * 8000)
            samples = [int.from_bytes(down_line[i:i + 2], "little", signed=True)
                       for i in range(0, len(down_line), 2)]
            assert tone_share(samples, 8000, SEAT_HZ) > 0.5, tone_share(samples, 8000, SEAT_HZ)
            line.far_end_clears("polarity")
            cdr = await until(lambda: _cdrs(app, "in"), "the inbound CDR", 20)
            assert [(c["trunk"], c["caller_number"], c["caller_name"], c["queue"], c["agent"],
                     c["disposition"]) for c in cdr] == [
                ("fxo/1", "5551234", "ALICE", "support", "201", "answered")]
            heard = seat.heard_files()
            assert heard and max(windows_with_tone(f, CALLER_HZ) for f in heard) >= 4, \
                seat.log()
            await until(lambda: not line.offhook and fxo.lines[1].state == "idle",
                        "line 1 back on-hook", 10)

            # 2. outbound: click-to-call leaves on the first idle FXO line
            ann = await app.ctx.cti.principal_for_seat("201")
            reply = await asyncio.to_thread(app.api.click_to_call, ann, "90301234")
            assert reply["seat"] == "201"
            await until(lambda: "".join(d for _, d in line.dialled) == "0301234",
                        "0301234 dialled on line 1", 30)
            await asyncio.sleep(0.3)
            line.answered_by_far_end()
            await until(lambda: fxo.lines[1].state == "connected", "the far end answered", 10)
            await asyncio.sleep(1.0)
            seat.command("hangup")
            await until(lambda: not line.offhook, "line 1 back on-hook", 15)
            out = await until(lambda: _cdrs(app, "out"), "the outbound CDR", 15)
            assert [(c["trunk"], c["dialed_number"], c["agent"], c["disposition"])
                    for c in out] == [("fxo", "90301234", "201", "answered")]
        finally:
            if seat is not None:
                seat.stop()
            await app.stop()

    asyncio.run(asyncio.wait_for(body(), 240))

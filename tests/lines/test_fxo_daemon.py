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
3. The DAA stops answering during a call (the card's ``fault``): the call is cleared
   with its CDR; the card's ``fault_clear`` makes the line idle again.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drivers.sim.fxo_line import CallerId
from drivers.sim.pcm import sample_at
from firmware.app import App
from firmware.store.inbound import Route
from firmware.store.outbound import OutboundRoute
from tests.lines.conftest import (SEAT_HZ, cdr_rows, daemon_config, provision, running,
                                  until_heard)
from tests.lines.far_end import DTMF
from tests.sipedge.peers import until
from tests.support.audio import pcm16, tone_share, windows_with_tone
from tests.support.rtp import tone

pytestmark = [pytest.mark.network, pytest.mark.slow]

CALLER_HZ = 400.0


async def _cdrs(app: App, direction: str) -> list[dict[str, object]] | None:
    return await cdr_rows(app, "trunk, caller_number, caller_name, dialed_number, agent, queue,"
                          " disposition", "direction = ?", (direction,))


async def _cdr_of(app: App, caller: str) -> dict[str, object] | None:
    rows = await cdr_rows(app, "trunk, caller_name", "caller_number = ?", (caller,))
    return rows[0] if rows else None


def test_fxo_calls_in_and_out_through_the_daemon(tmp_path: Path) -> None:
    cfg = daemon_config(tmp_path)

    async def body() -> None:
        await provision(cfg, routes=[Route("*", "ivr:main", trunk="fxo")],
                        outbound=[OutboundRoute("pstn", "9", ("fxo",), strip=1)])
        async with running(cfg, tmp_path) as daemon:
            app, seat = daemon.app, daemon.seat
            assert app.lines is not None and app.lines.fxo is not None
            assert app.api is not None and app.ctx is not None and seat is not None
            board = app.hardware.board
            assert board is not None and board.sim is not None
            line, clock = board.sim.fxo_lines[0], board.clock
            fxo = app.lines.fxo
            health = (await app.health())["components"]
            assert [p["state"] for p in health["hardware"]["fxo"]] == ["idle", "idle"]
            assert [l["state"] for l in health["lines"]["groups"][-1]["lines"]] == [
                "idle", "idle"]

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
            # the seat's tone down the line: three seconds in a row where it dominates
            # (first look 4 s after the caller's tone started, at most 12 s)
            def last_3_s() -> float:
                now = sample_at(clock.now())
                return round(tone_share(pcm16(line.heard.render(now - 3 * 8000, 3 * 8000)),
                                        8000, SEAT_HZ), 2)
            await asyncio.sleep(max(0.0, (start + 4 * 8000 - sample_at(clock.now())) / 8000))
            await until_heard(last_3_s, lambda share: share > 0.5,
                              "the seat's tone on the line", 8)
            # the caller's 4 s of tone reach the seat whole before the exchange clears
            await asyncio.sleep(max(0.0, (start + int(4.5 * 8000) - sample_at(clock.now()))
                                    / 8000))
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

            # 3. the DAA stops answering during a call (the card's fault): the call is
            #    cleared with its CDR as on a battery loss; reseated, the line is idle again
            await until(lambda: fxo.lines[1].state == "idle", "line 1 idle", 10)
            line.call(CallerId("5557777", "CAROL"))
            await until(lambda: line.offhook, "the IVR answers the third call", 30)
            await asyncio.sleep(0.5)
            spi = board.sim.spi_fxo[0]
            chip, spi.target = spi.target, None
            cut = await until(lambda: _cdr_of(app, "5557777"), "the cut call's CDR", 20)
            assert cut == {"trunk": "fxo/1", "caller_name": "CAROL"}, cut
            assert fxo.lines[1].state == "fault" and 1 not in fxo.calls
            spi.target = chip
            await until(lambda: fxo.lines[1].state == "idle", "line 1 back after the fault", 15)

    asyncio.run(asyncio.wait_for(body(), 240))

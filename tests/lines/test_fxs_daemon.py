"""An analog phone on FXS port 1 as agent seat 203, through the whole daemon.

The daemon (``App`` with the simulated card, Kamailio, a pjsua2 node) runs in this
process with ``[demo] seats = 3`` and ``[analog] fxs_seats = ["203"]``; no SIP
seat registers, so 203 (in queue ``support``) is the only reachable agent. The
phone is the simulator's model (``drivers/sim/fxs_phone.py``: hook switch,
ringer, caller-ID display decoding the FSK it hears, DTMF keypad).

1. Health lists fxs/1 as seat 203, registered and idle; ``SeatDialer.uri`` refuses
   the analog seat with a ``MediaError``.
2. The phone is lifted and keys ``*12`` (log out) then, lifted again, ``*11`` (log in):
   the agent state follows through the same ``codes.carry_out`` as a SIP seat's code.
3. sipp calls DID 100 from the demo trunk, keys 1 (RFC 2833) and talks 400 Hz: the
   queue rings fxs/1, the phone's display shows the caller's number, the handset
   lifted answers; the caller's tone reaches the phone and the phone's 1000 Hz
   reaches the caller over the TDM relay; sipp hangs up, the phone hears busy
   tone and is put down; the CDR's agent is 203.
4. The FXO line rings with caller ID (the demo's route ``*`` from ``fxo`` to the
   same IVR), the caller keys 1 in-band, the phone rings and answers, then is put
   down first: the caller's line is cleared (on-hook) and the CDR's agent is 203.
5. The SLIC stops answering: health shows the seat unregistered in fault until the
   card has it back.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from acd_core.clock import Clock
from acd_core.progress import ProgressDetector
from drivers.sim.fxo_line import CallerId
from drivers.sim.fxs_phone import PhoneSim
from drivers.sim.pcm import sample_at
from firmware.app import App
from firmware.errors import MediaError
from tests.lines.conftest import daemon_config, provision, running, until_heard
from tests.lines.far_end import DTMF
from tests.sipedge.peers import until
from tests.support import sipp
from tests.support.audio import pcm16, shares_per_window
from tests.support.capture import RtpCapture
from tests.support.net import sipp_media_port
from tests.support.rtp import RtpStream, silence, tone

pytestmark = [pytest.mark.network, pytest.mark.slow]

CALLER_HZ, SEAT_HZ = 400.0, 1000.0
EXTRA = '[demo]\nseats = 3\n[analog]\nfxs_seats = ["203"]\n'


def _windows(samples: list[int], freq: float, threshold: float = 0.3) -> int:
    return sum(1 for s in shares_per_window(samples, 8000, freq) if s >= threshold)


def _shares_since(phone: PhoneSim, start: int, clock: Clock, freq: float) -> list[float]:
    """``freq``'s share of each half second the phone heard from sample ``start`` until now."""
    heard = pcm16(phone.heard.render(start, sample_at(clock.now()) - start))
    return [round(s, 2) for s in shares_per_window(heard, 8000, freq)]


def _tones_since(phone: PhoneSim, t: int, clock: Clock) -> set[str] | None:
    """What a progress-tone detector recognises in what the phone heard since sample
    ``t``; None while it recognises nothing yet."""
    heard = phone.heard.render(t, sample_at(clock.now()) - t)
    kinds = {k for _, k in ProgressDetector("eu").process(bytes(heard))}
    return kinds or None


async def _events(app: App, kind: str) -> list[str]:
    assert app.store is not None
    rows = await app.store.db.fetchall(
        "SELECT data FROM event_log WHERE kind = ? ORDER BY seq", (kind,))
    return [str(r["data"]) for r in rows]


async def _cdr_n(app: App, n: int) -> list[dict[str, object]] | None:
    rows = await _cdr(app)
    return rows if rows is not None and len(rows) >= n else None


async def _cdr(app: App) -> list[dict[str, object]] | None:
    assert app.store is not None
    rows = await app.store.db.fetchall(
        "SELECT caller_number, did, queue, agent, disposition FROM cdr"
        " WHERE direction = 'in' ORDER BY started_at")
    return [dict(r) for r in rows] or None


def test_an_fxs_phone_is_an_agent_seat(tmp_path: Path) -> None:
    cfg = daemon_config(tmp_path, EXTRA)

    async def body() -> None:
        await provision(cfg, users=())
        async with running(cfg, tmp_path, seat=False) as daemon:
            app = daemon.app
            assert app.lines is not None and app.lines.fxs is not None and app.ctx is not None
            board = app.hardware.board
            assert board is not None and board.sim is not None
            phone, clock = board.sim.phones[0], board.clock
            port = app.lines.fxs.seats["203"].port

            # 1. health and the SIP-URI refusal
            lines = (await app.health())["components"]["lines"]
            assert [(s["name"], s["seat"], s["registered"], s["state"])
                    for s in lines["seats"]] == [("fxs/1", "203", True, "idle")], lines
            assert [u["name"] for u in lines["not_wired"] if u["name"].startswith("fxs")] == [
                "fxs/2"]
            with pytest.raises(MediaError, match="seat 203 is the analog phone on fxs/1"):
                app.ctx.seats.uri("203")

            # 2. feature codes from the keypad: log out, then log in again
            for code, action in (("*12", "logout"), ("*11", "login")):
                done = len(await _events(app, "agent.feature_code"))
                phone.lift()
                await until(lambda: port.state == "dialtone", "dial tone", 10)
                await asyncio.sleep(0.5)
                phone.dial(code, tone=0.1, gap=0.1)
                got = await until(
                    lambda: _events_after(app, done), f"{code} carried out", 15)
                assert json.loads(got[-1]) == {"seat": "203", "code": code, "action": action}
                phone.hang_up()
                await until(lambda: port.state == "idle", "the phone put down", 10)
                await asyncio.sleep(0.3)

            # 3. a SIP caller through DID 100 -> IVR -> 1 -> support -> the FXS seat
            media_port = sipp_media_port()
            stream = (RtpStream().audio(silence(1.5)).event("1", 0.12).audio(silence(1.0))
                      .audio(tone((CALLER_HZ,), 14.0, amplitude=0.2)))
            with RtpCapture(tmp_path / "to-caller.pcap", media_port) as heard_by_caller:
                caller = asyncio.ensure_future(asyncio.to_thread(
                    sipp.call, tmp_path / "caller", cfg.sip.port, "100", stream.pcap(),
                    hold_s=17.0, media_port=media_port))
                await until(lambda: phone.ringing, "fxs/1 rings", 30)
                seats = (await app.health())["components"]["lines"]["seats"]
                assert seats[0]["state"] == "ringing", seats
                await until(lambda: phone.display, "the caller ID on the phone's display", 10)
                (_, shown), = phone.display
                assert shown.number == "5551234", shown
                phone.lift()
                await until(lambda: app.ctx.cti.call_of("203"), "the seat's call is live", 10)
                seats = (await app.health())["components"]["lines"]["seats"]
                assert seats[0]["state"] == "in call", seats
                await asyncio.sleep(1.0)
                start = sample_at(clock.now() + 0.05)
                phone.audio.place(start, tone((SEAT_HZ,), 6.0, 0.2), "voice")
                # the caller's tone reaches the phone: three seconds of it (six half-second
                # windows) heard since the handset was lifted (first look after 3.5 s, at
                # most 12 s)
                await asyncio.sleep(3.5)
                await until_heard(lambda: _shares_since(phone, start, clock, CALLER_HZ),
                                  lambda shares: sum(s >= 0.3 for s in shares) >= 6,
                                  "the caller's tone at the phone", 8.5)
                result = await asyncio.wait_for(caller, 60)
                assert result.returncode == 0, result.output + result.errors
            to_caller = pcm16(heard_by_caller.pcma_audio())
            assert _windows(to_caller, SEAT_HZ) >= 6, _windows(to_caller, SEAT_HZ)
            # the caller hung up: the phone hears busy tone until it is put down
            await until(lambda: port.state == "busy", "busy tone on the phone", 10)
            t = sample_at(clock.now())
            # the cadence needs two cycles or so; a loaded test machine can starve the
            # tone's writer for a moment, so listen until it is recognised (at most 10 s)
            kinds = await until(lambda: _tones_since(phone, t, clock), "busy tone heard", 10)
            assert kinds == {"busy"}, kinds
            phone.hang_up()
            await until(lambda: port.state == "idle", "the phone put down", 10)
            cdr = await until(lambda: _cdr(app), "the CDR", 20)
            assert [(c["caller_number"], c["did"], c["queue"], c["agent"], c["disposition"])
                    for c in cdr] == [("5551234", "100", "support", "203", "answered")], cdr

            # 4. a caller on the FXO line (the demo routes the line group to the same IVR),
            #    the seat's phone put down first: the caller's line is cleared
            line = board.sim.fxo_lines[0]
            line.call(CallerId("5552222", "BOB"))
            await until(lambda: line.offhook, "the IVR answers the FXO line", 30)
            await asyncio.sleep(1.0)
            low, high = DTMF["1"]
            line.audio.place(sample_at(clock.now() + 0.05), tone((low, high), 0.12, 0.15),
                             "dtmf")
            await until(lambda: phone.ringing, "fxs/1 rings for the FXO caller", 30)
            await until(lambda: len(phone.display) == 2, "the second caller ID", 10)
            assert phone.display[-1][1].number == "5552222"
            phone.lift()
            await until(lambda: app.ctx.cti.call_of("203"), "the second call is live", 10)
            await asyncio.sleep(1.0)
            phone.hang_up()
            await until(lambda: not line.offhook, "the FXO caller's line cleared", 15)
            cdr = await until(lambda: _cdr_n(app, 2), "the second CDR", 20)
            assert (cdr[-1]["caller_number"], cdr[-1]["queue"], cdr[-1]["agent"],
                    cdr[-1]["disposition"]) == ("5552222", "support", "203", "answered"), cdr
            assert app.ctx.cti.call_of("203") is None and port.state == "idle"

            # 5. the SLIC stops answering: the seat is unreachable (health: not registered,
            #    fault) until the card has it back
            spi = board.sim.spi_fxs[0]
            chip, spi.target = spi.target, None
            await until(lambda: port.state == "fault", "fxs/1 in fault", 10)
            seats = (await app.health())["components"]["lines"]["seats"]
            assert (seats[0]["registered"], seats[0]["state"]) == (False, "fault"), seats
            spi.target = chip
            await until(lambda: port.state == "idle", "fxs/1 back", 10)
            seats = (await app.health())["components"]["lines"]["seats"]
            assert (seats[0]["registered"], seats[0]["state"]) == (True, "idle"), seats

    async def _events_after(app: App, n: int) -> list[str] | None:
        got = await _events(app, "agent.feature_code")
        return got if len(got) > n else None

    asyncio.run(asyncio.wait_for(body(), 240))

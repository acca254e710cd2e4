"""PRI calls through the whole daemon: libpri on the simulated span's D-channel.

The daemon (``firmware.app.App``: Kamailio, a pjsua2 media node, the flows, the
simulated card with ``[e1.sim] dchannel_socket``) runs in this process on the
demo; libpri is the exchange (network side) on the D-channel bridge; the
exchange's side of the B-channel is ``TimeslotPeer`` on the simulated cable;
seat 201 is baresip (auto-answers, talks 1000 Hz, records what it hears).

1. Inbound: libpri calls DID 100 on timeslot 5; the IVR answers (CONNECT), the
   caller keys 1 in-band on the B-channel, the queue ``support`` rings seat 201,
   the caller's 400 Hz reaches the seat and the seat's 1000 Hz comes back on
   timeslot 5; libpri hangs up; the CDR's trunk is ``e1/1/5``.
2. Refused before answering: DIDs 300 and 301 go to queues nobody would answer
   (join-when-empty), whose ``refuse_with`` are busy and congestion: libpri sees
   the call cleared with cause 17 and 41 and never answered; ``rejected`` CDRs.
3. Outbound: click-to-call from the desk's API with a route ``0`` -> ``e1/1``:
   the seat answers, SETUP reaches libpri with the called number, libpri answers,
   the seat hangs up, libpri sees the clearing; the CDR's trunk is ``e1/1``.
4. libpri refuses the next click-to-call with cause 34: ``GroupBusy``, no other group
   on the route, a ``blocked`` CDR naming the cause.
5. The cable is pulled during a call: red alarm, layer 1 down, the call is cleared
   with its CDR, health shows the D-channel down; plugged back, it comes up again.
6. The framer stops answering during a call (the card's NOTOPEN): layer 1 down
   as in 4, the call cleared with its CDR; reseated, the D-channel comes up again.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from firmware.app import App
from firmware.store.inbound import Route
from firmware.store.outbound import OutboundRoute
from tests.lines.conftest import (SEAT_HZ, cdr_rows, daemon_config, provision,
                                  refusing_queues, running, until_heard)
from tests.lines.far_end import PriPeer, TimeslotPeer
from tests.sipedge.peers import until
from tests.support.audio import tone_share, windows_with_tone
from tests.support.libpri import channel_ts

pytestmark = [pytest.mark.network, pytest.mark.slow]

CALLER_HZ = 400.0
EXTRA = '[e1.sim]\ndchannel_socket = "var/run/e1-dchan.sock"\n'


async def _cdrs(app: App, direction: str) -> list[dict[str, object]] | None:
    return await cdr_rows(app, "direction, trunk, caller_number, did, dialed_number, agent,"
                          " queue, disposition", "direction = ?", (direction,))


async def _cdr_of(app: App, caller: str) -> dict[str, object] | None:
    rows = await cdr_rows(app, "trunk, disposition, failure_reason", "caller_number = ?",
                          (caller,))
    return rows[0] if rows else None


async def _blocked(app: App) -> list[tuple[object, ...]] | None:
    rows = await cdr_rows(app, "trunk, dialed_number, disposition, failure_reason",
                          "disposition = 'blocked'")
    return [(r["dialed_number"], r["disposition"], r["failure_reason"])
            for r in rows] if rows else None


def test_pri_calls_in_and_out_through_the_daemon(tmp_path: Path) -> None:
    cfg = daemon_config(tmp_path, EXTRA)

    async def body() -> None:
        # the demo routes DID 100 from its SIP trunk only: the span's calls too
        await provision(cfg, routes=[Route("100", "ivr:main", trunk="e1/1")],
                        outbound=[OutboundRoute("national", "0", ("e1/1",))],
                        more=refusing_queues)
        async with running(cfg, tmp_path) as daemon:
            app, seat = daemon.app, daemon.seat
            assert app.lines is not None and app.api is not None and app.ctx is not None
            assert seat is not None
            health = await app.health()
            hw = health["components"]["hardware"]
            assert hw["spans"][0]["state"] == "OK", hw
            assert [p["state"] for p in hw["fxo"]] == ["idle", "idle"], hw
            sock = cfg.dchannel_socket
            assert sock is not None
            peer = PriPeer(str(sock)).start()
            daemon.close_last(peer.close)
            await until(lambda: peer.event("DCHAN_UP") and app.lines.spans[0].q931.link_up,
                        "the D-channel up at both ends", 20)
            lines = (await app.health())["components"]["lines"]
            assert lines["status"] == "ok" and lines["groups"][0]["d_channel"] == "up", lines

            # 1. inbound: DID 100 -> IVR -> 1 -> queue support -> seat 201
            ts5 = TimeslotPeer(app.hardware.board.sim.exchanges[0], 5)
            daemon.close_first(ts5.close)
            call = peer.call("100", "5551234", channel=5)
            await until(lambda: peer.event("ANSWER"), f"the IVR answers: {peer.kinds()}", 20)
            await asyncio.sleep(1.0)
            ts5.send_digit("1")
            live = await until(lambda: app.ctx.cti.call_of("201"), "the seat's call", 30)
            assert live is not None
            await asyncio.sleep(1.0)
            ts5.send_tone((CALLER_HZ,), 4.0)
            await asyncio.sleep(4.5)
            # the seat's tone dominates the last 3 s heard on the timeslot (at most 8 s more)
            await until_heard(lambda: round(tone_share(ts5.samples(last_s=3.0), 8000, SEAT_HZ), 2),
                              lambda share: share > 0.5, "the seat's tone on timeslot 5", 8)
            peer.hangup(call, 16)
            cdr = await until(lambda: _cdrs(app, "in"), "the inbound CDR", 20)
            assert [(c["trunk"], c["caller_number"], c["did"], c["queue"], c["agent"],
                     c["disposition"]) for c in cdr] == [
                ("e1/1/5", "5551234", "100", "support", "201", "answered")]
            heard = seat.heard_files()
            assert heard and max(windows_with_tone(f, CALLER_HZ) for f in heard) >= 4, \
                seat.log()

            # 2. queues nobody would answer refuse the call before answering, each with its
            #    refuse_with as a Q.931 cause: busy 17, congestion 41; rejected CDRs
            for dnis, channel, cause, queue in (("300", 11, 17, "nobody"),
                                                ("301", 12, 41, "jammed")):
                # libpri reuses a freed call's memory: only events after this SETUP count
                since = len(peer.pri.events)
                refused = peer.call(dnis, "55530" + dnis[-1], channel=channel)
                end = await until(lambda: [e for e in peer.pri.events[since:]
                                           if e.call == refused and e.kind in
                                           ("HANGUP_REQ", "HANGUP")],
                                  f"the network sees {dnis} cleared: {peer.kinds()}", 20)
                assert end[0].cause == cause, (dnis, end)
                assert not [e for e in peer.pri.events[since:]
                            if e.call == refused and e.kind == "ANSWER"], peer.kinds()
                row = await until(lambda: cdr_rows(app, "trunk, disposition, queue, outcome, "
                                                   "answered_at", "did = ?", (dnis,)),
                                  f"the CDR of {dnis}", 20)
                assert row == [{"trunk": f"e1/1/{channel}", "disposition": "rejected",
                                "queue": queue, "outcome": "refused:join-empty",
                                "answered_at": None}], row

            # 3. outbound: click-to-call leaves on the span
            ann = await app.ctx.cti.principal_for_seat("201")
            reply = await asyncio.to_thread(app.api.click_to_call, ann, "0301234")
            assert reply["seat"] == "201"
            ring = await until(lambda: peer.event("RING"), f"SETUP at libpri: {peer.kinds()}",
                               30)
            assert ring.called == "0301234"
            peer.answer(ring.call, ring.channel)
            await until(lambda: app.ctx.cti.call_of("201"), "the click-to-call is live", 10)
            await asyncio.sleep(1.0)
            seat.command("hangup")
            await until(lambda: [e for e in peer.pri.events if e.kind in ("HANGUP", "HANGUP_REQ")
                                 and e.call == ring.call],
                        "libpri sees the clearing", 15)
            out = await until(lambda: _cdrs(app, "out"), "the outbound CDR", 15)
            assert [(c["trunk"], c["dialed_number"], c["agent"], c["disposition"])
                    for c in out] == [("e1/1", "0301234", "201", "answered")]
            assert channel_ts(ring.channel) in range(1, 32)

            # 4. the network refuses a call with cause 34 (no circuit): the group is busy,
            #    the route has no other group, the click-to-call is a blocked call
            rings = len([e for e in peer.pri.events if e.kind == "RING"])
            await asyncio.sleep(1.0)
            await asyncio.to_thread(app.api.click_to_call, ann, "0307777")
            await until(lambda: len([e for e in peer.pri.events if e.kind == "RING"]) > rings,
                        "the second SETUP at libpri", 30)
            ring2 = [e for e in peer.pri.events if e.kind == "RING"][-1]
            assert ring2.called == "0307777"
            peer.hangup(ring2.call, 34)
            blocked = await until(lambda: _blocked(app), "the blocked CDR", 15)
            [(number, disposition, why)] = blocked
            assert (number, disposition) == ("0307777", "blocked")
            assert "('e1/1', 'cause 34')" in str(why), why
            assert app.trunks.blocked == 1

            # 5. the cable is pulled mid-call: red alarm, layer 1 down, the call cleared and
            #    its CDR written; plugged back, the D-channel comes up again
            call4 = peer.call("100", "5559999", channel=7)
            await until(lambda: len([e for e in peer.pri.events if e.kind == "ANSWER"]) >= 2,
                        "the IVR answers the fourth call", 20)
            cable = app.hardware.board.sim.cable
            cable.unplug()
            lost = await until(lambda: _cdr_of(app, "5559999"), "the cut call's CDR", 20)
            assert lost["trunk"] == "e1/1/7", lost
            lines = (await app.health())["components"]["lines"]
            assert lines["groups"][0]["d_channel"] == "down" and lines["status"] == "degraded"
            cable.plug()
            await until(lambda: app.lines.spans[0].q931.link_up, "the D-channel up again", 30)
            assert call4 is not None

            # 6. the framer stops answering mid-call (NOTOPEN, the chip gone): layer 1 down
            #    as on a red alarm, the call cleared with its CDR; reseated, the link is back
            answers = len([e for e in peer.pri.events if e.kind == "ANSWER"])
            call5 = peer.call("100", "5558888", channel=9)
            await until(lambda: len([e for e in peer.pri.events if e.kind == "ANSWER"])
                        > answers, "the IVR answers the fifth call", 20)
            spi = app.hardware.board.sim.spi_e1
            chip, spi.target = spi.target, None
            gone = await until(lambda: _cdr_of(app, "5558888"), "the NOTOPEN call's CDR", 20)
            assert gone["trunk"] == "e1/1/9", gone
            assert app.lines.spans[0].describe()["alarms"] == "NOP/"
            assert app.lines.spans[0].q931.link_up is False
            spi.target = chip
            await until(lambda: app.lines.spans[0].q931.link_up, "the D-channel up after "
                        "the framer is back", 30)
            assert call5 is not None

    asyncio.run(asyncio.wait_for(body(), 240))

"""MFC-R2 calls through the whole daemon: libopenr2 on the simulated span's timeslot door.

The daemon (``App`` on the simulator with ``[e1.sim] signalling = "mfcr2"`` and
``timeslot_socket``) serves span 1 as the R2 line group ``e1/1``; libopenr2
(tests/support/openr2_harness.py) is the far end of timeslot 1, calling side;
seat 201 is baresip. Variants ITU and CN (libopenr2's CN calling side with the
remap of tests/telephony/r2/conftest.py).

1. A DNIS that routes nowhere (999) is refused in group B with "unallocated".
2. DNIS 100 (routed to queue ``support`` from ``e1/1``), ANI 013800001111: group B
   "subscriber free, charge", the call is answered and queued, seat 201 answers;
   the peer's 400 Hz reaches the seat and the seat's 1000 Hz reaches the peer; the
   peer clears forward; the CDR's trunk is ``e1/1/1`` and its caller the ANI.
3. (ITU) Click-to-call 0123 with a route ``0`` -> ``e1/1``: the peer, now called
   side, is offered DNIS 0123, accepts and answers; the seat's hang-up is a clear
   forward at the peer; the CDR's trunk is ``e1/1``.

``test_r2_blocking_category_and_refusals`` (ITU, timeslots 1 and 2, no seat):
an admin blocks and unblocks timeslots through the API (the peer sees blocked,
then idle; health's ``lines`` component lists them), a block asked during a call
goes out when the call has ended; the caller's category is in the CDR and the call
API; a route that hangs up is group B busy, a DNIS that routes nowhere group B
unallocated, both with a CDR.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

import pytest

from firmware import config
from firmware.api import ApiError
from firmware.app import App
from firmware.store.inbound import Route
from firmware.store.outbound import OutboundRoute
from tests.lines.conftest import (SEAT_HZ, cdr_rows, daemon_config, provision,
                                  refusing_queues, running)
from tests.sipedge.peers import until
from tests.support import sipp
from tests.support.audio import windows_with_tone
from tests.support.openr2_harness import PeerProcess, build_shim, library
from tests.telephony.r2.conftest import CN_CALLING_REMAP

pytestmark = [pytest.mark.network, pytest.mark.slow]

ANI, CALLER_HZ = "013800001111", 400.0


def _r2_config(tmp_path: Path, name: str) -> config.Config:
    return daemon_config(tmp_path, '[e1.sim]\nsignalling = "mfcr2"\n'
                         f'r2_variant = "{name}"\ntimeslot_socket = "var/run/e1-ts{{ts}}.sock"\n')


async def _cdrs(app: App, direction: str = "in") -> list[dict[str, object]] | None:
    return await cdr_rows(app, "trunk, caller_number, did, queue, agent, disposition, category",
                          "direction = ? AND disposition = 'answered'", (direction,))


async def _peer_until(peer: PeerProcess | None, cond: Callable[[], Any], what: str,
                      seconds: float) -> Any:
    """``until`` that takes in the peer's events before each look."""
    assert peer is not None

    def check() -> Any:
        peer.poll()
        return cond()
    return await until(check, what, seconds)


@pytest.mark.parametrize("name", ["ITU", "CN"])
def test_r2_call_from_libopenr2_reaches_a_seat(tmp_path: Path, name: str) -> None:
    cfg = _r2_config(tmp_path, name)
    (tmp_path / "shim").mkdir()
    lib, shim = library(), build_shim(tmp_path / "shim")
    pattern = cfg.timeslot_socket_pattern
    assert pattern is not None

    async def body() -> None:
        await provision(cfg, routes=[Route("100", "queue:support", trunk="e1/1")],
                        outbound=[OutboundRoute("national", "0", ("e1/1",))])
        peer: PeerProcess | None = None

        async def peer_until(cond: Callable[[], Any], what: str, seconds: float = 20.0) -> Any:
            return await _peer_until(peer, cond, what, seconds)

        async with running(cfg, tmp_path) as daemon:
            app, seat = daemon.app, daemon.seat
            assert app.lines is not None and app.lines.r2 and app.ctx is not None
            assert seat is not None
            advanced = ""
            if name == "CN":           # libopenr2's CN calling side, remapped as the notes say
                (tmp_path / "cn-calling.conf").write_text(CN_CALLING_REMAP)
                advanced = str(tmp_path / "cn-calling.conf")
            peer = PeerProcess(lib, shim, pattern, [1], name, tmp_path / "peer.log",
                               advanced=advanced)
            daemon.close_first(peer.close)
            group = app.lines.r2[0]
            await until(lambda: group.door.peers() == [1], "the peer on timeslot 1", 10)
            await asyncio.sleep(0.5)

            # 1. nowhere to go: unallocated
            assert peer.command("make_call", ts=1, ani=ANI, dnis="999",
                                category="national_subscriber")["ok"]
            gone = await peer_until(lambda: peer.find("call_disconnect", 1),
                                    "the refusal at the peer")
            assert gone[0]["cause"] == "unallocated", gone
            await peer_until(lambda: peer.find("call_end", 1), "the peer's call end")
            await asyncio.sleep(1.0)

            # 2. to the queue and seat 201
            assert peer.command("make_call", ts=1, ani=ANI, dnis="100",
                                category="national_subscriber")["ok"]
            await peer_until(lambda: peer.find("call_answered", 1), "answered")
            accepted = peer.find("call_accepted", 1)
            assert accepted and accepted[0]["mode"] == "charge", accepted
            await until(lambda: app.ctx.cti.call_of("201"), "the seat's call", 30)
            peer.command("tone", ts=1, freq=CALLER_HZ, dbm0=-10.0)
            await asyncio.sleep(4.0)
            back = peer.command("measure", ts=1, freq=SEAT_HZ, frames=100)
            assert back["share"] > 0.5, back
            peer.command("stop_tone", ts=1)
            peer.command("disconnect", ts=1)
            cdr = await until(lambda: _cdrs(app), "the CDR", 20)
            assert [(c["trunk"], c["caller_number"], c["did"], c["queue"], c["agent"],
                     c["category"]) for c in cdr] == [("e1/1/1", ANI, "100", "support", "201",
                                                       "national_subscriber")]
            heard = seat.heard_files()
            assert heard and max(windows_with_tone(f, CALLER_HZ) for f in heard) >= 4, \
                seat.log()
            await peer_until(lambda: len(peer.find("call_end", 1)) >= 2, "the peer idle again")
            if name != "ITU":
                return                 # the CN peer is remapped for its calling side only

            # 3. click-to-call out on the span: the peer is the called side
            await asyncio.sleep(1.0)
            disconnects = len(peer.find("call_disconnect", 1))
            ann = await app.ctx.cti.principal_for_seat("201")
            reply = await asyncio.to_thread(app.api.click_to_call, ann, "0123")
            assert reply["seat"] == "201"
            offered = await peer_until(lambda: peer.find("call_offered", 1), "the peer offered")
            assert (offered[0]["dnis"], offered[0]["category"]) == ("0123", "national_subscriber")
            assert peer.command("accept", ts=1, mode="charge")["ok"]
            await peer_until(lambda: len(peer.find("call_accepted", 1)) >= 2,
                             "accepted at the peer")   # the first was the inbound call's
            assert peer.command("answer", ts=1)["ok"]
            await until(lambda: app.ctx.cti.call_of("201"), "the click-to-call is live", 10)
            await asyncio.sleep(1.0)
            seat.command("hangup")
            await peer_until(lambda: len(peer.find("call_disconnect", 1)) > disconnects,
                             "clear forward at the peer")
            gone = peer.find("call_disconnect", 1)[-1]
            assert gone["cause"] == "normal", gone
            out = await until(lambda: _cdrs(app, "out"), "the outbound CDR", 15)
            assert [(c["trunk"], c["did"], c["agent"], c["category"]) for c in out] == \
                [("e1/1", "", "201", "")]       # the category is the caller's: inbound only

    asyncio.run(asyncio.wait_for(body(), 200))


def test_r2_blocking_category_and_refusals(tmp_path: Path) -> None:
    cfg = _r2_config(tmp_path, "ITU")
    (tmp_path / "shim").mkdir()
    lib, shim = library(), build_shim(tmp_path / "shim")
    pattern = cfg.timeslot_socket_pattern
    assert pattern is not None

    async def body() -> None:
        await provision(cfg, routes=[Route("100", "queue:support", trunk="e1/1"),
                                     Route("200", "hangup", trunk="e1/1")],
                        users=[("root", "root-blocks-lines", "admin", None)],
                        more=refusing_queues)
        peer: PeerProcess | None = None

        async def peer_until(cond: Callable[[], Any], what: str, seconds: float = 20.0) -> Any:
            return await _peer_until(peer, cond, what, seconds)

        async def lines() -> dict[str, object]:
            health = await asyncio.to_thread(app.api.health)
            return dict(health["components"]["lines"]["groups"][0])

        async def cdr_of(did: str) -> dict[str, object] | None:
            calls = await asyncio.to_thread(app.api.list_calls)
            found = [c for c in calls["items"] if c["did"] == did
                     and str(c["trunk"]).startswith("e1/")]
            return found[0] if found else None

        async def sip_cdrs(did: str) -> list[dict[str, object]] | None:
            calls = await asyncio.to_thread(app.api.list_calls)
            return [c for c in calls["items"] if c["did"] == did and c["trunk"] == "demo"] \
                or None

        async with running(cfg, tmp_path, seat=False) as daemon:
            app = daemon.app
            assert app.lines is not None and app.lines.r2 and app.crm is not None
            root = await app.crm.principal_for_username("root")
            assert root is not None
            peer = PeerProcess(lib, shim, pattern, [1, 2], "ITU", tmp_path / "peer.log")
            daemon.close_first(peer.close)
            group = app.lines.r2[0]
            await until(lambda: group.door.peers() == [1, 2], "the peer on timeslots 1, 2", 10)
            await asyncio.sleep(0.5)

            # 1. block timeslot 2 from the API: the peer sees blocked; unblock: idle
            reply = await asyncio.to_thread(app.api.block_line, root, "e1/1", 2)
            assert reply["timeslots"][0]["admin_blocked"] is True, reply
            await peer_until(lambda: peer.find("line_blocked", 2), "ts 2 blocked at the peer")
            assert (await lines())["blocked_timeslots"] == [2]
            idles = len(peer.find("line_idle", 2))
            await asyncio.to_thread(app.api.unblock_line, root, "e1/1", 2)
            await peer_until(lambda: len(peer.find("line_idle", 2)) > idles,
                             "ts 2 idle again at the peer")
            assert (await lines())["blocked_timeslots"] == []
            with pytest.raises(ApiError) as bad:
                await asyncio.to_thread(app.api.block_line, root, "e1/1", 16)
            assert bad.value.status == 400 and "timeslot" in str(bad.value), bad.value
            with pytest.raises(ApiError) as missing:
                await asyncio.to_thread(app.api.block_line, root, "e1/9", 1)
            assert missing.value.status == 404, missing.value
            audit = await asyncio.to_thread(app.api.audit_log, root, action="line.block")
            assert [e["target"] for e in audit["items"]] == ["e1/1/2"], audit

            # 2. a call with a category; a block asked during it waits for its end
            assert peer.command("make_call", ts=1, ani=ANI, dnis="100",
                                category="national_priority_subscriber")["ok"]
            await peer_until(lambda: peer.find("call_answered", 1), "answered")
            reply = await asyncio.to_thread(app.api.block_line, root, "e1/1", 1)
            assert reply["timeslots"][0]["block_pending"] is True, reply
            assert (await lines())["block_pending"] == [1]
            await asyncio.sleep(1.0)
            peer.poll()
            assert not peer.find("line_blocked", 1), "blocked during the call"
            peer.command("disconnect", ts=1)
            await peer_until(lambda: peer.find("call_end", 1), "the peer's call end")
            await peer_until(lambda: peer.find("line_blocked", 1), "ts 1 blocked after the call")
            assert (await lines())["block_pending"] == []
            call = await until(lambda: cdr_of("100"), "the CDR", 20)
            assert (call["trunk"], call["caller_number"], call["category"]) == \
                ("e1/1/1", ANI, "national_priority_subscriber"), call
            one = await asyncio.to_thread(app.api.get_call, str(call["id"]))
            assert one is not None and one["category"] == "national_priority_subscriber"
            idles = len(peer.find("line_idle", 1))
            await asyncio.to_thread(app.api.unblock_line, root, "e1/1", None)   # the span
            await peer_until(lambda: len(peer.find("line_idle", 1)) > idles,
                             "ts 1 idle again at the peer")

            # 3. refusals leave CDRs: a route that hangs up is busy, no route unallocated, a
            # queue nobody would answer its refuse_with (busy, congestion) in group B
            for ts, dnis, signal in ((2, "200", "busy"), (1, "999", "unallocated"),
                                     (1, "300", "busy"), (2, "301", "congestion")):
                before = len(peer.find("call_disconnect", ts)), len(peer.find("call_end", ts))
                assert peer.command("make_call", ts=ts, ani=ANI, dnis=dnis,
                                    category="national_subscriber")["ok"]
                gone = await peer_until(lambda: peer.find("call_disconnect", ts)[before[0]:],
                                        f"the refusal of {dnis} at the peer")
                assert gone[0]["cause"] == signal, gone
                await peer_until(lambda: len(peer.find("call_end", ts)) > before[1],
                                 "the peer's call end")
                refused = await until(lambda: cdr_of(dnis), f"the CDR of {dnis}", 20)
                assert (refused["trunk"], refused["disposition"], refused["category"]) == \
                    (f"e1/1/{ts}", "rejected", "national_subscriber"), refused
                if dnis in ("300", "301"):
                    assert (refused["queue"], refused["outcome"], refused["answered_at"]) == \
                        ({"300": "nobody", "301": "jammed"}[dnis], "refused:join-empty",
                         None), refused
                await asyncio.sleep(0.5)

            # 4. the same queues refuse a SIP caller: the final response before any 200
            for dnis, code in (("300", 486), ("301", 503)):
                result = await asyncio.to_thread(sipp.call_refused, tmp_path / f"sip-{dnis}",
                                                 cfg.sip.port, dnis, code, caller="5559000")
                assert result.returncode == 0, f"{result.output}\n{result.errors}"
                calls = await until(lambda: sip_cdrs(dnis), f"the SIP CDR of {dnis}", 20)
                assert [(c["disposition"], c["outcome"], c["answered_at"]) for c in calls] \
                    == [("rejected", "refused:join-empty", None)], calls

    asyncio.run(asyncio.wait_for(body(), 200))

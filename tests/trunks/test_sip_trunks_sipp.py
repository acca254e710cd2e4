"""SIP trunks end to end: real Kamailio, a real media node, sipp playing two providers.

One test walks what an admin and a caller would see: the box registers with the
provider's registrar (digest checked by sipp's verifyauth), an outbound call
through the route table reaches the provider with the number and caller ID the
route makes; the provider stops answering (SIGSTOP) and after 3 missed OPTIONS
the trunk is down and calls leave by the second trunk; it answers again
(SIGCONT) and after 2 good replies calls use it again. The provider also calls
the Contact it registered (``sip:acme@edge``), the number in To. A second test
fails over per call: a trunk that refuses with 503, or never answers (the
edge's 408), hands the call to the route's next trunk. Run inside the private
network namespace: ``tests/netns-run .venv/bin/pytest tests/trunks``.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path
from typing import Any

import pytest

from firmware.clock import LoopClock
from firmware.config import from_dict
from firmware.events import Event, EventBus
from firmware.media.leg import Leg
from firmware.media.pool import RTP_STRIDE, MediaPool
from firmware.sipedge import EdgeSettings, KamailioEdge
from firmware.sipedge.placer import PlaceAnswer, PlaceRequest
from firmware.store.config import Trunk
from firmware.store.outbound import OutboundRoute
from firmware.trunks import SipTrunkGroup, SipTrunks, Trunks
from tests.sipedge.peers import Peers, Sipp, free_udp_port, header, until
from tests.support.net import free_port, free_port_range

pytestmark = pytest.mark.network

CALLER = "127.0.0.2"              # the inbound trunk's caller, who gives us a near leg
ACME_IP = "127.0.0.9"             # the provider we register with
BACKUP_IP = "127.0.0.10"          # a second provider, IP-authenticated
ROUTE = OutboundRoute("national", "0", ("acme", "backup"), strip=1, prepend="+49")


class Box:
    """The parts of the appliance this test needs, wired as ``firmware/app.py`` wires them."""

    def __init__(self, var: Path, routes: tuple[OutboundRoute, ...] = (ROUTE,)) -> None:
        self.cfg = from_dict({
            "paths": {"var": str(var)},
            "sip": {"listen": "127.0.0.1", "port": free_udp_port(), "realm": "callbox",
                    "placement_port": free_port(socket.SOCK_STREAM, None)},
            "media": {"nodes_min": 1, "nodes_max": 1, "legs_per_node": 4, "spare_legs": 2,
                      "sip_port_base": free_port_range(1),
                      "rtp_port_base": free_port_range(RTP_STRIDE)}})
        self.bus = EventBus()
        self.events: list[Event] = []
        self.bus.subscribe("trunk.", self.events.append)
        self.pool = MediaPool(self.cfg, self.bus)
        self.edge = KamailioEdge(self.cfg, self.bus, placer=self._place,
                                 routes_somewhere=lambda trunk, did: did == "100",
                                 settings=EdgeSettings(ping_interval=1, reg_timer=1, reg_retry=1))
        self.trunks = Trunks(self.bus, routes)
        self.sip = SipTrunks(self.trunks, self.edge, self.bus, LoopClock(),
                             self._dial, f"{self.cfg.sip.listen}:{self.cfg.sip.port}")
        self.calls: asyncio.Queue[Leg] = asyncio.Queue()
        self.pool.on_incoming = self._incoming

    async def _place(self, request: PlaceRequest) -> PlaceAnswer:
        link = await self.pool.place_or_wait(request.call_id)
        return PlaceAnswer(200, f"sip:127.0.0.1:{link.sip_port}") if link else \
            PlaceAnswer(503, "no room")

    async def _dial(self, near: Leg, uri: str, caller_id: str | None) -> Leg:
        return await self.pool.dial(near, uri, caller_id=caller_id)

    async def _incoming(self, leg: Leg) -> None:
        await leg.answer()
        await self.calls.put(leg)
        await leg.ended

    def sip_group(self, name: str) -> SipTrunkGroup:
        group = self.trunks.group(name)
        assert isinstance(group, SipTrunkGroup), group
        return group

    def kinds(self) -> list[tuple[str, str]]:
        return [(e.kind, e.data["trunk"]) for e in self.events if e.kind != "trunk.blocked"]


async def call_out(box: Box, peers: Peers, name: str, number: str,
                   hold_ms: int = 3000) -> tuple[Leg, Leg]:
    """A caller on the inbound trunk reaches a node; from its leg the box dials ``number``."""
    await peers.sipp(f"caller-{name}", "uac_call_hold.xml",
                     f"{box.cfg.sip.listen}:{box.cfg.sip.port}", ip=CALLER,
                     args=["-s", "100", "-d", str(hold_ms)]).start()
    near = await asyncio.wait_for(box.calls.get(), 20)
    far = await box.trunks.dial(near, number, caller_id="+4930555")
    await asyncio.wait_for(far.answered.wait(), 10)
    return near, far


def uri_of(value: str) -> str:
    """The URI of a From/To value, with or without angle brackets, without parameters."""
    value = value.split("<", 1)[1].split(">", 1)[0] if "<" in value else value.split(";", 1)[0]
    return value


def invites(peer: Sipp) -> list[str]:
    return peer.received("INVITE")


def test_register_call_out_fail_over_and_back_with_sipp_providers(tmp_path: Path) -> None:
    async def body() -> None:
        box = Box(tmp_path / "var")
        async with Peers(tmp_path) as peers:
            acme = await peers.sipp("acme", "uas_trunk.xml", None, ip=ACME_IP,
                                    calls=None).start()
            backup = await peers.sipp("backup", "uas_trunk.xml", None, ip=BACKUP_IP,
                                      calls=None).start()
            await box.edge.set_trunk_sources([(f"{CALLER}/32", "inbound")])
            await box.sip.configure([
                Trunk("acme", kind="sip-reg", host=ACME_IP, port=acme.port,
                      domain="voip.example", username="acme-user", secret="acme-secret-1"),
                Trunk("backup", (f"{BACKUP_IP}/32",), host=BACKUP_IP, port=backup.port)])
            await box.edge.start()
            await box.pool.start()
            box.sip.start()
            try:
                await until(lambda: ("trunk.registered", "acme") in box.kinds(),
                            "the registration with acme", timeout=15)
                registers = [m for m in acme.received("REGISTER")
                             if header(m, "Authorization")]
                [register] = registers
                assert register.startswith(f"REGISTER sip:voip.example SIP/2.0")
                assert header(register, "Contact")[0].startswith(
                    f"<sip:acme@{box.cfg.sip.listen}:{box.cfg.sip.port}")

                # 0. the provider calls our Contact (sip:acme@edge) for the number in To:
                #    trusted from its address, the DID taken from To, tagged as acme's
                await box.edge.set_trunk_sources([(f"{CALLER}/32", "inbound"),
                                                  (f"{ACME_IP}/32", "acme")])
                inbound = peers.sipp("acme-calls-in", "uac_call_to.xml",
                                     f"{box.cfg.sip.listen}:{box.cfg.sip.port}", ip=ACME_IP,
                                     keys={"to_user": "100"}, args=["-s", "acme"])
                await inbound.start()
                leg = await asyncio.wait_for(box.calls.get(), 20)
                assert (leg.info["did"], leg.info["trunk"]) == ("100", "acme")
                assert await inbound.wait() == 0, inbound.tail()

                # 1. out through the route table on the first trunk
                near, far = await call_out(box, peers, "1", "0301234")
                [invite] = invites(acme)
                assert invite.startswith("INVITE sip:+49301234@voip.example SIP/2.0")
                assert uri_of(header(invite, "From")[0]) == "sip:+4930555@voip.example"
                assert header(invite, "P-Asserted-Identity") == ["<sip:+4930555@voip.example>"]
                assert uri_of(header(invite, "To")[0]) == "sip:+49301234@voip.example"
                assert "acme~" not in invite and "127.0.0.1" not in header(invite, "From")[0]
                assert len(header(invite, "Record-Route")) == 1     # in-dialog via the edge
                await far.hangup()
                await near.hangup()

                # 2. acme stops answering: down after 3 missed OPTIONS, calls go to backup
                assert acme.proc is not None
                os.kill(acme.proc.pid, signal.SIGSTOP)
                loop = asyncio.get_running_loop()
                stopped = loop.time()
                await until(lambda: ("trunk.down", "acme") in box.kinds(), "acme down",
                            timeout=20)
                down_after = loop.time() - stopped
                near, far = await call_out(box, peers, "2", "0307777")
                # no domain configured: the host is the domain (the port is only where to send)
                assert [m.split()[1] for m in invites(backup)] == [f"sip:+49307777@{BACKUP_IP}"]
                await far.hangup()
                await near.hangup()

                # 3. acme answers again: up after 2 good replies, calls use it again
                os.kill(acme.proc.pid, signal.SIGCONT)
                resumed = loop.time()
                await until(lambda: ("trunk.up", "acme") in box.kinds(), "acme up",
                            timeout=20)
                up_after = loop.time() - resumed
                near, far = await call_out(box, peers, "3", "0308888")
                assert [m.split()[1] for m in invites(acme)] == [
                    "sip:+49301234@voip.example", "sip:+49308888@voip.example"]
                assert len(invites(backup)) == 1
                await far.hangup()
                await near.hangup()
                assert box.kinds()[:3] == [("trunk.registered", "acme"), ("trunk.down", "acme"),
                                           ("trunk.up", "acme")]
                print(f"trunk acme down {down_after:.1f} s after it stopped answering "
                      f"(ping every 1 s, a miss is tm's 5 s timeout), up {up_after:.1f} s "
                      "after it answered again; 3 of 3 outbound calls carried")
            finally:
                if acme.proc is not None and acme.proc.returncode is None:
                    os.kill(acme.proc.pid, signal.SIGCONT)
                await box.sip.stop()
                await box.pool.stop()
                await box.edge.stop()

    asyncio.run(asyncio.wait_for(body(), 120))


REFUSES_IP = "127.0.0.11"         # up (answers OPTIONS), refuses every call with 503
SILENT_IP = "127.0.0.12"          # no keep-alive configured; stopped: never answers


def test_a_trunk_that_refuses_or_never_answers_hands_the_call_to_the_next(
        tmp_path: Path) -> None:
    async def body() -> None:
        routes = (OutboundRoute("overloaded", "1", ("refuses", "backup")),
                  OutboundRoute("silent", "2", ("silent", "backup")))
        box = Box(tmp_path / "var", routes)
        async with Peers(tmp_path) as peers:
            refuses = await peers.sipp("refuses", "uas_trunk_503.xml", None, ip=REFUSES_IP,
                                       calls=None, lifetime="60s").start()
            silent = await peers.sipp("silent", "uas_trunk.xml", None, ip=SILENT_IP,
                                      calls=None, lifetime="60s").start()
            backup = await peers.sipp("backup", "uas_trunk.xml", None, ip=BACKUP_IP,
                                      calls=None, lifetime="60s").start()
            await box.edge.set_trunk_sources([(f"{CALLER}/32", "inbound")])
            await box.sip.configure([
                Trunk("refuses", host=REFUSES_IP, port=refuses.port),
                Trunk("silent", host=SILENT_IP, port=silent.port, keepalive=False),
                Trunk("backup", host=BACKUP_IP, port=backup.port)])
            await box.edge.start()
            await box.pool.start()
            box.sip.start()
            try:
                # "refuses" is up: its keep-alive is answered, so the route tries it first
                await until(lambda: box.sip_group("refuses").reach == "up"
                            and box.sip_group("backup").reach == "up",
                            "both trunks answering OPTIONS", timeout=15)

                # 1. 503 before ringing: the same call goes on to backup
                near, far = await call_out(box, peers, "1", "1555")
                assert [m.split()[1] for m in invites(refuses)] == [f"sip:1555@{REFUSES_IP}"]
                assert [m.split()[1] for m in invites(backup)] == [f"sip:1555@{BACKUP_IP}"]
                assert far.info["trunk"] == "backup"
                assert refuses.received("ACK"), "the edge acknowledged the 503"
                await far.hangup()
                await near.hangup()

                # 2. no answer at all (the provider hangs): the edge's 408, then backup
                assert silent.proc is not None
                os.kill(silent.proc.pid, signal.SIGSTOP)
                loop = asyncio.get_running_loop()
                placed = loop.time()
                near, far = await call_out(box, peers, "2", "2555", hold_ms=12000)
                waited = loop.time() - placed
                assert [m.split()[1] for m in invites(backup)] == [
                    f"sip:1555@{BACKUP_IP}", f"sip:2555@{BACKUP_IP}"]
                assert far.info["trunk"] == "backup"
                assert box.sip_group("silent").reach == "unknown"   # not a keep-alive verdict
                await far.hangup()
                await near.hangup()
                assert box.trunks.blocked == 0 and box.trunks.dialled == 2
                print(f"503: next trunk at once; silent trunk: answered via backup "
                      f"{waited:.1f} s after the call was placed (the edge's INVITE timer)")
            finally:
                if silent.proc is not None and silent.proc.returncode is None:
                    os.kill(silent.proc.pid, signal.SIGCONT)
                await box.sip.stop()
                await box.pool.stop()
                await box.edge.stop()

    asyncio.run(asyncio.wait_for(body(), 120))

"""KamailioEdge against real Kamailio and real SIP peers (sipp).

Seats, trunks and media nodes are sipp processes on 127.0.0.x and free ports;
the edge runs Kamailio with a temporary var dir. Run inside the private network
namespace: ``tests/netns-run .venv/bin/pytest tests/sipedge``.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from pathlib import Path
from typing import Any

import pytest

from firmware.errors import EdgeError
from firmware.sipedge import ha1
from firmware.clock import LoopClock
from firmware.sipedge.placer import PlaceAnswer
from firmware.supervision import RestartPolicy
from tests.sipedge.peers import (EdgeUnderTest, Peers, free_udp_port, header,
                                 processes_running, run, running_edge, until)
from tests.support.net import baresip_sip_port

pytestmark = pytest.mark.network

REALM = "callbox"
PASSWORD = "s3cret-201"
TRUNK_IP = "127.0.0.2"      # the trusted trunk's source address
STRANGER_IP = "127.0.0.3"   # neither trunk, node nor registered seat


def seat_args(user: str, password: str) -> list[str]:
    return ["-s", user, "-au", user, "-ap", password]


async def register(e: EdgeUnderTest, peers: Peers, user: str, password: str,
                   contact_port: int, scenario: str = "register.xml") -> int:
    reg = peers.sipp(f"register-{user}-{password}", scenario, e.remote,
                     keys={"contactport": str(contact_port)}, args=seat_args(user, password))
    return await reg.run()


def test_seat_registers_with_sipp_and_shows_in_registrations(tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD)})
            phone_port = free_udp_port()
            assert await register(e, peers, "201", PASSWORD, phone_port) == 0
            regs = await e.edge.registrations()
            assert regs == {"201": [f"sip:201@127.0.0.1:{phone_port}"]}
            assert e.events_of("security.auth_failed") == []
            # no SIP trunk: Kamailio's "No Destination Sets" error is an empty answer
            assert await e.edge.trunk_states() == {}
    run(body())


def test_wrong_password_and_unknown_user_refused_and_logged_sipp(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="callbox.sipedge")

    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD)})
            wrong = peers.sipp("wrong-password", "register_refused.xml", e.remote,
                               keys={"contactport": str(free_udp_port())},
                               args=seat_args("201", "not-the-password"))
            unknown = peers.sipp("unknown-user", "register_refused.xml", e.remote,
                                 keys={"contactport": str(free_udp_port())},
                                 args=seat_args("999", PASSWORD))
            # exit code 0: the peer got 401 again after sending its credentials
            assert await wrong.run() == 0, wrong.tail()
            assert await unknown.run() == 0, unknown.tail()
            failed = await until(lambda: len(e.events_of("security.auth_failed")) >= 2 and
                                 e.events_of("security.auth_failed"),
                                 "two security.auth_failed events")
            assert failed == [
                {"ip": "127.0.0.1", "port": wrong.port, "user": "201", "method": "REGISTER",
                 "count": 1},
                {"ip": "127.0.0.1", "port": unknown.port, "user": "999", "method": "REGISTER",
                 "count": 2},
            ]
            assert await e.edge.registrations() == {}
        lines = [r.getMessage() for r in caplog.records if r.name == "callbox.sipedge.kamailio"]
        assert any(f"SECURITY event=auth_failed ip=127.0.0.1 port={wrong.port} user=201 "
                   "method=REGISTER count=1" in line for line in lines)
    run(body())


def test_trunk_invite_reaches_the_placed_node_and_node_reaches_seat_sipp(tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            node = await peers.sipp("node", "uas_answer.xml", None, port=e.node_port(0),
                                    calls=None).start()
            phone = await peers.sipp("phone-201", "uas_answer.xml", None, calls=None).start()
            await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD)})
            e.placer.nodes = [node.port]
            await e.edge.set_trunk_sources([(f"{TRUNK_IP}/32", "acme")])

            # caller on the trunk -> edge asks the daemon -> the placed node, tagged
            caller = peers.sipp("trunk-caller", "uac_call.xml", e.remote, ip=TRUNK_IP,
                                args=["-s", "100"])
            assert await caller.run() == 0, caller.tail()
            await node.stop()
            invites = node.received("INVITE")
            assert len(invites) == 1
            assert invites[0].startswith("INVITE sip:100@")
            assert header(invites[0], "X-Callbox-Trunk") == ["acme"]  # the forged one is gone
            assert [m.split()[0] for m in node.received()] == ["INVITE", "ACK", "BYE"]
            [asked] = e.placer.asked
            assert (asked.did, asked.trunk, asked.seat, asked.failed_port) == \
                ("100", "acme", "", None)
            assert asked.call_id == header(invites[0], "Call-ID")[0]

            # the media node dials seat 201 through the edge -> the registered phone rings
            assert await register(e, peers, "201", PASSWORD, phone.port) == 0
            dial = peers.sipp("node-dials-201", "uac_call.xml", e.remote, port=node.port,
                              args=["-s", "201"])
            assert await dial.run() == 0, dial.tail()
            await phone.stop()
            to_seat = phone.received("INVITE")
            assert len(to_seat) == 1
            assert to_seat[0].startswith(f"INVITE sip:201@127.0.0.1:{phone.port} ")
            assert header(to_seat[0], "Record-Route")  # the edge stays in the dialog
            assert len(e.placer.asked) == 1            # calls *from* a node are not placed

            # a seat that is not registered: 404 to the node
            missing = peers.sipp("node-dials-202", "invite_404.xml", e.remote,
                                 port=node.port, args=["-s", "202"])
            assert await missing.run() == 0, missing.tail()
    run(body())


def test_node_cancels_a_ringing_seat_sipp(tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD)})
            phone = await peers.sipp("phone-201", "uas_ring.xml", None).start()
            assert await register(e, peers, "201", PASSWORD, phone.port) == 0
            dial = peers.sipp("node-cancels", "uac_cancel.xml", e.remote, port=e.node_port(0),
                              args=["-s", "201"])
            assert await dial.run() == 0, dial.tail()
            assert await phone.wait() == 0, phone.tail()  # it saw the CANCEL and the ACK
    run(body())


def test_seat_invite_is_challenged_then_placed_with_seat_header_sipp(tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            node = await peers.sipp("node", "uas_answer.xml", None, port=e.node_port(0),
                                    calls=None).start()
            await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD)})
            e.placer.nodes = [node.port]
            seat = peers.sipp("seat-201-calls", "uac_call_auth.xml", e.remote,
                              keys={"seat": "201"},
                              args=["-s", "queue", "-au", "201", "-ap", PASSWORD])
            assert await seat.run() == 0, seat.tail()
            # the same seat with a wrong password: challenged again, logged, not relayed
            wrong = peers.sipp("seat-201-wrong", "invite_refused.xml", e.remote,
                               keys={"seat": "201"},
                               args=["-s", "queue", "-au", "201", "-ap", "wrong"])
            assert await wrong.run() == 0, wrong.tail()
            failed = await until(lambda: e.events_of("security.auth_failed"),
                                 "security.auth_failed")
            assert failed == [{"ip": "127.0.0.1", "port": wrong.port, "user": "201",
                               "method": "INVITE", "count": 1}]

            await node.stop()
            invites = node.received("INVITE")
            assert len(invites) == 1  # the good call only
            assert header(invites[0], "X-Callbox-Seat") == ["201"]
            assert header(invites[0], "Proxy-Authorization") == []  # credentials consumed
            assert [(a.seat, a.did) for a in e.placer.asked] == [("201", "queue")]

            # a stranger's out-of-dialog request that is not an INVITE: 403
            stranger = peers.sipp("stranger-message", "request_forbidden.xml", e.remote,
                                  ip=STRANGER_IP, args=["-s", "201"])
            assert await stranger.run() == 0, stranger.tail()
    run(body())


async def _trunk_call_to_two_nodes(e: EdgeUnderTest, peers: Peers, first: tuple[str, str],
                                   caller_scenario: str) -> tuple[Any, Any, Any]:
    """A trunk's call placed on a first node (``(name, scenario)``) with a spare node that
    answers behind it; returns the first node, the spare and the caller, all done."""
    one = await peers.sipp(first[0], first[1], None, port=e.node_port(0), calls=None).start()
    spare = await peers.sipp("node-spare", "uas_answer.xml", None, port=e.node_port(1),
                             calls=None).start()
    e.placer.nodes = [one.port, spare.port]
    await e.edge.set_trunk_sources([(f"{TRUNK_IP}/32", "acme")])
    caller = peers.sipp("trunk-caller", caller_scenario, e.remote, ip=TRUNK_IP,
                        args=["-s", "100"])
    assert await caller.run() == 0, caller.tail()
    await one.stop()
    await spare.stop()
    return one, spare, caller


def test_a_placed_node_answering_503_is_reported_and_the_call_placed_again_sipp(
        tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            full, spare, _ = await _trunk_call_to_two_nodes(
                e, peers, ("node-refuses", "uas_busy.xml"), "uac_call.xml")
            assert len(full.received("INVITE")) == 1      # placed first, said 503
            spare_invites = spare.received("INVITE")
            assert len(spare_invites) == 1
            assert header(spare_invites[0], "X-Callbox-Trunk") == ["acme"]
            assert [a.failed_port for a in e.placer.asked] == [None, full.port]
            assert len({a.call_id for a in e.placer.asked}) == 1
    run(body())


def test_a_flows_deliberate_503_is_relayed_to_the_caller_not_placed_again_sipp(
        tmp_path: Path) -> None:
    """A node whose flow refuses a call nobody would take (``refuse_with = "congestion"``)
    answers 503 with ``REFUSED_REASON``: the caller gets it; no other node is tried."""
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            refusing, spare, caller = await _trunk_call_to_two_nodes(
                e, peers, ("node-no-agent", "uas_no_agent.xml"), "invite_503.xml")
            assert len(refusing.received("INVITE")) == 1
            assert spare.received("INVITE") == []
            assert [a.failed_port for a in e.placer.asked] == [None]
            finals = [m.splitlines()[0] for m in caller.received("SIP/2.0")
                      if not m.startswith("SIP/2.0 1")]
            assert finals == ["SIP/2.0 503 No Agent Available"], caller.tail()
    run(body())


def test_a_placed_node_that_never_answers_is_reported_and_the_call_placed_again_sipp(
        tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            spare = await peers.sipp("node-spare", "uas_answer.xml", None, port=e.node_port(1),
                                     calls=None).start()
            e.placer.nodes = [e.node_port(0), spare.port]   # nothing listens on the first
            await e.edge.set_trunk_sources([(f"{TRUNK_IP}/32", "acme")])
            caller = peers.sipp("trunk-caller", "uac_call.xml", e.remote, ip=TRUNK_IP,
                                args=["-s", "100"])
            assert await caller.run() == 0, caller.tail()
            await spare.stop()
            assert len(spare.received("INVITE")) == 1
            assert [a.failed_port for a in e.placer.asked] == [None, e.node_port(0)]
    run(body())


def test_no_room_anywhere_is_503_at_the_edge_and_no_node_sees_the_call_sipp(
        tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            node = await peers.sipp("node", "uas_answer.xml", None, port=e.node_port(0),
                                    calls=None).start()
            await e.edge.set_trunk_sources([(f"{TRUNK_IP}/32", "acme")])
            e.placer.nodes = []                              # the daemon has no room
            refused = peers.sipp("trunk-caller", "invite_503.xml", e.remote, ip=TRUNK_IP,
                                 args=["-s", "100"])
            assert await refused.run() == 0, refused.tail()
            e.placer.refuse = PlaceAnswer(404, "no route for DID 999")
            unknown = peers.sipp("unknown-did", "invite_404.xml", e.remote, ip=TRUNK_IP,
                                 args=["-s", "999"])
            assert await unknown.run() == 0, unknown.tail()
            await e.edge.placement.stop()                    # the daemon is gone
            e.placer.refuse = None
            e.placer.nodes = [node.port]
            gone = peers.sipp("daemon-gone", "invite_503.xml", e.remote, ip=TRUNK_IP,
                              args=["-s", "100"])
            assert await gone.run() == 0, gone.tail()
            await node.stop()
            assert node.received("INVITE") == []
    run(body())


def test_the_calls_of_a_failed_node_are_ended_both_ways_by_the_edge_sipp(
        tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            node = await peers.sipp("node", "uas_answer.xml", None, port=e.node_port(0),
                                    calls=None).start()
            other = await peers.sipp("other-node", "uas_answer.xml", None,
                                     port=e.node_port(1), calls=None).start()
            await e.edge.set_trunk_sources([(f"{TRUNK_IP}/32", "acme")])
            e.placer.nodes = [node.port]
            caller = await peers.sipp("trunk-caller", "uac_call_ended_by_edge.xml", e.remote,
                                      ip=TRUNK_IP, args=["-s", "100"]).start()
            await until(lambda: node.received("ACK"), "the call is up")
            e.placer.nodes = [other.port]
            bystander = await peers.sipp("other-caller", "uac_call_ended_by_edge.xml",
                                         e.remote, ip=TRUNK_IP, args=["-s", "100"]).start()
            await until(lambda: other.received("ACK"), "the other call is up")
            await node.kill()                       # the node dies: its side answers nothing
            assert await e.edge.end_dialogs_with(node.port) == 1
            assert await caller.wait() == 0, caller.tail()      # the caller got a BYE
            assert bystander.proc is not None and bystander.proc.returncode is None  # lives
            # Gone at once if the caller's 200 beat end_dlg's BYE to the dead node (which
            # is then refused); else once that BYE times out (fr_timer, 5 s).
            await until(lambda: _profile_empty(e, node.port), "the dialog to end", timeout=8)
            assert await e.edge.end_dialogs_with(node.port) == 0
            await bystander.kill()                  # its call would hold a graceful stop 5 s
            await other.kill()
    run(body())


async def _profile_empty(e: EdgeUnderTest, port: int) -> bool:
    listed = await e.edge.rpc.call("dlg.profile_list", "node", f"sip:127.0.0.1:{port}")
    return not listed


def test_killed_kamailio_is_restarted_and_stop_leaves_nothing_sipp(tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD)})
            phone_port = free_udp_port()
            assert await register(e, peers, "201", PASSWORD, phone_port) == 0
            old = e.edge.pid
            assert old is not None
            os.kill(old, signal.SIGKILL)
            restarted = await until(lambda: e.events_of("sip.edge_restarted"),
                                    "sip.edge_restarted")
            assert restarted == [{"pid": e.edge.pid, "restarts": 1, "exit_code": -9,
                                  "delay": 0.2}]
            health = e.edge.health()
            assert health["running"] is True and health["restarts"] == 1
            assert health["pid"] not in (None, old)
            # the old instance's worker processes are gone, only the new group runs
            assert all(os.getpgid(p) == health["pid"]
                       for p in processes_running(str(e.edge.paths.config)))
            # registrations are written through to SQLite and survive the restart
            assert await e.edge.registrations() == {"201": [f"sip:201@127.0.0.1:{phone_port}"]}
            # and the restarted edge still authenticates
            assert await register(e, peers, "201", PASSWORD, phone_port) == 0
        assert e.edge.health()["running"] is False
        assert processes_running(str(e.edge.paths.config)) == []
    run(body())


def test_kamailio_killed_again_and_again_comes_back_each_time_then_raises_the_alarm_sipp(
        tmp_path: Path) -> None:
    """Quick kills are restarted after the same short delay every time (no growing
    back-off); the fifth death within the window is a crash loop: an event, health
    says so, and restarts go on at the slow pace (1 s here instead of 10 s)."""
    async def body() -> None:
        policy = RestartPolicy(LoopClock(), slow_restart=1.0)
        async with running_edge(tmp_path / "var", realm=REALM, restarts=policy) as e, \
                Peers(tmp_path) as peers:
            await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD)})
            phone_port = free_udp_port()
            assert await register(e, peers, "201", PASSWORD, phone_port) == 0
            for n in range(1, policy.crash_limit + 1):
                old = e.edge.pid
                assert old is not None
                os.kill(old, signal.SIGKILL)
                await until(lambda: [x for x in e.events_of("sip.edge_restarted")
                                     if x["restarts"] == n], f"restart {n}", timeout=30)
                assert e.edge.health()["running"] is True
            delays = [x["delay"] for x in e.events_of("sip.edge_restarted")]
            assert delays == [0.2, 0.2, 0.2, 0.2, 1.0]
            assert e.events_of("sip.edge_crash_loop") == [{"restarts": policy.crash_limit}]
            health = e.edge.health()
            assert health["crash_looping"] is True and health["restarts"] == policy.crash_limit
            # still the edge it was: registrations kept, authentication works
            assert await e.edge.registrations() == {"201": [f"sip:201@127.0.0.1:{phone_port}"]}
            assert await register(e, peers, "201", PASSWORD, phone_port) == 0
    run(body())


def test_edge_binds_only_its_udp_address(tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e:
            inet = _inet_sockets(processes_running(str(e.edge.paths.config)))
            assert inet == {("udp", "127.0.0.1", e.edge.cfg.sip.port)}
            for sock in (e.edge.paths.rpc_socket, e.edge.paths.ctl_socket):
                assert sock.stat().st_mode & 0o077 == 0, f"{sock} is open to others"
    run(body())


def test_flooding_source_is_banned_and_reported_sipp(tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            flood = await peers.sipp("flood", "request_forbidden.xml", e.remote, ip=STRANGER_IP,
                                     calls=200,
                                     args=["-s", "x", "-r", "200"]).start()
            banned = await until(lambda: e.events_of("security.banned"), "security.banned")
            await flood.stop(now=True)        # its requests wait for answers that never come
            assert banned[0]["ip"] == STRANGER_IP and banned[0]["reason"] == "flood"
            assert len(banned) == 1  # one report per ban, not one per dropped request
    run(body())


def _inet_sockets(pids: list[int]) -> set[tuple[str, str, int]]:
    """(proto, local address, port) of every IP socket the given processes hold."""
    inodes: set[str] = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for proto in ("udp", "udp6", "tcp", "tcp6", "raw", "raw6"):
        lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        for line in lines:
            cols = line.split()
            if cols[9] in inodes:
                addr, port = cols[1].split(":")
                ip = ".".join(str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0)) \
                    if len(addr) == 8 else addr
                found.add((proto, ip, int(port, 16)))
    return found


def test_start_ends_a_kamailio_left_behind_by_a_dead_daemon(tmp_path: Path) -> None:
    async def body() -> None:
        var = tmp_path / "var"
        async with running_edge(var, realm=REALM) as e:
            paths, port = e.edge.paths, e.edge.cfg.sip.port
        # what a daemon killed with SIGKILL (and no pdeathsig) would leave: a Kamailio on
        # our config and pid file, holding the SIP port and the RPC socket
        leftover = await asyncio.create_subprocess_exec(
            "kamailio", "-DD", "-E", "-f", str(paths.config), "-P", str(paths.pidfile),
            "-m", "32", "-M", "4", stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True)
        try:
            await until(lambda: paths.pidfile.exists() and
                        paths.pidfile.read_text().strip() == str(leftover.pid),
                        "the leftover's pid file")
            async with running_edge(var, realm=REALM, port=port) as again:
                assert await asyncio.wait_for(leftover.wait(), 10) == 0  # it got SIGTERM
                assert again.edge.health()["running"] is True
                assert again.edge.pid != leftover.pid
        finally:
            if leftover.returncode is None:
                leftover.kill()
                await leftover.wait()
    run(body())


def test_start_fails_with_the_reason_when_the_port_is_taken(tmp_path: Path) -> None:
    async def body() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
            with pytest.raises(EdgeError, match="exited with code .* while starting.*bind"):
                async with running_edge(tmp_path / "var", realm=REALM, port=port):
                    pass
    run(body())


def test_baresip_seat_registers_and_unregisters(tmp_path: Path) -> None:
    """A real softphone: digest with qop=auth against HA1, then Expires: 0 on exit."""
    async def body() -> None:
        conf = tmp_path / "baresip"
        conf.mkdir()
        async with running_edge(tmp_path / "var", realm=REALM) as e:
            await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD)})
            port = baresip_sip_port()
            (conf / "config").write_text(
                f"poll_method\tepoll\nsip_listen\t127.0.0.1:{port}\nsip_trans_def\tudp\n"
                "module_path\t/usr/lib/baresip/modules\nmodule_app\taccount.so\n")
            (conf / "accounts").write_text(
                f"<sip:201@{e.remote}>;auth_pass={PASSWORD};regint=60\n")
            (conf / "contacts").write_text("")
            with (tmp_path / "baresip.out").open("wb") as out:
                phone = await asyncio.create_subprocess_exec(
                    "baresip", "-n", "127.0.0.1", "-f", str(conf),
                    stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT)
            try:
                regs = await until(e.edge.registrations, "baresip's registration")
                assert list(regs) == ["201"]
                contact = regs["201"][0]
                assert contact.startswith("sip:201") and contact.endswith(f"@127.0.0.1:{port}")
            finally:
                phone.terminate()
                assert await asyncio.wait_for(phone.wait(), 10) == 0
            await until(lambda: _no_registrations(e), "the unregistration")
            assert e.events_of("security.auth_failed") == []
    run(body())


async def _no_registrations(e: EdgeUnderTest) -> bool:
    return await e.edge.registrations() == {}

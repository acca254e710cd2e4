"""The edge under attack: real Kamailio, real attackers (sipp, SIPVicious, hand-written SIP),
what the attacker got counted from a tshark capture.

The edge trusts 127.0.0.0/25 as a trunk's network (a provider's network), so
the attacker at 127.0.0.66 sits inside a trusted trunk network, as in the issue's
measurement; 127.0.0.200 and up are strangers. Run inside the private network
namespace: ``tests/netns-run .venv/bin/pytest tests/sipedge``.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import pytest

from firmware.clock import LoopClock
from firmware.security import SecurityLine, SecurityMonitor
from firmware.sipedge import ha1
from tests.sipedge.attack import RawSip, SipCapture, header_values, status_of
from tests.sipedge.peers import (EdgeUnderTest, Peers, free_udp_port, header, run,
                                 running_edge, until)

pytestmark = pytest.mark.network

REALM = "callbox"
PASSWORD = "1500"                 # inside svcrack's range below: only the ban stops it
TRUNK_NET = "127.0.0.0/25"
LEGIT_TRUNK = "127.0.0.2"
ATTACKER = "127.0.0.66"           # inside the trunk's network
STRANGER = "127.0.0.200"
SEAT_IP = "127.0.0.150"           # a seat phone (not a trunk source)
ROOT = Path(__file__).resolve().parents[2]


def seat_args(user: str, password: str) -> list[str]:
    return ["-s", user, "-au", user, "-ap", password]


async def trusted_edge(e: EdgeUnderTest) -> None:
    await e.edge.set_seats({"201": ha1("201", REALM, PASSWORD),
                            "202": ha1("202", REALM, "another-one")})
    await e.edge.set_trunk_sources([(TRUNK_NET, "demo")])


def test_brute_force_from_a_trunk_source_or_a_stranger_is_banned_after_ten_failures_sipp_tshark(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="callbox.security")

    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            monitor = SecurityMonitor(e.edge.bus, LoopClock())
            await trusted_edge(e)
            port = e.edge.cfg.sip.port
            with SipCapture(tmp_path / "brute.pcap", port) as cap:
                brutes = [await peers.sipp(
                    f"brute-{ip}", "register_refused.xml", e.remote, ip=ip, calls=12,
                    keys={"contactport": str(free_udp_port())},
                    args=seat_args("201", "wrong-guess") + ["-r", "3", "-l", "12",
                                                            "-recv_timeout", "1000"]).start()
                          for ip in (ATTACKER, STRANGER)]
                # the seat's own phone keeps registering from its address meanwhile
                phone_ok = []
                for n in range(4):
                    reg = peers.sipp(f"seat-{n}", "register.xml", e.remote, ip=SEAT_IP,
                                     keys={"contactport": str(free_udp_port(SEAT_IP))},
                                     args=seat_args("201", PASSWORD))
                    phone_ok.append(await reg.run() == 0)
                for brute in brutes:
                    await brute.wait(30)
                # the right password, from a banned address: not a single packet back
                right = peers.sipp("right-password", "register.xml", e.remote, ip=ATTACKER,
                                   keys={"contactport": str(free_udp_port())},
                                   args=seat_args("201", PASSWORD) + ["-recv_timeout", "1000"])
                assert await right.run() != 0
            assert phone_ok == [True] * 4
            banned = e.events_of("security.banned")
            assert sorted((b["ip"], b["reason"], b["seconds"]) for b in banned) == sorted([
                (ATTACKER, "auth_failed", 300), (STRANGER, "auth_failed", 300)])
            assert sorted(await e.edge.bans()) == sorted([ATTACKER, STRANGER])
            for ip in (ATTACKER, STRANGER):
                failures = [f["count"] for f in e.events_of("security.auth_failed")
                            if f["ip"] == ip]
                assert failures == list(range(1, 11))          # the 10th bans
                sent = cap.sent(ip)
                got = cap.got(ip)
                tenth = [p for p in sent if p.method == "REGISTER" and p.cseq == 2][9]
                after = [p for p in got if p.t > tenth.t]
                assert after == [], f"{ip} got {len(after)} packets after its ban"
                assert {p.status for p in got} == {401}
                assert len([p for p in got if p.cseq == 2]) == 9   # 9 failures answered
                print(f"brute force from {ip}: banned {tenth.t - sent[0].t:.2f} s after its "
                      f"first request, {len(got)} answers before the ban, 0 after; "
                      f"{len(sent)} requests sent in all")
            health = monitor.health()
            assert health["events"] == {"auth_failed": 20, "banned": 2}
            assert health["bans_active"] == 2
            monitor.close()
        lines = [r.getMessage() for r in caplog.records if r.name == "callbox.security"]
        assert len(lines) == 22
        parsed = [SecurityLine.parse(line) for line in lines]
        assert [str(p) for p in parsed] == lines
        assert ("reason", "auth_failed") in parsed[-1].fields or \
            any(p.kind == "banned" for p in parsed)
    run(body())


def test_invite_floods_from_a_trunk_source_and_a_stranger_are_cut_while_calls_go_on_sipp_tshark(
        tmp_path: Path) -> None:
    """200 INVITE/s from inside the trunk's network and 200/s from a stranger, 2 s each,
    to a DID that routes (the worst case: each INVITE would take a media node's room);
    a legitimate trunk caller places 5 calls/s throughout. Longer floods: make bench."""
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            await trusted_edge(e)
            limit = e.edge.settings.trunk_new_requests
            node = await peers.sipp("node", "uas_answer.xml", None, port=e.node_port(0),
                                    calls=None).start()
            e.placer.nodes = [node.port]
            with SipCapture(tmp_path / "flood.pcap", e.edge.cfg.sip.port) as cap:
                legit = await peers.sipp("legit", "uac_call.xml", e.remote, ip=LEGIT_TRUNK,
                                         calls=10, args=["-s", "100", "-r", "5", "-l", "10"]
                                         ).start()
                floods = [await peers.sipp(f"flood-{ip}", "invite_flood.xml", e.remote, ip=ip,
                                           calls=400, args=["-s", "100", "-r", "200"]).start()
                          for ip in (ATTACKER, STRANGER)]
                for flood in floods:
                    await flood.wait(30)
                legit_code = await legit.wait(30)
            await node.stop(now=True)         # the flood's calls wait for ACKs that never come
            assert legit_code == 0, legit.tail()              # 10 of 10 calls completed
            relayed = [m for m in node.received("INVITE") if "sip:flood@" in m]
            from_attacker = [m for m in relayed if f"@{ATTACKER}" in m]
            assert len(from_attacker) <= 2 * limit             # one window, maybe two
            assert [m for m in relayed if f"@{STRANGER}" in m] == []
            banned = {b["ip"]: b["reason"] for b in e.events_of("security.banned")}
            assert banned == {ATTACKER: "flood", STRANGER: "flood"}
            for ip in (ATTACKER, STRANGER):
                sent = [p for p in cap.sent(ip) if p.method == "INVITE"]
                got = cap.got(ip)
                answered = {p.call_id for p in got}
                last = max((p.t for p in sent if p.call_id in answered), default=0.0)
                cut = len([p for p in sent if p.t <= last])
                assert cut <= 2 * max(limit, e.edge.settings.flood_requests) + 5
                assert len(sent) >= 350                         # the flood went on regardless
                print(f"INVITE flood from {ip}: {len(sent)} sent, the last one answered was "
                      f"#{cut} at {last - sent[0].t:.2f} s, {len(got)} packets back in all; "
                      f"{len([m for m in relayed if f'@{ip}' in m])} reached a media node")
            print(f"legitimate calls during the floods: 10 of 10 completed "
                  f"({len(node.received('INVITE')) - len(relayed)} INVITEs at the node)")
    run(body())


def _dialog_of(caller_messages: list[str]) -> tuple[str, str, str, list[str]]:
    """Call-ID, From tag, To tag and Record-Route set of a call, from its caller's 200 OK."""
    ok = next(m for m in caller_messages if m.startswith("SIP/2.0 200"))
    call_id = header(ok, "Call-ID")[0]
    from_tag = header(ok, "From")[0].split("tag=")[1].split(";")[0]
    to_tag = header(ok, "To")[0].split("tag=")[1].split(";")[0]
    return call_id, from_tag, to_tag, header(ok, "Record-Route")


def test_forged_in_dialog_invites_reach_neither_the_node_nor_a_trunk_sipp_tshark(
        tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            await trusted_edge(e)
            node = await peers.sipp("node", "uas_answer.xml", None, port=e.node_port(0),
                                    calls=None).start()
            provider = await peers.sipp("provider", "uas_answer.xml", None, ip="127.0.0.9",
                                        calls=None).start()
            e.placer.nodes = [node.port]
            edge = (e.edge.cfg.sip.listen, e.edge.cfg.sip.port)
            attacker = RawSip(ATTACKER)
            stranger = RawSip(STRANGER)
            try:
                with SipCapture(tmp_path / "forged.pcap", e.edge.cfg.sip.port) as cap:
                    caller = await peers.sipp("caller", "uac_call_hold.xml", e.remote,
                                              ip=LEGIT_TRUNK,
                                              args=["-s", "100", "-d", "3000"]).start()
                    await until(lambda: node.received("ACK"), "the call is up")
                    call_id, from_tag, to_tag, rr = _dialog_of(caller.received())
                    route = ", ".join(rr)
                    node_uri = f"sip:127.0.0.1:{node.port}"
                    forged = [
                        # an invented dialog, routed to the node and to an outside trunk
                        (attacker, node_uri, "x1", "y1", None),
                        (attacker, f"sip:0049301234@127.0.0.9:{provider.port}", "x2", "y2",
                         None),
                        (stranger, node_uri, "x3", "y3", None),
                        # the real call's identifiers, sniffed, from outside the call
                        (attacker, node_uri, to_tag, from_tag, call_id),
                    ]
                    answers = []
                    for sock, ruri, ftag, ttag, cid in forged:
                        sock.request("INVITE", ruri, edge, to_tag=ttag, from_tag=ftag,
                                     call_id=cid, route=route, cseq=77)
                        answers += [status_of(a) for a in sock.answers(1.0, expect=1)]
                    assert await caller.wait() == 0, caller.tail()   # the real call ends well
            finally:
                attacker.close()
                stranger.close()
            await node.stop()
            await provider.stop()
            assert len(node.received("INVITE")) == 1          # the real call only
            assert provider.received() == []
            assert [m.split()[0] for m in node.received()] == ["INVITE", "ACK", "BYE"]
            assert answers == [481, 481, 481, 481]
            reasons = [(f["ip"], f["reason"]) for f in e.events_of("security.forged_in_dialog")]
            assert reasons == [(ATTACKER, "unknown_dialog"), (ATTACKER, "unknown_dialog"),
                               (STRANGER, "unknown_dialog"), (ATTACKER, "not_a_party")]
            for ip in (ATTACKER, STRANGER):
                assert {p.status for p in cap.got(ip)} == {481}
    run(body())


def test_numbers_that_route_nowhere_and_bad_dial_strings_stop_at_the_edge_sipp(
        tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e, Peers(tmp_path) as peers:
            await trusted_edge(e)
            node = await peers.sipp("node", "uas_answer.xml", None, port=e.node_port(0),
                                    calls=None).start()
            e.placer.nodes = [node.port]
            for n, did in enumerate(("999", "100%26200", "100*")):
                refused = peers.sipp(f"trunk-{n}", "invite_404.xml", e.remote, ip=LEGIT_TRUNK,
                                     args=["-s", did])
                assert await refused.run() == 0, refused.tail()
            seat = peers.sipp("seat-dials-junk", "invite_auth_484.xml", e.remote, ip=SEAT_IP,
                              keys={"seat": "201"},
                              args=["-s", "0301234%3Bx", "-au", "201", "-ap", PASSWORD])
            assert await seat.run() == 0, seat.tail()
            routed = peers.sipp("trunk-100", "uac_call.xml", e.remote, ip=LEGIT_TRUNK,
                                args=["-s", "100"])
            assert await routed.run() == 0, routed.tail()
            await node.stop()
            assert [m.split()[1].split("@")[0] for m in node.received("INVITE")] == ["sip:100"]
            assert [a.did for a in e.placer.asked] == ["100"]   # no room asked for the rest
            refusals = [(r["reason"], r["number"], r.get("trunk"), r.get("seat"), r["ip"])
                        for r in e.events_of("security.refused")]
            assert refusals == [
                ("no_route", "999", "demo", None, LEGIT_TRUNK),
                ("bad_number", "100%26200", "demo", None, LEGIT_TRUNK),
                ("bad_number", "100*", "demo", None, LEGIT_TRUNK),
                ("bad_dial_string", "0301234%3Bx", None, "201", SEAT_IP)]
    run(body())


SCANNERS = {"127.0.0.201": "friendly-scanner", "127.0.0.202": "sipcli/v1.8",
            "127.0.0.203": "VaxSIPUserAgent/3.1"}


def test_a_trunk_resending_its_invite_is_not_a_flood_but_new_invites_are_raw(
        tmp_path: Path) -> None:
    """A provider retransmits an INVITE the box is slow to answer: 150 copies of one
    request (same Call-ID, CSeq, branch) in a second are one request to the flood limits;
    the same number of new INVITEs (a new branch each) gets the source banned."""
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e:
            await trusted_edge(e)
            edge = (e.edge.cfg.sip.listen, e.edge.cfg.sip.port)
            resender, flooder = RawSip(LEGIT_TRUNK), RawSip("127.0.0.3")
            try:
                for _ in range(150):
                    resender.request("INVITE", f"sip:999@{edge[0]}", edge, call_id="one-call",
                                     from_tag="t1", branch="samebranch")
                resender.answers(0.3)
                # still answered (a banned source gets nothing at all)
                resender.request("OPTIONS", f"sip:{edge[0]}:{edge[1]}", edge)
                got = [status_of(a) for a in resender.answers(0.5)]
                assert got == [200], (got, e.events_of("security.banned"))
                for _ in range(150):
                    flooder.request("INVITE", f"sip:999@{edge[0]}", edge, call_id="one-call",
                                    from_tag="t1")
                await until(lambda: e.events_of("security.banned"), "the flooder banned")
                # (two workers may each see the count over the limit: one event each)
                assert {(b["ip"], b["reason"]) for b in e.events_of("security.banned")} == \
                    {("127.0.0.3", "flood")}
            finally:
                resender.close()
                flooder.close()
    run(body())


def test_scanner_user_agents_get_nothing_and_are_banned_raw(tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e:
            await trusted_edge(e)
            edge = (e.edge.cfg.sip.listen, e.edge.cfg.sip.port)
            for ip, agent in SCANNERS.items():
                sock = RawSip(ip)
                try:
                    sock.request("OPTIONS", f"sip:100@{edge[0]}", edge, user_agent=agent)
                    assert sock.answers(0.3) == []
                    # then as a phone: banned, so still nothing
                    sock.request("REGISTER", f"sip:{edge[0]}", edge, user_agent="Yealink")
                    assert sock.answers(0.3) == []
                finally:
                    sock.close()
            await until(lambda: len(e.events_of("security.banned")) == len(SCANNERS), "bans")
            banned = {b["ip"]: (b["reason"], b["ua"]) for b in e.events_of("security.banned")}
            assert banned == {ip: ("scanner", ua) for ip, ua in SCANNERS.items()}
    run(body())


def _sipvicious(tool: str, bind: str, agent: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "tests.sipedge.sipvicious", tool, bind, agent, *args]


async def _run_tool(argv: list[str], log: Path) -> str:
    """Run a tool to its end; svcrack, once it says it stopped for want of answers, is
    interrupted (it would wait 10 s more on its socket for stray answers)."""
    proc = await asyncio.create_subprocess_exec(*argv, cwd=str(ROOT),
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    lines = []
    try:
        async with asyncio.timeout(60):
            while line := await proc.stdout.readline():
                lines.append(line.decode(errors="replace"))
                if "since we last received a response - stopping" in lines[-1]:
                    proc.send_signal(signal.SIGINT)
            await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.write_text("".join(lines))
    return "".join(lines)


def test_sipvicious_svwar_finds_no_extension_and_svcrack_is_banned_before_the_password_tshark(
        tmp_path: Path) -> None:
    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e:
            await trusted_edge(e)
            target = f"udp://{e.edge.cfg.sip.listen}:{e.edge.cfg.sip.port}"
            with SipCapture(tmp_path / "sipvicious.pcap", e.edge.cfg.sip.port) as cap:
                runs = [
                    # as shipped: its User-Agent gives it away
                    _sipvicious("svwar", "127.0.0.210", "-", "-e100-999", "--maximumtime", "2",
                                target),
                    # disguised, forced on: every extension answers alike, nothing stands out
                    *(_sipvicious("svwar", f"127.0.0.{211 + n}", "Zoiper", "-e200-209",
                                  "--force", "-m", method, "--maximumtime", "2", target)
                      for n, method in enumerate(("REGISTER", "INVITE", "OPTIONS"))),
                    # the password is in svcrack's range; the ban comes first
                    _sipvicious("svcrack", "127.0.0.220", "Zoiper", "-u201", "-r1000-1999",
                                "--maximumtime", "2", target)]
                plain, *scans, crack = await asyncio.gather(*(
                    _run_tool(argv, tmp_path / f"sipvicious-{n}.log")
                    for n, argv in enumerate(runs)))
                found = dict(zip(("REGISTER", "INVITE", "OPTIONS"), scans))
            for log in (plain, *found.values()):
                assert "found nothing" in log and "| Extension" not in log, log[-800:]
            assert "found nothing" in crack and PASSWORD not in crack, crack[-800:]
            banned = {b["ip"]: b["reason"] for b in e.events_of("security.banned")}
            assert banned == {"127.0.0.210": "scanner", "127.0.0.220": "auth_failed"}
            assert cap.got("127.0.0.210") == []
            cracked = [p for p in cap.sent("127.0.0.220") if p.method == "REGISTER"]
            answered = cap.got("127.0.0.220")
            assert len([p for p in answered if p.status == 401]) <= 2 * 10
            print(f"svcrack: {len(cracked)} REGISTERs sent, {len(answered)} answers, banned "
                  "after 10 wrong passwords (the right one, 1500, was never tried)")
    run(body())


def test_existing_and_unknown_users_get_identical_answers_raw(tmp_path: Path) -> None:
    """Status, reason and every header but the per-request ones (tags, branch, nonce)."""
    per_request = {"via", "from", "to", "call-id", "cseq", "www-authenticate",
                   "proxy-authenticate"}

    def shape(message: str) -> tuple[object, ...]:
        first, *lines = message.split("\r\n\r\n", 1)[0].split("\r\n")
        names = tuple(line.split(":", 1)[0].strip().lower() for line in lines)
        fixed = tuple(line for line in lines if line.split(":", 1)[0].strip().lower()
                      not in per_request)
        challenge = [v.split("nonce=")[0] + v.split("nonce=")[1].split(",", 1)[-1]
                     for name in ("WWW-Authenticate", "Proxy-Authenticate")
                     for v in header_values(message, name)]
        return first, names, fixed, tuple(challenge)

    async def body() -> None:
        async with running_edge(tmp_path / "var", realm=REALM) as e:
            await trusted_edge(e)
            edge = (e.edge.cfg.sip.listen, e.edge.cfg.sip.port)
            phone = RawSip(SEAT_IP)
            try:
                for method in ("REGISTER", "INVITE", "OPTIONS", "SUBSCRIBE"):
                    shapes = []
                    for user in ("201", "999"):
                        aor = f"sip:{user}@{edge[0]}"
                        if method == "REGISTER":
                            phone.request(method, f"sip:{edge[0]}", edge, aor=aor)
                        else:
                            phone.request(method, aor, edge)
                        [answer] = phone.answers(1.0, expect=1)
                        shapes.append(shape(answer))
                    assert shapes[0] == shapes[1], method
            finally:
                phone.close()
    run(body())

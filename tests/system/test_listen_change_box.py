"""A listen change through the real daemon (``callbox run``), Kamailio and web server,
in a private network namespace with a second address on ``lo``; after the move a sipp
caller's call through the new address is answered (the media nodes followed the edge).

Kamailio is the peer that proves where the edge listens: a raw SIP OPTIONS to
``sip:<address>:<port>`` is answered "200 Keepalive" only by an edge that listens
there (``uri == myself``); the old address then answers nothing. The web side is
proven by connecting: the confirmation is accepted only on the new address.
"""
from __future__ import annotations

import os
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from drivers.board_profile import SIM_IDENTITY
from tests.support.appliance import Appliance
from tests.support.http import Client
from tests.support.load import place_calls
from tests.support.mdns import ask
from tests.support.net import free_port, wait_for

pytestmark = [pytest.mark.network, pytest.mark.slow]

NEW_ADDR = "10.77.0.1"


@pytest.fixture(scope="module")
def second_address() -> str:
    """10.77.0.1 on lo, inside tests/netns-run's namespace only (never on the host)."""
    if os.environ.get("CALLBOX_IN_NETNS") != "1":
        pytest.skip("needs tests/netns-run's private network namespace to add an address")
    # each xdist worker runs this fixture: another may add the address between our look
    # and our add ("File exists"), so the add may fail and the address must be there after
    subprocess.run(["ip", "addr", "add", f"{NEW_ADDR}/32", "dev", "lo"], capture_output=True,
                   check=False)
    have = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "lo"], capture_output=True,
                          text=True, check=True).stdout
    assert f"{NEW_ADDR}/32" in have, have
    return NEW_ADDR


def options(host: str, port: int) -> str | None:
    """The status line Kamailio answers a SIP OPTIONS with, or None (refused, or nothing
    within 2 s)."""
    branch = "z9hG4bK" + uuid.uuid4().hex[:12]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2.0)
        s.connect((host, port))
        local = s.getsockname()
        s.send((f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch={branch};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:probe@{local[0]}>;tag={uuid.uuid4().hex[:8]}\r\n"
                f"To: <sip:{host}:{port}>\r\n"
                f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 OPTIONS\r\n"
                "User-Agent: callbox-test\r\nContent-Length: 0\r\n\r\n").encode())
        try:
            return s.recv(4096).decode(errors="replace").split("\r\n")[0]
        except (ConnectionRefusedError, socket.timeout):
            return None


def web_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def login(box: Appliance, base: str, password: str | None = None
          ) -> tuple[Client, dict[str, str]]:
    c = Client(base)
    token = c.get("/login").form_token()
    r = c.post("/login", {"csrf": token, "username": "admin",
                          "password": password or box.credentials()["admin"]},
               headers={"Origin": base})
    assert r.status in (302, 303), (r.status, r.text[:300])
    return c, {"Origin": base, "X-CSRF-Token": c.get("/admin/system").form_token()}


def audit(box: Appliance) -> list[tuple[str, str]]:
    return [(r["action"], r["actor"]) for r in box.query(
        "SELECT action, actor FROM audit_log WHERE action LIKE 'system.listen%' ORDER BY seq")]


def start_box(tmp: Path, window: int = 120) -> Appliance:
    (tmp / "box").mkdir()
    return Appliance(tmp / "box", nodes_min=1, nodes_max=2,
                     web=f"listen_confirm_s = {window}\n").start()


def change(box: Appliance, addr: str) -> tuple[int, int, dict[str, Any]]:
    c, headers = login(box, box.web)
    web_port = free_port(socket.SOCK_STREAM, None, host=addr)
    sip_port = free_port(socket.SOCK_DGRAM, None, host=addr)
    r = c.request("PUT", "/api/system/listen", headers=headers, json={
        "web_listen": addr, "web_port": web_port, "sip_listen": addr, "sip_port": sip_port})
    assert r.status == 200, r.text
    return web_port, sip_port, r.json()


def test_moved_edge_answers_on_the_new_address_only_and_a_confirmation_keeps_it(
        tmp_path: Path, second_address: str) -> None:
    box = start_box(tmp_path)
    try:
        before = box.config.read_text()
        assert options("127.0.0.1", box.sip_port) == "SIP/2.0 200 Keepalive"
        web_port, sip_port, view = change(box, second_address)
        assert view["state"] == "pending"
        assert view["pending"]["confirm_url"] == f"http://{second_address}:{web_port}/admin/system#network"
        assert options(second_address, sip_port) == "SIP/2.0 200 Keepalive"
        assert options("127.0.0.1", box.sip_port) is None
        assert (box.dir / "callbox.toml.prev").read_text() == before

        # the old address still serves, but cannot confirm
        old, old_headers = login(box, box.web)
        r = old.request("POST", "/api/system/listen/confirm", headers=old_headers, json={})
        assert r.status == 409 and "open http://" in r.json()["error"], r.text

        new_base = f"http://{second_address}:{web_port}"
        new, headers = login(box, new_base)
        page = new.get("/admin/system").text
        assert 'id="keep-listen"' in page
        r = new.request("POST", "/api/system/listen/confirm", headers=headers, json={})
        assert r.status == 200 and r.json()["state"] == "steady", r.text
        wait_for(lambda: not web_up("127.0.0.1", box.web_port), 30, "the old web server closed")
        assert options(second_address, sip_port) == "SIP/2.0 200 Keepalive"
        health = wait_for(lambda: (h := new.get("/api/health").json())["status"] == "ok" and h,
                          60, "health ok after the move (media nodes follow the edge)")
        assert health["components"]["kamailio"]["listen"] == f"udp:{second_address}:{sip_port}"
        # a trunk's call to the new address reaches a media node (which follows the edge)
        callers = place_calls(tmp_path / "callers", sip_port, "100", 1, 5.0, 2.0,
                              edge_host=second_address)
        assert callers.wait(60)["calls_ok"] == 1
        text = box.config.read_text()
        assert f'listen = "{second_address}"' in text and f"port = {web_port}" in text
        assert not (box.var / "listen-pending.json").exists()
        assert audit(box) == [("system.listen_change", "admin"),
                              ("system.listen_confirm", "admin")]
    finally:
        box.stop()


def test_without_a_confirmation_the_box_goes_back_by_itself(
        tmp_path: Path, second_address: str) -> None:
    box = start_box(tmp_path, window=5)
    try:
        before = box.config.read_text()
        web_port, sip_port, _ = change(box, second_address)
        assert options(second_address, sip_port) == "SIP/2.0 200 Keepalive"
        wait_for(lambda: options("127.0.0.1", box.sip_port) == "SIP/2.0 200 Keepalive", 60,
                 "the edge back on its previous address")
        wait_for(lambda: not web_up(second_address, web_port), 30, "the new web server closed")
        assert options(second_address, sip_port) is None
        assert box.config.read_text() == before
        assert box.health()["status"] in ("ok", "degraded")
        assert audit(box) == [("system.listen_change", "admin"),
                              ("system.listen_revert", "system:listen-change")]
        row = box.query("SELECT detail FROM audit_log WHERE action = 'system.listen_revert'")
        assert '"reason":"expire"' in row[0]["detail"]
    finally:
        box.stop()


def test_a_restart_inside_the_window_comes_back_on_the_previous_addresses(
        tmp_path: Path, second_address: str) -> None:
    box = start_box(tmp_path)
    try:
        before = box.config.read_text()
        _, sip_port, _ = change(box, second_address)
        assert (box.var / "listen-pending.json").exists()
        box.stop()
        box.start()                 # waits for health on the previous web address
        assert box.config.read_text() == before
        assert options("127.0.0.1", box.sip_port) == "SIP/2.0 200 Keepalive"
        assert options(second_address, sip_port) is None
        assert audit(box)[-1] == ("system.listen_revert", "system:listen-change")
    finally:
        box.stop()


def test_an_address_not_on_the_box_is_refused_naming_the_field_and_nothing_changes(
        tmp_path: Path) -> None:
    box = start_box(tmp_path)
    try:
        before = box.config.read_text()
        c, headers = login(box, box.web)
        r = c.request("PUT", "/api/system/listen", headers=headers,
                      json={"sip_listen": "192.0.2.77"})
        assert r.status == 400, r.text
        assert r.json()["error"].startswith("sip_listen: 192.0.2.77 is not an address of this box")
        assert box.config.read_text() == before
        assert not (box.dir / "callbox.toml.prev").exists()
        assert options("127.0.0.1", box.sip_port) == "SIP/2.0 200 Keepalive"
        assert audit(box) == []
    finally:
        box.stop()


def test_behind_the_https_front_only_the_sip_edge_moves_and_is_confirmed_where_it_is(
        tmp_path: Path, second_address: str) -> None:
    (tmp_path / "box").mkdir()
    box = Appliance(tmp_path / "box", nodes_min=1, nodes_max=2,
                    web='trusted_proxy = "127.0.0.1"\n').start()
    try:
        c, headers = login(box, box.web)
        page = c.get("/admin/system").text
        assert "only the SIP edge&#039;s address can be changed here" in page
        assert 'name="sip_listen"' in page and 'name="web_listen"' not in page
        r = c.request("PUT", "/api/system/listen", headers=headers, json={"web_port": 8099})
        assert r.status == 409 and r.json()["error"].startswith("web_port: this box is reached "
                                                                 "through its HTTPS front"), r.text
        sip_port = free_port(socket.SOCK_DGRAM, None, host=second_address)
        r = c.request("PUT", "/api/system/listen", headers=headers,
                      json={"sip_listen": second_address, "sip_port": sip_port})
        assert r.status == 200, r.text
        assert options(second_address, sip_port) == "SIP/2.0 200 Keepalive"
        assert 'id="keep-listen"' in c.get("/admin/system").text   # the web address stays
        r = c.request("POST", "/api/system/listen/confirm", headers=headers, json={})
        assert r.status == 200 and r.json()["state"] == "steady", r.text
        assert web_up("127.0.0.1", box.web_port)
        assert f'listen = "{second_address}"' in box.config.read_text()
    finally:
        box.stop()


def announced_sip(address: str) -> tuple[str, str] | None:
    """(port, address) the mDNS announcement of this box's SIP edge gives when asked at
    ``address``, or None yet. Asked by the instance name (the simulated card's serial),
    not by browsing, so that another box's announcement cannot be taken for this one's."""
    name = "Callbox\\032" + SIM_IDENTITY.serial + "._sip._udp.local"
    srv = ask(address, name, "SRV").split()
    if len(srv) != 4 or not srv[2].isdigit():
        return None
    found = ask(address, srv[3], "A").strip()
    return (srv[2], found) if found and not found.startswith(";") else None


def test_the_mdns_announcement_follows_the_move(tmp_path: Path, second_address: str) -> None:
    # Loopback has no MULTICAST flag by default; this namespace is ours to change.
    subprocess.run(["ip", "link", "set", "lo", "multicast", "on"], check=True)
    (tmp_path / "box").mkdir()
    box = Appliance(tmp_path / "box", nodes_min=1, nodes_max=2,
                    web="listen_confirm_s = 120\n", discovery=True).start()
    try:
        wait_for(lambda: announced_sip("127.0.0.1") == (str(box.sip_port), "127.0.0.1"), 60,
                 "the edge announced on its first address")
        _, sip_port, _ = change(box, second_address)
        wait_for(lambda: announced_sip(second_address) == (str(sip_port), second_address), 60,
                 "the edge announced on its new address")
    finally:
        box.stop()

"""The firmware upload through the real web server: a real signed RAUC bundle of 40 MiB
(above the 32 MiB every other route takes) is streamed over HTTP to var/update/ and
installed by the background job; refusals name their reason and leave no file.

``rauc install`` cannot run here (no device-mapper, no slots), so the job's install
step is ``tests/support/fake_rauc.py``: the real ``rauc extract`` checks signature and
payload, and the lines it prints are RAUC 1.8's progress format. Every check before
it (``rauc info`` with the keyring, compatible, version) is the real one.
"""
from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any, Iterator

import pytest

from firmware.crm.permissions import Principal
from tests.image.conftest import make_keys
from tests.webui.firmware_support import (BIG, Box, Upload, bundle, incoming, needs_rauc,
                                          pieces, session, tampered, wait_for)
from tests.webui.support import Web, start_web, stop_web
from webui.spool import InsufficientStorage, Spool, TooLarge, refusal

pytestmark = pytest.mark.skipif(not needs_rauc, reason="rauc and mksquashfs are needed")
ADMIN = Principal.system("test")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("bundles")
    k = make_keys(folder)
    return {"keys": k, "big": bundle(folder / "big", k["dev"], size=BIG),
            "small": bundle(folder / "small", k["dev"]),
            "old": bundle(folder / "old", k["dev"], version="0.1.0.1000")}


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, made: dict[str, Any]
        ) -> Iterator[tuple[Web, Box]]:
    tmp = tmp_path_factory.mktemp("fw")
    web = start_web(tmp)
    rauc = Box(tmp / "rauc", made["keys"]["dev"])
    rauc.folder.mkdir()
    rauc.attach(web)
    try:
        yield web, rauc
    finally:
        web.api._update_jobs().join(30)
        stop_web(web)


def status(web: Web, headers: dict[str, str]) -> dict[str, Any]:
    c = web.client()
    return c.get("/api/system/firmware", headers=headers).json()


def upload(web: Web, path: Path, headers: dict[str, str], name: str = "") -> tuple[int, str]:
    up = Upload(web, name or path.name, path.stat().st_size, headers)
    up.send(pieces(path))
    return up.reply()


def finished(web: Web, headers: dict[str, str]) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        job = status(web, headers)["job"]
        return job if job and job["state"] in ("installed", "failed") else None
    return wait_for("the install job ended", ended)


def audit(web: Web) -> list[str]:
    return [r["action"] for r in web.api.audit_log(ADMIN, limit=50)["items"]]


def test_a_40_mib_bundle_streams_to_disk_and_installs(box: tuple[Web, Box],
                                                      made: dict[str, Any]) -> None:
    web, rauc = box
    cookie, token = session(web)
    headers = {**cookie, "X-CSRF-Token": token}
    big: Path = made["big"]
    size = big.stat().st_size
    assert size > 32 * 1024 * 1024
    up = Upload(web, "callbox-0.1.0.3000.raucb", size, headers)
    half = size // 2
    up.send(pieces(big, 0, half))
    # the first half is on the data partition while the second is still to come
    spooled = wait_for("the first half written to var/update",
                       lambda: [p for p in incoming(web) if p.stat().st_size >= half])
    assert spooled[0].name.startswith("incoming-") and spooled[0].suffix == ".raucb"
    up.send(pieces(big, half))
    code, body = up.reply()
    assert code == 202, body
    started = json.loads(body)
    assert started["name"] == "callbox-0.1.0.3000.raucb" and started["by"] == "admin"
    job = finished(web, headers)
    assert job["state"] == "installed", job
    assert job["checks"] == ["signature", "compatible", "version"]
    assert job["slot"] == "rootfs.1" and job["percent"] == 100
    assert job["version"] == "0.1.0.3000"
    assert "90% Copying image to rootfs.1" in job["lines"]
    # the slot holds the bundle's root image (most of the bundle); the upload is gone
    assert (rauc.slots / "rootfs.1").stat().st_size > 40 * 1024 * 1024
    assert incoming(web) == []
    actions = audit(web)
    assert "system.firmware_update" in actions
    wait_for("the end audited", lambda: "system.firmware_installed" in audit(web))
    # then the reboot: form with the CSRF token, audited
    c = web.client()
    c.cookies.update(dict(kv.split("=", 1) for kv in cookie["Cookie"].split("; ")))
    page = c.post("/admin/system/reboot", {"csrf": token}, headers=web.origin)
    assert page.status == 200 and "rebooting" in page.text.lower()
    assert len(rauc.reboots) == 1
    assert "system.reboot" in audit(web)
    refused = c.post("/admin/system/reboot", {"csrf": "wrong"}, headers=web.origin)
    assert refused.status == 403 and len(rauc.reboots) == 1


def test_refusals_name_the_reason_and_leave_no_file(box: tuple[Web, Box],
                                                    made: dict[str, Any]) -> None:
    web, _rauc = box
    cookie, token = session(web)
    headers = {**cookie, "X-CSRF-Token": token}
    cases = [(tampered(made["small"], -200), "signature", "not a bundle signed by a trusted key"),
             (tampered(made["small"], 100), "install", "bundle payload is corrupted"),
             (made["old"], "downgrade", "older than the running 0.1.0.2000")]
    for path, reason, words in cases:
        code, body = upload(web, path, headers, "x.raucb")
        assert code == 202, body
        job = finished(web, headers)
        assert job["state"] == "failed" and job["reason"] == reason, job
        assert words in job["error"]
        assert incoming(web) == [], reason
    # not a .raucb name, not logged in, no CSRF token: refused, nothing kept
    code, body = upload(web, made["small"], headers, "notes.txt")
    assert code == 400 and "expected a .raucb file" in body
    code, body = upload(web, made["small"], {"X-CSRF-Token": token})
    assert code in (401, 403), body
    code, body = upload(web, made["small"], cookie)
    assert code == 403 and "form token" in body
    # the server removes an unclaimed body when it closes the request, just after answering
    wait_for("the refused uploads removed", lambda: incoming(web) == [])


def test_too_large_and_chunked_are_refused_before_a_byte_is_written(
        box: tuple[Web, Box]) -> None:
    web, _rauc = box
    cookie, token = session(web)
    headers = {**cookie, "X-CSRF-Token": token}
    limit = web.api.firmware_upload_max()
    up = Upload(web, "huge.raucb", limit + 1, headers)       # the headers only
    code, body = up.reply()
    assert code == 413 and f"at most {limit} bytes" in body
    assert incoming(web) == []
    host, port = web.server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port))) as s:
        s.sendall((f"PUT /api/system/firmware?name=a.raucb HTTP/1.1\r\nHost: {host}\r\n"
                   f"Cookie: {cookie['Cookie']}\r\nX-CSRF-Token: {token}\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n").encode())
        answer = s.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 411") and "Content-Length" in answer
    assert incoming(web) == []


def test_no_room_on_the_data_partition_is_refused_first(tmp_path: Path) -> None:
    spool = Spool("PUT", "/x", lambda: tmp_path, lambda: 1 << 60)
    from firmware.update_job import free_bytes
    why = refusal(spool, free_bytes(tmp_path) + 1)
    assert isinstance(why, InsufficientStorage) and "room for" in why.body
    assert isinstance(refusal(Spool("PUT", "/x", lambda: tmp_path, lambda: 10), 11), TooLarge)
    assert refusal(spool, 1) is None


def test_an_aborted_upload_leaves_no_file(box: tuple[Web, Box], made: dict[str, Any]) -> None:
    web, _rauc = box
    cookie, token = session(web)
    big: Path = made["big"]
    up = Upload(web, "cut.raucb", big.stat().st_size, {**cookie, "X-CSRF-Token": token})
    up.send(pieces(big, 0, 8 * 1024 * 1024))
    wait_for("the upload begun on disk", lambda: incoming(web))
    up.abort()
    wait_for("the partial file removed", lambda: incoming(web) == [])


def test_one_install_at_a_time(box: tuple[Web, Box], made: dict[str, Any]) -> None:
    web, rauc = box
    cookie, token = session(web)
    headers = {**cookie, "X-CSRF-Token": token}
    rauc.hold = True
    rauc.gate.unlink(missing_ok=True)
    try:
        code, body = upload(web, made["small"], headers, "first.raucb")
        assert code == 202, body
        wait_for("the first install holding at its slot",
                 lambda: status(web, headers)["job"]["activity"] == "Checking slot rootfs.1")
        code, body = upload(web, made["small"], headers, "second.raucb")
        assert code == 409 and "an install is already running: first.raucb" in body
        reboot = web.client()
        reboot.cookies.update(dict(kv.split("=", 1) for kv in cookie["Cookie"].split("; ")))
        r = reboot.post("/api/system/reboot", {}, headers={**web.origin, "X-CSRF-Token": token})
        assert r.status == 409 and "an install is running" in r.text
        rauc.gate.touch()
        job = finished(web, headers)
        assert job["state"] == "installed" and job["name"] == "first.raucb"
        assert incoming(web) == []
    finally:
        rauc.hold = False
        rauc.gate.touch()


def test_a_stalled_upload_is_dropped_and_its_file_removed(tmp_path: Path) -> None:
    """The streamed route's deadline is about progress: a client that stops sending is
    dropped once a window passes without enough bytes (a short window here)."""
    import bottle
    from webui.server import SPOOL_MIN_BYTES, WebServer
    app = bottle.Bottle()
    app.route("/up", "PUT", lambda: "taken")
    folder = tmp_path / "update"
    spool = Spool("PUT", "/up", lambda: folder, lambda: 1 << 30, suffix=".raucb")
    server = WebServer(app, "127.0.0.1", 0, threads=2, spools=(spool,), spool_window_s=0.5)
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
            s.sendall(b"PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
            s.sendall(b"x" * (2 * SPOOL_MIN_BYTES))           # some progress, then silence
            wait_for("the upload on disk", lambda: list(folder.glob("incoming-*.raucb")))
            assert s.recv(100) == b""                          # the server hung up
        wait_for("the partial file removed", lambda: not list(folder.glob("incoming-*")))
        assert server.dropped == 1
    finally:
        server.stop()


def test_leftovers_of_an_earlier_run_are_cleared(tmp_path: Path) -> None:
    from firmware.update_job import clear_leftovers
    (tmp_path / "incoming-ab.raucb").write_bytes(b"x")
    (tmp_path / "bundle-cd.raucb").write_bytes(b"y")
    (tmp_path / "keep.txt").write_text("not ours")
    assert clear_leftovers(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert clear_leftovers(tmp_path / "none") == 0

"""What the firmware-upload tests share: an installed box's view in files (system.conf,
keyring, running version), real signed RAUC bundles, the stand-in for ``rauc install``
(``tests/support/fake_rauc.py``) and a streamed HTTP upload over a raw connection.

Bundles are made per test session in a temporary folder (never committed): their
payload is random, so a bundle is as big as asked (40 MiB: above the 32 MiB every
other route takes).
"""
from __future__ import annotations

import http.client
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from firmware import update
from image import render
from tests.image.conftest import Key, make_bundle
from tests.support import fake_rauc
from tests.webui.support import Web

MiB = 1024 * 1024
BIG = 40 * MiB
needs_rauc = shutil.which("rauc") is not None and shutil.which("mksquashfs") is not None


@dataclass
class Box:
    """The box's RAUC side in *folder*: its slots are files under ``slots``; ``gate``
    lets a held install go on; ``reboots`` counts reboots asked for."""
    folder: Path
    key: Key
    hold: bool = False
    reboots: list[float] = field(default_factory=list)

    @property
    def slots(self) -> Path:
        return self.folder / "slots"

    @property
    def gate(self) -> Path:
        return self.folder / "gate"

    def updater(self) -> update.Updater:
        conf = self.folder / "system.conf"
        conf.write_text(render.rauc_system_conf())
        version = self.folder / "image-version"
        version.write_text("0.1.0.2000\n")
        hold = ["--hold", str(self.gate)] if self.hold else []

        def install(bundle: Path) -> list[str]:
            return [sys.executable, fake_rauc.__file__, "--keyring", str(self.key.cert),
                    "--slots", str(self.slots), *hold, "install", str(bundle)]
        return update.Updater(keyring=self.key.cert, system_conf=conf, version_file=version,
                              install_cmd=install)

    def attach(self, web: Web) -> None:
        web.api.attach_updater(self.updater)
        web.api.attach_reboot(lambda: self.reboots.append(time.time()))


def bundle(folder: Path, key: Key, version: str = "0.1.0.3000", size: int = 64 * 1024,
           compatible: str = render.COMPATIBLE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return make_bundle(folder, key, version, compatible, payload_bytes=size)


def tampered(src: Path, where: int) -> Path:
    """A copy of *src* with one byte flipped at *where* (negative: from the end)."""
    data = bytearray(src.read_bytes())
    data[where] ^= 0xFF
    out = src.with_name(f"tampered{where}-{src.name}")
    out.write_bytes(bytes(data))
    return out


def session(web: Web) -> tuple[dict[str, str], str]:
    """An admin's cookies (as a header) and CSRF token."""
    c, reply = web.login("admin")
    assert reply.status == 303, reply.status
    page = c.get("/admin/system")
    token = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in c.cookies.items())}, token


class Upload:
    """``PUT /api/system/firmware`` over one connection, the body sent in pieces."""

    def __init__(self, web: Web, name: str, length: int, headers: dict[str, str]) -> None:
        host, port = web.server.url.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.conn.putrequest("PUT", f"/api/system/firmware?name={name}")
        for k, v in {"Content-Length": str(length), "Content-Type": "application/octet-stream",
                     "Origin": web.server.url, **headers}.items():
            self.conn.putheader(k, v)
        self.conn.endheaders()

    def send(self, chunks: Iterator[bytes]) -> None:
        for chunk in chunks:
            self.conn.send(chunk)

    def reply(self) -> tuple[int, str]:
        resp = self.conn.getresponse()
        body = resp.read().decode()
        self.conn.close()
        return resp.status, body

    def abort(self) -> None:
        self.conn.close()


def pieces(path: Path, start: int = 0, stop: int | None = None,
           size: int = MiB) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        left = (stop if stop is not None else path.stat().st_size) - start
        while left > 0:
            chunk = f.read(min(size, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def incoming(web: Web) -> list[Path]:
    folder = web.api.update_folder()
    return sorted(folder.iterdir()) if folder.is_dir() else []


def wait_for(what: str, cond: Callable[[], Any], limit_s: float = 120.0) -> Any:
    """Poll *cond* until it is truthy (the limit only keeps a broken run from hanging;
    nothing here asserts how long anything took)."""
    until = time.monotonic() + limit_s
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > until:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)

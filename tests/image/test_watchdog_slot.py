"""sd_notify (READY/WATCHDOG through a real datagram socket) and marking the slot good."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from firmware import app as app_mod
from firmware import sdnotify, slot


@pytest.fixture
def notify_socket(tmp_path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(tmp_path / "notify"))
    s.settimeout(5)
    yield s
    s.close()


def _env(sock: socket.socket, usec: str = "4000000") -> dict[str, str]:
    return {"NOTIFY_SOCKET": sock.getsockname(), "WATCHDOG_USEC": usec,
            "WATCHDOG_PID": str(os.getpid())}


def test_notifier_sends_fields(notify_socket: socket.socket) -> None:
    n = sdnotify.Notifier(_env(notify_socket))
    assert n.enabled and n.ping_interval == 2.0
    assert n.notify(READY="1", STATUS="healthy")
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=healthy"


def test_notifier_off_outside_systemd_and_for_other_pids(notify_socket: socket.socket) -> None:
    off = sdnotify.Notifier({})
    assert not off.enabled and off.ping_interval is None and not off.notify(READY="1")
    other = sdnotify.Notifier({**_env(notify_socket), "WATCHDOG_PID": "1"})
    assert other.ping_interval is None          # the watchdog is another process's


def test_abstract_socket_address() -> None:
    assert sdnotify.Notifier({"NOTIFY_SOCKET": "@/org/x"}).address == "\0/org/x"


def _drain(sock: socket.socket) -> list[bytes]:
    got = []
    sock.settimeout(0)
    try:
        while True:
            got.append(sock.recv(64))
    except BlockingIOError:
        return got
    finally:
        sock.settimeout(5)


def test_pings_come_from_the_loop_and_stop_when_it_is_blocked(
        notify_socket: socket.socket) -> None:
    """Pings while the loop runs; none while it is blocked (what systemd's watchdog sees)."""
    n = sdnotify.Notifier(_env(notify_socket, usec="100000"))   # ping every 0.05 s

    async def main() -> None:
        task = asyncio.create_task(app_mod._watchdog_pings(n, n.ping_interval or 0))
        await asyncio.sleep(0.3)
        assert set(_drain(notify_socket)) == {b"WATCHDOG=1"}    # pinged while running
        time.sleep(0.5)                           # the loop is hung: no task runs
        assert _drain(notify_socket) == []
        await asyncio.sleep(0.2)
        assert notify_socket.recv(64) == b"WATCHDOG=1"   # pings resume with the loop
        task.cancel()

    asyncio.run(main())


class _Api:
    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers = answers

    async def check_health(self) -> dict[str, Any]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class _App:
    def __init__(self, api: _Api) -> None:
        from acd_core.clock import Clock
        self.api = api
        loop_clock = app_mod.LoopClock()
        self.clock: Clock = loop_clock


def _health(**statuses: str) -> dict[str, Any]:
    return {"status": "ok", "components": {k: {"status": v} for k, v in statuses.items()}}


def test_ready_only_after_kamailio_media_and_database_are_ok(
        notify_socket: socket.socket) -> None:
    n = sdnotify.Notifier(_env(notify_socket))
    api = _Api([_health(kamailio="down", media_nodes="ok", database="ok"),
                _health(kamailio="ok", media_nodes="ok", database="ok", hardware="degraded")])
    asyncio.run(app_mod._report_ready(_App(api), n, mark_slot=False,   # type: ignore[arg-type]
                                      every_s=0.01))
    assert notify_socket.recv(4096) == b"STATUS=starting: kamailio is down"
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=healthy"


def test_healthy_for_boot_names_what_is_missing() -> None:
    assert slot.healthy_for_boot(_health(kamailio="ok", media_nodes="ok", database="ok"))[0]
    assert slot.healthy_for_boot(_health(kamailio="ok", media_nodes="degraded",
                                         database="ok")) == (False, "media_nodes is degraded")
    assert slot.healthy_for_boot({}) == (False, "kamailio is missing")


def test_mark_good_runs_rauc_and_leaves_the_marker(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def rauc(argv: list[str]) -> "subprocess.CompletedProcess[str]":
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, "marked slot rootfs.1 as good", "")

    marker = tmp_path / "run/slot-good"
    assert slot.mark_good(rauc, marker)
    assert calls == [["rauc", "status", "mark-good"]] and marker.read_text() == "good\n"


def test_mark_good_refused_leaves_no_marker(tmp_path: Path) -> None:
    def rauc(argv: list[str]) -> "subprocess.CompletedProcess[str]":
        return subprocess.CompletedProcess(argv, 1, "", "Failed to mark slot")

    assert not slot.mark_good(rauc, tmp_path / "slot-good")
    assert not (tmp_path / "slot-good").exists()

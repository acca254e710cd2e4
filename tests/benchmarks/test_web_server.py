"""The web server under slow-loris clients: ours (waitress, ``webui.server``) against
the reference it replaced (cheroot with the old settings: 8 threads, 10 s timeout).

Per server and attack size (0, 8, 48 clients each dripping one byte of a request
every second): the share of ``/hello`` probes answered within 2 s, the probes'
median latency as a ratio of the idle median, and the CPU the whole process
spent during the attack (% of one core). Figures go to ``extra_info``.
"""
from __future__ import annotations

import resource
import socket
import statistics
import threading
import time
from typing import Any, Callable, Iterator

import bottle
import pytest

from webui.server import WebServer

ATTACKS = (0, 8, 48)
PROBES = 6
PAYLOAD = b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 2000


def hello() -> bottle.Bottle:
    app = bottle.Bottle()
    app.route("/hello", "GET", lambda: "hi")
    return app


class Cheroot:
    """The reference: cheroot as ``webui/server.py`` configured it before issue 22."""

    def __init__(self) -> None:
        from cheroot import wsgi
        self.server = wsgi.Server(("127.0.0.1", 0), hello(), numthreads=8, max=8, timeout=10,
                                  shutdown_timeout=1)
        self.thread = threading.Thread(target=self.server.serve, daemon=True)

    def start(self) -> int:
        self.server.prepare()
        self.thread.start()
        return int(self.server.bind_addr[1])

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(15)


class Ours:
    def __init__(self) -> None:
        self.server = WebServer(hello(), "127.0.0.1", 0)

    def start(self) -> int:
        self.server.start()
        return self.server.port

    def stop(self) -> None:
        self.server.stop()


def probe(port: int) -> float | None:
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.settimeout(2)
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while s.recv(4096):
                pass
    except OSError:
        return None
    return time.perf_counter() - t0


def attacked(port: int, n: int) -> dict[str, Any]:
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
    stop = threading.Event()

    def drip() -> None:
        i = 0
        while not stop.is_set() and i < len(PAYLOAD):
            for s in socks:
                try:
                    s.send(PAYLOAD[i:i + 1])
                except OSError:
                    pass
            i += 1
            stop.wait(1.0)
    t = threading.Thread(target=drip)
    t.start()
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    try:
        lat = [probe(port) for _ in range(PROBES)]
    finally:
        cpu1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        stop.set()
        t.join(10)
        for s in socks:
            s.close()
    ok = [x for x in lat if x is not None]
    cpu = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / (wall1 - wall0)
    return {"answered": len(ok) / len(lat), "p50_s": statistics.median(ok) if ok else None,
            "cpu_pct": round(cpu * 100, 1)}


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # cheroot's daemon workers end on their own
    yield


def test_slowloris_ours_against_cheroot(benchmark: Any) -> None:
    pytest.importorskip("cheroot")
    servers: dict[str, Callable[[], Any]] = {"waitress": Ours, "cheroot": Cheroot}
    attacks = ATTACKS
    if benchmark.disabled:              # make test: a quick check of ours only
        servers, attacks = {"waitress": Ours}, (0, 48)
    figures: dict[str, Any] = {}

    def run() -> None:
        for name, make in servers.items():
            server = make()
            port = server.start()
            try:
                idle = attacked(port, 0)
                for n in attacks:
                    r = idle if n == 0 else attacked(port, n)
                    figures[f"{name}_{n}_answered"] = r["answered"]
                    figures[f"{name}_{n}_cpu_pct"] = r["cpu_pct"]
                    if r["p50_s"] is not None and idle["p50_s"]:
                        figures[f"{name}_{n}_p50_vs_idle"] = round(r["p50_s"] / idle["p50_s"], 2)
            finally:
                server.stop()
    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    assert figures["waitress_48_answered"] == 1.0

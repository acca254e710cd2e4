"""The web server under hostile clients, over real sockets (issue 22).

Each test holds attackers on the real application (waitress, a daemon loop, a
store) and requires that ``/api/health`` and a logged-in page still answer;
the 2 s bound is the client's socket timeout, not a measured duration (the
figures are in ``tests/benchmarks/test_web_server.py``). Malformed requests
must get a 4xx, never a 500 and never silence.
"""
from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Iterator

import pytest

from tests.webui.support import Web, start_web, stop_web
from webui.server import MAX_HEADER, WebServer

PROBE_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    w = start_web(tmp_path_factory.mktemp("attacks"))
    yield w
    stop_web(w)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's server lives across tests
    yield


def raw(web: Web, data: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    """Send ``data`` as is; the status code and body of the answer."""
    with socket.create_connection(("127.0.0.1", web.server.port), timeout=timeout) as s:
        s.sendall(data)                  # no half-close: waitress takes it as a hang-up
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
    answer = b"".join(chunks)
    assert answer.startswith(b"HTTP/1."), answer[:80]
    return int(answer.split(b" ", 2)[1]), answer.split(b"\r\n\r\n", 1)[-1]


def probe(web: Web, path: str, cookie: str = "") -> int:
    """GET ``path`` with a 2 s socket timeout; the status (raises if no answer in time)."""
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    status, _ = raw(web, (head + "\r\n").encode(), timeout=PROBE_TIMEOUT_S)
    return status


class Attackers:
    """``n`` sockets, each sending a request one byte at a time every ``every`` seconds."""

    def __init__(self, web: Web, n: int, every: float, payload: bytes) -> None:
        self.socks = [socket.create_connection(("127.0.0.1", web.server.port), timeout=5)
                      for _ in range(n)]
        self.payload = payload
        self.every = every
        self.stop = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._drip, name="slowloris")

    def _drip(self) -> None:
        i = 0
        while not self.stop.is_set() and i < len(self.payload):
            for s in self.socks:
                try:
                    s.send(self.payload[i:i + 1])
                except OSError:
                    pass
            self.sent = i = i + 1
            self.stop.wait(self.every)

    def __enter__(self) -> "Attackers":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
        for s in self.socks:
            s.close()


def session_cookie(web: Web) -> str:
    c, _ = web.login("admin")
    return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


SLOW_REQUEST = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 4000


def test_slowloris_dozens_of_byte_drippers_do_not_starve_health_or_pages(web: Web) -> None:
    cookie = session_cookie(web)
    with Attackers(web, 48, 2.0, SLOW_REQUEST) as attack:
        for _ in range(5):
            assert probe(web, "/api/health") == 200
            assert probe(web, "/calls", cookie) == 200
            assert probe(web, "/static/style.css") == 200
        assert attack.sent >= 1 and not attack.stop.is_set()


def test_half_open_connections_do_not_starve_the_server(web: Web) -> None:
    cookie = session_cookie(web)
    silent = [socket.create_connection(("127.0.0.1", web.server.port), timeout=5)
              for _ in range(64)]                      # connect, then say nothing at all
    half = []
    for _ in range(16):                                 # send a request line, then stop
        s = socket.create_connection(("127.0.0.1", web.server.port), timeout=5)
        s.sendall(b"POST /api/calls HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab")
        half.append(s)
    try:
        for _ in range(5):
            assert probe(web, "/api/health") == 200
            assert probe(web, "/calls", cookie) == 200
    finally:
        for s in silent + half:
            s.close()


def test_a_request_slower_than_its_deadline_is_dropped(tmp_path: Path) -> None:
    import bottle
    app = bottle.Bottle()
    app.route("/x", "GET", lambda: "x")
    server = WebServer(app, "127.0.0.1", 0, threads=2, header_deadline_s=0.5)
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n")        # and never the blank line
            s.settimeout(10)
            assert s.recv(100) == b""                          # closed by the server
        assert server.dropped == 1
    finally:
        server.stop()


def test_a_3mb_chunked_post_is_413(web: Web) -> None:
    chunk = b"a" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(48)) + b"0\r\n\r\n"
    head = (b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n")
    status, text = raw(web, head + body)
    assert status == 413 and b"too large" in text


def test_a_body_over_the_server_limit_is_413_before_it_is_read(web: Web) -> None:
    head = (b"POST /api/calls HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999999\r\n"
            b"Connection: close\r\n\r\n")
    status, _ = raw(web, head)
    assert status == 413


def test_a_bad_chunk_size_is_400(web: Web) -> None:
    head = (b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n")
    status, _ = raw(web, head)
    assert status == 400


def test_an_over_long_header_is_431(web: Web) -> None:
    head = (b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * (MAX_HEADER + 10)
            + b"\r\nConnection: close\r\n\r\n")
    status, _ = raw(web, head)
    assert status == 431


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET /api/health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
    b"GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
], ids=["request-line", "content-length-text", "header-without-colon",
        "two-content-lengths"])
def test_malformed_http_is_a_4xx(web: Web, request_bytes: bytes) -> None:
    status, _ = raw(web, request_bytes)
    assert 400 <= status < 500, status


def test_an_unknown_transfer_coding_is_501_as_http_says(web: Web) -> None:
    """Not malformed but unsupported: RFC 9112 section 6.1 answers 501, not a 500."""
    status, _ = raw(web, b"POST /api/health HTTP/1.1\r\nHost: x\r\n"
                         b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
    assert status == 501


@pytest.mark.parametrize("body, ctype", [
    (b"{not json", "application/json"), (b"[1, 2]", "application/json"),
    (b"\xff\xfe", "application/json"), (b"a=b", "text/plain"),
], ids=["broken-json", "json-array", "not-utf8", "wrong-content-type"])
def test_malformed_json_bodies_are_a_4xx(web: Web, body: bytes, ctype: str) -> None:
    c, _ = web.login("admin")
    csrf = c.get("/account").form_token()
    r = c.request("POST", "/api/customers", headers={
        "Content-Type": ctype, "X-CSRF-Token": csrf, **web.origin}, body=body)
    assert r.status in (400, 415), (r.status, r.text)

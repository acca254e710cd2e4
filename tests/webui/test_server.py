"""WebServer: waitress in a thread, random port, clean stop, a clear error on a busy port."""
from __future__ import annotations

import socket
import threading
import urllib.request

import bottle
import pytest

from webui.server import WebError, WebServer


def hello_app() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/hello")
    def hello() -> str:
        return "hi " + threading.current_thread().name
    return app


def test_serves_on_a_random_port_and_stops_every_thread() -> None:
    before = set(threading.enumerate())
    server = WebServer(hello_app(), "127.0.0.1", 0, threads=3)
    server.start()
    try:
        assert server.port > 0
        with urllib.request.urlopen(f"{server.url}/hello", timeout=10) as r:
            body = r.read().decode()
        assert body.startswith("hi ") and "MainThread" not in body   # a worker thread served it
    finally:
        server.stop()
    assert set(threading.enumerate()) <= before
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def test_a_busy_port_is_a_web_error_naming_it() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        with pytest.raises(WebError) as err:
            WebServer(hello_app(), "127.0.0.1", port).start()
        assert err.value.port == port and "cannot listen for the web UI" in str(err.value)
    finally:
        holder.close()


def test_stop_without_start_is_harmless() -> None:
    WebServer(hello_app(), "127.0.0.1", 0).stop()

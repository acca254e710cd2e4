"""The threaded WSGI server (cheroot) that serves the bottle application.

``start()`` binds the socket in the caller's thread (so a port in use fails
start-up with a clear error, not a log line later) and serves from a thread of
its own; ``stop()`` closes the socket, stops the worker threads and joins them.
Handlers run on cheroot's workers and reach the daemon only via ``firmware.api``.
"""
from __future__ import annotations

import logging
import socket
import threading
from typing import Any, Callable

from cheroot import wsgi

from firmware.api import CallboxError

log = logging.getLogger("callbox.web")


class WebError(CallboxError):
    """The web server could not start; carries ``host`` and ``port``."""


class WebServer:
    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 8080, *,
                 threads: int = 8) -> None:
        self._server = wsgi.Server((host, port), app, numthreads=threads, max=threads,
                                   server_name="callbox",
                                   timeout=10, shutdown_timeout=3)
        self._server.max_request_body_size = 1 << 20
        self._host = host
        self._port = port
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0: any free port)."""
        return int(self._server.bind_addr[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def _probe(self) -> None:
        """Bind the address once ourselves: cheroot leaks its socket when bind fails."""
        if self._port == 0:
            return
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self._host, self._port))

    def start(self) -> None:
        try:
            self._probe()
            self._server.prepare()
        except OSError as exc:
            raise WebError(f"cannot listen for the web UI: {exc.strerror or exc}",
                           host=self._host, port=self._port) from None
        self._thread = threading.Thread(target=self._server.serve, name="web-server",
                                        daemon=True)
        self._thread.start()
        log.info("web UI listening url=%s", self.url)

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.stop()
        self._thread.join(10)
        self._thread = None
        log.info("web UI stopped")

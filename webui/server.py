"""The web server: waitress, with deadlines no slow or half-open client can outlast.

Why waitress and not cheroot: cheroot hands a connection to a worker thread as
soon as its first byte arrives, and the worker then reads the rest of the
request with blocking reads. Eight clients sending one byte every few seconds
hold all eight workers for as long as they like (measured: 0 of 10 health
probes answered with 8 such clients; ``tests/benchmarks/test_web_server.py``).
waitress reads every request completely in its event loop (one thread, many
sockets) and gives a worker only a whole, parsed request, so slow clients cost
a socket each, not a thread.

What waitress does not do by itself, this module adds:

- a *request deadline*: a request whose header has not arrived completely
  within ``HEADER_DEADLINE_S``, or whose body is slower than
  ``BODY_MIN_RATE`` bytes/s after that, is dropped (waitress only has an idle
  timeout, which a byte every few seconds resets);
- ``channel_timeout`` for idle keep-alive and half-open connections;
- limits: header 16 KiB (431 above), body ``MAX_BODY`` (413 above; routes set
  lower limits of their own), malformed requests and chunk sizes are 400 from
  waitress's parser before the application sees them;
- streamed uploads (``spools``, ``webui/spool.py``): the firmware route's body goes
  to a file on the data partition as it arrives, with its own size limit. Its
  deadline is about progress, not the whole body: at least ``SPOOL_MIN_BYTES`` must
  arrive in every ``SPOOL_WINDOW_S`` (a 320 MiB bundle over a slow link may take
  as long as it needs; a client that stalls is dropped and its file removed).

Every request carries ``environ["callbox.listen"]``, the "host:port" of the server
that took it (never a header a client can send): the system page's listen change is
confirmed only by a request that came in on the new address.

``start()`` binds the socket in the caller's thread (a port in use fails
start-up with ``WebError``) and serves from a thread of its own; ``stop()``
closes every connection in the loop's thread, tells the application to end
its event streams (``app.close()``) and joins every thread it started.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable

from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.adjustments import Adjustments
from waitress.task import ThreadedTaskDispatcher

from firmware.api import CallboxError
from webui.spool import Spool, SpoolParser

log = logging.getLogger("callbox.web")

HEADER_DEADLINE_S = 10.0      # request line + headers must arrive within this
BODY_MIN_RATE = 32 * 1024     # then the body at this many bytes/s at least (LAN uploads)
MAX_HEADER = 16 * 1024
MAX_BODY = 32 * 1024 * 1024   # the largest upload any route takes (customer import, prompts)
SPOOL_WINDOW_S = 30.0         # a streamed upload must make progress in every such window:
SPOOL_MIN_BYTES = 256 * 1024  # at least this many bytes (about 8.5 KiB/s)
IDLE_TIMEOUT_S = 30           # an idle keep-alive or half-open connection is closed after this
CLEANUP_S = 1                 # how often the loop looks for connections past a deadline
CONNECTION_LIMIT = 500        # sockets waitress keeps open at once (file descriptors)


class WebError(CallboxError):
    """The web server could not start; carries ``host`` and ``port``."""


class _Channel(HTTPChannel):
    """Remembers when the request being read began, for the request deadline."""

    request: Any = None                        # the request being read (waitress's parser)
    request_began: float | None = None
    header_deadline_s = HEADER_DEADLINE_S
    parser_class = SpoolParser
    window: tuple[float, int] | None = None    # a spooled body: (window began, bytes by then)
    spool_window_s = SPOOL_WINDOW_S

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_began = time.monotonic()
            self.window = None
        done = super().received(data)
        if self.request is None:          # completed (or none started): no deadline running
            self.request_began = None
        return done

    def _drop_partial(self) -> None:
        """A request cut off half-way: its spooled file (if any) goes with it."""
        request: Any = self.request
        self.request = None
        if request is not None:
            request.close()

    def handle_close(self) -> None:
        self._drop_partial()
        super().handle_close()

    def close(self) -> None:
        self._drop_partial()
        super().close()

    def past_deadline(self, now: float) -> bool:
        if self.request_began is None or self.request is None:
            return False
        request = self.request
        if isinstance(request, SpoolParser) and request.spool_path is not None:
            got = request.body_received
            if self.window is None or got - self.window[1] >= SPOOL_MIN_BYTES:
                self.window = (now, got)           # progress made: a new window begins
                return False
            return now - self.window[0] > self.spool_window_s
        allowed = self.header_deadline_s
        if self.request.headers_finished:
            allowed += (self.request.content_length or 0) / BODY_MIN_RATE
            if self.request.chunked:
                allowed += MAX_BODY / BODY_MIN_RATE
        return now - self.request_began > allowed


class _Server(TcpWSGIServer):
    channel_class = _Channel
    dropped = 0

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        mono = time.monotonic()
        for channel in list(self.active_channels.values()):
            if isinstance(channel, _Channel) and channel.past_deadline(mono) \
                    and not channel.will_close:
                channel.will_close = True
                self.dropped += 1
                log.warning("web request too slow, connection dropped src=%s",
                            channel.addr[0] if channel.addr else "?")


class WebServer:
    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 8080, *,
                 threads: int = 16, header_deadline_s: float = HEADER_DEADLINE_S,
                 spools: tuple[Spool, ...] = (), spool_window_s: float = SPOOL_WINDOW_S
                 ) -> None:
        self._app = app
        self.spools = spools

        def tagged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            environ["callbox.listen"] = self.listen
            return app(environ, start_response)

        self._tagged = tagged
        self._host = host
        self._port = port
        self._threads = threads
        self._server: _Server | None = None
        self._map: dict[int, Any] = {}
        self._thread: threading.Thread | None = None
        self._bound_port = port
        deadline = header_deadline_s

        class Parser(SpoolParser):          # this server's own, with its streamed uploads
            pass
        Parser.spools = spools

        class Channel(_Channel):            # this server's own, carrying its deadlines
            header_deadline_s = deadline
            parser_class = Parser
        Channel.spool_window_s = spool_window_s

        self._channel = Channel

    @property
    def port(self) -> int:
        """The bound port (useful with port 0: any free port)."""
        return self._bound_port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def dropped(self) -> int:
        """Connections closed because their request was too slow."""
        return 0 if self._server is None else self._server.dropped

    def start(self) -> None:
        adj = Adjustments(host=self._host, port=self._port, threads=self._threads,
                          ident="callbox", channel_timeout=IDLE_TIMEOUT_S,
                          cleanup_interval=CLEANUP_S, connection_limit=CONNECTION_LIMIT,
                          max_request_header_size=MAX_HEADER, max_request_body_size=MAX_BODY,
                          expose_tracebacks=False, clear_untrusted_proxy_headers=True,
                          asyncore_loop_timeout=1,
                          # read ahead while a request runs, so that an event stream learns
                          # at once that its client went away (waitress.client_disconnected);
                          # a client that half-closes after its request is taken as gone too
                          channel_request_lookahead=4)
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sockinfo = (family, socket.SOCK_STREAM, 0, (self._host, self._port))
        dispatcher = ThreadedTaskDispatcher()      # threads start once the port is ours
        try:
            self._server = _Server(self._tagged, self._map, dispatcher=dispatcher, adj=adj,
                                   sockinfo=sockinfo)
        except OSError as exc:
            for ch in list(self._map.values()):
                ch.close()
            raise WebError(f"cannot listen for the web UI: {exc.strerror or exc}",
                           host=self._host, port=self._port) from None
        dispatcher.set_thread_count(self._threads)
        self._server.channel_class = self._channel
        self._bound_port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name="web-server",
                                        daemon=True)
        self._thread.start()
        log.info("web UI listening url=%s", self.url)

    @property
    def listen(self) -> str:
        """"host:port" bound (what ``environ["callbox.listen"]`` says)."""
        return f"{self._host}:{self.port}"

    def stop(self, close_app: bool = True) -> None:
        """``close_app=False``: the application keeps serving on another server (a listen
        change retires this one); its event streams here end as their sockets close."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        close = getattr(self._app, "close", None)
        if close_app and callable(close):   # event streams end, their workers return
            close()

        def close_all() -> None:            # runs in the loop's thread
            for channel in list(self._map.values()):
                channel.close()
        try:
            server.trigger.pull_trigger(close_all)
        except OSError:                     # the loop has already ended and closed its trigger
            close_all()
        thread.join(10)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=10)
        self._server = self._thread = None
        log.info("web UI stopped")

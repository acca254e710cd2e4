"""The edge's question to the daemon: which media node takes this INVITE?

For every INVITE it relays to the media nodes, Kamailio asks the daemon over
HTTP on loopback (``http_client``'s ``http_connect``, one kept-alive connection
per Kamailio worker): ``GET /place?call=<Call-ID>&did=..&trunk=..&seat=..``.
The daemon answers ``200`` with the node's SIP URI as the body, or an error
status the edge relays to the caller (``503`` when no node has room, ``404``
when the number routes nowhere). When a node placed on does not answer (or
answers 5xx), the edge asks again with ``failed=<node sip port>`` and the
daemon decides what that node is worth.

Why the daemon and not Kamailio's dispatcher: only the daemon knows each
node's real room (conversations, the agent legs it dialled, recordings), so
only the daemon can promise the edge never offers a call to a full node; the
dispatcher could only learn that from a node's 503 and try the next one.

The server is deliberately tiny (GET only, one endpoint, bounded headers,
loopback only); anything else gets a 4xx naming what was wrong.

``Admission`` stands in front of the placement: an INVITE from a trunk is placed
only for a number that routes somewhere (``routes_somewhere(trunk, did)``, the
inbound routing's answer), a seat's only for a well-formed dial string; the rest
is answered by the edge (404, 484) before any node is reserved or sees it, and
published as a ``security.refused`` event.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable
from urllib.parse import unquote, urlsplit

from acd_core.errors import DecodeError
from firmware.errors import DialStringError
from firmware.events import EventBus
from firmware.telephony import dialstring

log = logging.getLogger("callbox.sipedge.placer")

MAX_HEAD = 8192
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            431: "Request Header Fields Too Large", 500: "Internal Server Error",
            503: "Service Unavailable"}


class PlaceRequestError(DecodeError):
    """A placement request that is not ``GET /place?call=...``; carries ``field``."""


@dataclass(frozen=True)
class PlaceRequest:
    call_id: str
    did: str = ""
    trunk: str = ""
    seat: str = ""
    source: str = ""
    failed_port: int | None = None

    @classmethod
    def parse(cls, target: str) -> "PlaceRequest":
        """``/place?call=..&did=..`` (values percent-encoded; ``+`` is a plus, not a space)."""
        parts = urlsplit(target)
        if parts.path != "/place":
            raise PlaceRequestError(f"unknown path {parts.path!r}", field="path")
        values: dict[str, str] = {}
        for item in filter(None, parts.query.split("&")):
            key, sep, value = item.partition("=")
            if not sep or key in values:
                raise PlaceRequestError(f"bad or repeated query item {item[:40]!r}", field=key)
            values[key] = unquote(value)
        unknown = set(values) - {"call", "did", "trunk", "seat", "src", "failed"}
        if unknown:
            raise PlaceRequestError(f"unknown query field {sorted(unknown)[0]!r}",
                                    field=sorted(unknown)[0])
        call_id = values.get("call", "")
        if not call_id or len(call_id) > 256:
            raise PlaceRequestError("call (the SIP Call-ID) is required, at most 256 characters",
                                    field="call")
        failed: int | None = None
        if values.get("failed"):
            raw = values["failed"].rsplit(":", 1)[-1]     # a port, or the node's URI
            if not raw.isdigit() or not 1 <= int(raw) <= 65535:
                raise PlaceRequestError(f"failed must be a node's SIP port, got {values['failed']!r}",
                                        field="failed")
            failed = int(raw)
        text = {k: "" if values.get(k, "") == "<null>" else values.get(k, "")[:64]
                for k in ("did", "trunk", "seat", "src")}
        return cls(call_id=call_id, did=text["did"], trunk=text["trunk"], seat=text["seat"],
                   source=text["src"], failed_port=failed)


@dataclass(frozen=True)
class PlaceAnswer:
    status: int
    body: str                  # the node's SIP URI on 200, else the reason

    def response(self, keep_alive: bool) -> bytes:
        body = self.body.encode()
        head = (f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Error')}\r\n"
                f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n")
        return head.encode() + body


Decide = Callable[[PlaceRequest], "PlaceAnswer | Awaitable[PlaceAnswer]"]


class PlacementServer:
    """Listens on ``127.0.0.1:port`` and answers each request with ``decide(request)``."""

    def __init__(self, port: int, decide: Decide, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self._decide = decide
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[asyncio.Task[None]] = set()
        self.requests = 0
        self.bad_requests = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port,
                                                  limit=MAX_HEAD)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._conns):
            task.cancel()
        if self._conns:
            await asyncio.gather(*self._conns, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.LimitOverrunError:
                    self.bad_requests += 1
                    writer.write(PlaceAnswer(431, "request head too large").response(False))
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                answer, keep = await self._answer(head)
                writer.write(answer.response(keep))
                await writer.drain()
                if not keep:
                    break
        except ConnectionError:
            pass
        finally:
            self._conns.discard(task)
            writer.close()

    async def _answer(self, head: bytes) -> tuple[PlaceAnswer, bool]:
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ")
        except ValueError:
            self.bad_requests += 1
            return PlaceAnswer(400, "malformed request line"), False
        keep = version == "HTTP/1.1" and not any(
            ln.lower().replace(" ", "") == "connection:close" for ln in lines[1:])
        if method != "GET":
            self.bad_requests += 1
            return PlaceAnswer(405, f"method {method[:16]} not allowed"), keep
        try:
            request = PlaceRequest.parse(target)
        except PlaceRequestError as exc:
            self.bad_requests += 1
            log.warning("bad placement request: %s", exc)
            return PlaceAnswer(400, str(exc)), keep
        self.requests += 1
        try:
            answer = self._decide(request)
            if inspect.isawaitable(answer):
                answer = await answer
            return answer, keep
        except Exception:  # noqa: BLE001 - the edge must get an answer, not a hang
            log.exception("placement failed call_id=%s", request.call_id)
            return PlaceAnswer(500, "placement failed"), keep


RoutesSomewhere = Callable[[str, str], "bool | Awaitable[bool]"]


class Admission:
    """``decide`` for the placement server: refuse what must not reach a node, place the rest.

    ``routes_somewhere(trunk, did)`` (plain or async) says whether the inbound routing
    has a destination for ``did`` arriving on ``trunk``; ``None`` refuses every trunk
    call, so an edge nobody told about routing admits nothing from outside.
    """

    def __init__(self, place: Decide, routes_somewhere: RoutesSomewhere | None,
                 bus: EventBus | None = None) -> None:
        self._place = place
        self._routes_somewhere = routes_somewhere
        self._bus = bus
        self.refused = 0

    async def __call__(self, request: PlaceRequest) -> PlaceAnswer:
        refusal = await self._refusal(request)
        if refusal is not None:
            return refusal
        answer = self._place(request)
        if inspect.isawaitable(answer):
            answer = await answer
        return answer

    async def _refusal(self, request: PlaceRequest) -> PlaceAnswer | None:
        if request.failed_port is not None:    # placed once already: it was admitted
            return None
        if request.trunk:
            try:
                dialstring.number(request.did, "did")
            except DialStringError:
                return self._refuse(request, 404, "bad_number", trunk=request.trunk)
            routed = False
            if self._routes_somewhere is not None:
                verdict = self._routes_somewhere(request.trunk, request.did)
                routed = bool(await verdict if inspect.isawaitable(verdict) else verdict)
            if not routed:
                return self._refuse(request, 404, "no_route", trunk=request.trunk)
        elif request.seat:
            try:
                dialstring.dial_string(request.did)
            except DialStringError:
                return self._refuse(request, 484, "bad_dial_string", seat=request.seat)
        return None

    def _refuse(self, request: PlaceRequest, status: int, reason: str,
                **who: str) -> PlaceAnswer:
        self.refused += 1
        log.info("placement refused status=%d reason=%s did=%r %s", status, reason,
                 request.did, " ".join(f"{k}={v}" for k, v in who.items()))
        if self._bus is not None:
            self._bus.publish("security.refused", ip=request.source, reason=reason,
                              number=request.did, call_id=request.call_id, **who)
        return PlaceAnswer(status, reason.replace("_", " "))

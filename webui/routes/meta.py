"""The root, static files, health, the OpenAPI document and the event stream (SSE)."""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Iterator

import bottle
from bottle import request, response

from firmware.api import ApiError
from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import ANY_OBJ, STR, me, obj
from webui.pages import HERE, home_for, redirect
from webui.routing import LOGGED_IN, PUBLIC, Router

log = logging.getLogger("callbox.web")
TAG = "system"
STATIC = str(HERE / "static")
STATIC_FILES = {"style.css", "calls.js", "favicon.svg", "live.js", "import.js", "desk.js",
                "wallboard.js", "system.js", "firmware.js", "lines.js"}
HEARTBEAT_S = 15.0          # a comment line when idle keeps proxies and idle timers content
PER_USER = 3                # a user's streams beyond this end, oldest first (tabs, reloads)
STREAM_MAX_S = 300.0        # then the browser reconnects (EventSource does), freeing the slot
HEALTH = obj(("status", "components"), status={"type": "string",
                                               "enum": ["ok", "degraded", "down"]},
             components={"type": "object", "additionalProperties": obj(("status",),
                                                                        status=STR)},
             time={"type": ["string", "null"]})


class StreamSlots:
    """At most ``n`` event streams at once (each holds a server thread while it lasts), and
    at most ``PER_USER`` per user: a user's new stream ends its oldest beyond that."""

    def __init__(self, n: int) -> None:
        self._sem = threading.BoundedSemaphore(n)
        self._lock = threading.Lock()
        self._users: dict[str, list[threading.Event]] = {}
        self.in_use = 0

    def acquire(self, user: str) -> threading.Event | None:
        """A stop flag for the new stream, or None when every slot is taken."""
        with self._lock:
            mine = self._users.setdefault(user, [])
            for old in mine[:max(0, len(mine) - PER_USER + 1)]:
                old.set()
        if not self._sem.acquire(timeout=1.0):    # ended streams release within 0.5 s
            return None
        stop = threading.Event()
        with self._lock:
            self.in_use += 1
            self._users.setdefault(user, []).append(stop)
        return stop

    def release(self, user: str, stop: threading.Event) -> None:
        with self._lock:
            self.in_use -= 1
            mine = self._users.get(user, [])
            if stop in mine:
                mine.remove(stop)
            if not mine:
                self._users.pop(user, None)
        self._sem.release()


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api
    closing = threading.Event()
    slots = StreamSlots(ui.stream_slots)
    plugin.closing.append(closing.set)
    ui.streams = slots

    @r.get("/", permission=PUBLIC, summary="The home page of the logged-in user")
    def index() -> None:
        p = ui.resolve()
        redirect("/login" if p is None else home_for(p))

    @r.get("/static/<name>", permission=PUBLIC, summary="Stylesheet, scripts, icon",
           kind="file")
    def static(name: str) -> Any:
        if name not in STATIC_FILES:
            raise fail(404, "not found")
        return bottle.static_file(name, root=STATIC)

    @r.get("/api/health", permission=PUBLIC, response=HEALTH, summary=(
        "Component statuses (details need a login); 503 when any component is down"))
    def api_health() -> dict[str, Any]:
        try:
            h = api.health()
        except ApiError as exc:
            h = {"status": "down", "components": {
                "daemon": {"status": "down", "detail": "the daemon did not answer"}}}
            log.warning("health check failed: %s", exc)
        if ui.resolve_quietly() is None:          # anonymous: statuses only, no details
            h = {"status": h["status"], "time": h.get("time"),
                 "components": {k: {"status": v["status"]} for k, v in h["components"].items()}}
        response.status = 503 if h["status"] == "down" else 200
        return h

    @r.get("/api/openapi.json", permission=PUBLIC, response=ANY_OBJ,
           summary="This API described as OpenAPI 3")
    def api_openapi() -> dict[str, Any]:
        return request.app.config["callbox.openapi"]

    @r.get("/api/events", permission=("supervise", "calls.read"), kind="stream", summary=(
        "Server-sent events: call.*, acd.trace (offers, agent states), seat.*; an agent "
        "gets its own seat's; numbers masked per role"))
    def api_events() -> Iterator[str]:
        p = me()
        stop = slots.acquire(p.user)
        if stop is None:
            raise fail(503, "too many live views open; try again shortly",
                       headers={"Retry-After": "10"})
        try:
            stream = api.event_stream(p)
        except BaseException:
            slots.release(p.user, stop)
            raise
        gone = request.environ.get("waitress.client_disconnected", lambda: False)
        response.content_type = "text/event-stream; charset=utf-8"
        response.set_header("X-Accel-Buffering", "no")

        def events() -> Iterator[str]:
            started = last = time.monotonic()
            try:
                yield "retry: 3000\n\n"
                while not (closing.is_set() or stop.is_set() or gone()):
                    now = time.monotonic()
                    if now - started > STREAM_MAX_S:
                        break
                    e = stream.get(0.5)
                    if e is not None:
                        last = now
                        yield (f"id: {e['seq']}\nevent: {e['kind']}\n"
                               f"data: {json.dumps(e, ensure_ascii=False, default=str)}\n\n")
                    elif now - last > HEARTBEAT_S:
                        last = now
                        yield ": ping\n\n"
            finally:
                stream.close()
                slots.release(p.user, stop)
        return events()

    @r.get("/api/me", permission=LOGGED_IN, response=obj(
        ("user", "role", "permissions"), user=STR, role=STR,
        permissions={"type": "array", "items": STR}), summary="Who is asking")
    def api_me() -> dict[str, Any]:
        return me().to_dict()

"""The thread-safe facade the web UI uses to reach the daemon.

bottle handlers run on cheroot's worker threads; all state lives on the
daemon's asyncio loop. Every method here is a plain blocking function that runs
a coroutine on that loop (``run_coroutine_threadsafe``) and waits at most
``timeout`` seconds, so a stuck loop costs a web request a 503, never a hung
worker. Results are plain JSON-ready dicts (times as ISO-8601 UTC strings), so
no store object crosses into a web thread.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

from acd_core.clock import Clock, SystemClock
from firmware.api_crm import CrmApi
from firmware.api_desk import DeskApi
from firmware.api_inbound import InboundApi
from firmware.api_system import SystemApi
from firmware.api_trunks import TrunksApi
from firmware.api_web import WebApi
from firmware.errors import ApiError, CallboxError, StoreError
from firmware.events import EventBus
from firmware.store import CdrFilter, Store, User, ValidationError
from firmware.store.cdr import DISPOSITIONS, MAX_PAGE
from firmware.timers import TIMERS

# What the web layer may know of the store, so that it never imports it.
__all__ = ["Api", "ApiError", "CallboxError", "Clock", "StoreError", "SystemClock",
           "ValidationError", "DISPOSITIONS", "MAX_PAGE", "iso", "worst"]

log = logging.getLogger("callbox.api")

T = TypeVar("T")
HealthProvider = Callable[[], Awaitable[dict[str, Any]]]
STATUSES = ("ok", "degraded", "down")          # in order of badness
TIME_FIELDS = ("started_at", "answered_at", "ring_started_at", "agent_answered_at", "ended_at",
               "ts", "created_at")


def iso(t: float | None) -> str | None:
    """Epoch seconds -> ``2026-11-27T10:15:00.250Z`` (None stays None)."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: iso(v) if k in TIME_FIELDS else v for k, v in d.items()}


def _user(u: User) -> dict[str, Any]:
    return {"username": u.username, "role": u.role, "seat": u.seat}


def worst(statuses: list[str]) -> str:
    return max(statuses, key=STATUSES.index, default="ok")


class Api(InboundApi, CrmApi, WebApi, DeskApi, TrunksApi, SystemApi):
    """``Api(loop, store, health_provider)``; call its methods from any thread but the loop's.

    ``health_provider`` is an ``async () -> {component: {"status": ..., ...}}`` for
    kamailio, media_nodes and hardware (or ``{"components": {...}, **extra}``, whose
    extra keys such as ``uptime_s`` are passed on); the ``database`` component
    always comes from the store, and the overall status is recomputed here. ``bus`` (optional) receives security events such as failed logins.
    The CRM, records and access methods come from ``CrmApi``, the web UI's live board,
    event streams and configuration pages from ``WebApi`` (docs/design/crm-webui.md), the
    agent desk, supervision, recording rules and campaigns from ``DeskApi``; trunks,
    outbound routes and the security log from ``TrunksApi``; the system page (network,
    time, logs, self-test, restore check, firmware update) from ``SystemApi``.
    The inbound configuration (routes, lists, schedules, IVR trees, queue rules,
    voicemail) comes from ``InboundApi`` (docs/design/daemon-interfaces.md).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, store: Store,
                 health_provider: HealthProvider, *, timeout: float = TIMERS["api.call_timeout"],
                 bus: EventBus | None = None) -> None:
        self._loop = loop
        self._store = store
        self._health_provider = health_provider
        self._timeout = timeout
        self._bus = bus

    def _run(self, coro: Coroutine[Any, Any, T], what: str, timeout: float | None = None) -> T:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:                  # waiting here would deadlock the loop
            coro.close()
            raise ApiError("the API was called from the daemon loop itself", status=500,
                           operation=what)
        try:
            fut = asyncio.run_coroutine_threadsafe(coro, self._loop)
        except RuntimeError:                       # loop closed: the daemon is stopping
            coro.close()
            raise ApiError("the daemon is not running", status=503, operation=what) from None
        wait = self._timeout if timeout is None else timeout
        try:
            return fut.result(wait)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            log.warning("api timeout operation=%s timeout=%.1fs", what, wait)
            raise ApiError("the daemon did not answer in time", status=503, operation=what,
                           timeout=wait) from None
        except concurrent.futures.CancelledError:
            raise ApiError("the daemon cancelled the request", status=503,
                           operation=what) from None

    # health -----------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``{"status": worst, "components": {name: {"status": ..., ...}}, "time": iso}``."""
        return self._run(self._health(), "health", timeout=min(self._timeout, 3.0))

    async def check_health(self) -> dict[str, Any]:
        """``health`` for callers on the daemon's own loop (readiness, slot marking)."""
        return await self._health()

    async def _health(self) -> dict[str, Any]:
        components: dict[str, dict[str, Any]] = {}
        extra: dict[str, Any] = {}
        try:
            reported = await self._health_provider()
            if isinstance(reported.get("components"), dict):   # {"status", "components", ...}
                extra = {k: v for k, v in reported.items() if k not in ("status", "components")}
                reported = reported["components"]
            for name, comp in reported.items():
                comp = dict(comp) if isinstance(comp, dict) else {"status": None}
                if comp.get("status") not in STATUSES:
                    comp = {**comp, "status": "down",
                            "detail": f"component reported status {comp.get('status')!r}"}
                components[str(name)] = comp
        except Exception as exc:
            log.exception("health provider failed")
            components["daemon"] = {"status": "down",
                                    "detail": f"health provider failed: {type(exc).__name__}"}
        components["database"] = await self._store.health()
        return {**extra, "status": worst([c["status"] for c in components.values()]),
                "components": components, "time": iso(self._store.db.wall())}

    # calls ------------------------------------------------------------------
    def list_calls(self, *, limit: int = 50, offset: int = 0, since: float | None = None,
                   until: float | None = None, queue: str | None = None,
                   agent: str | None = None, disposition: str | None = None) -> dict[str, Any]:
        """``{"items": [call], "total": n, "limit": l, "offset": o}``, newest first."""
        filters = CdrFilter(since, until, queue, agent, disposition)

        async def page() -> dict[str, Any]:
            items, total = await self._store.cdr.page(limit, offset, filters)
            return {"items": [_jsonable(r.to_dict()) for r in items], "total": total,
                    "limit": limit, "offset": offset}
        return self._run(page(), "list_calls")

    def get_call(self, call_id: str) -> dict[str, Any] | None:
        async def get() -> dict[str, Any] | None:
            rec = await self._store.cdr.get(call_id)
            return None if rec is None else _jsonable(rec.to_dict())
        return self._run(get(), "get_call")

    def queue_events(self, call_id: str) -> list[dict[str, Any]]:
        async def events() -> list[dict[str, Any]]:
            return [_jsonable(e.to_dict()) for e in await self._store.queue_log.for_call(call_id)]
        return self._run(events(), "queue_events")

    # users and sessions -------------------------------------------------------
    def login(self, username: str, password: str) -> dict[str, Any] | None:
        """The user (``username``, ``role``, ``seat``) if the password is right, else None."""
        async def check() -> dict[str, Any] | None:
            user = await self._store.users.authenticate(username, password)
            return None if user is None else _user(user)
        return self._run(check(), "login")

    def open_session(self, username: str) -> tuple[str, str]:
        """A new session for ``username``: ``(cookie token, csrf token)``."""
        async def open_() -> tuple[str, str]:
            user = await self._store.users.get(username)
            if user is None:
                raise ApiError("no such user", status=403, user=username)
            token, session = await self._store.users.open_session(user)
            return token, session.csrf
        return self._run(open_(), "open_session")

    def session(self, token: str) -> dict[str, Any] | None:
        """``{"username", "role", "seat", "csrf"}`` of a live session, else None."""
        async def get() -> dict[str, Any] | None:
            s = await self._store.users.session(token)
            return None if s is None else {**_user(s.user), "csrf": s.csrf}
        return self._run(get(), "session")

    def close_session(self, token: str) -> None:
        self._run(self._store.users.close_session(token), "close_session")

    def secret(self, name: str) -> bytes:
        """A random secret generated once on this box and kept in the database."""
        return self._run(self._store.users.secret(name), "secret")

    def publish(self, kind: str, **data: Any) -> None:
        """Record a web-side event (failed login, lockout) in the event log; does not wait."""
        if self._bus is not None:
            bus = self._bus
            self._loop.call_soon_threadsafe(lambda: bus.publish(kind, **data))
        else:
            self._run(self._store.events.append(kind, data), "publish")

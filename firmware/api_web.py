"""What the web UI's pages need beyond the CRM seam: one-trip sessions, the live
board and event streams, and the configuration the admin pages read and edit
(queues, seats; trunks, DIDs and IVR menus read-only).

Mixed into ``firmware.api.Api`` after ``CrmApi``. The configuration writes
publish ``config.changed`` on the bus (``what``, ``key``) so the daemon can
push seats to the SIP edge and queues to the ACD; until the composition root
subscribes to it, a change takes effect at the next start.
"""
from __future__ import annotations

import secrets
import threading
from typing import Any, Callable

from firmware.api_live import EventStream, LiveBoard
from firmware.crm.facade import endpoint
from firmware.crm.permissions import Principal
from firmware.errors import ApiError
from firmware.sipedge.kamailio import ha1
from firmware.store.config import Queue, Seat

QUEUE_FIELDS = ("strategy", "wrapup_s", "ring_timeout_s", "max_wait_s", "sl_threshold_s",
                "moh_file", "caller_display")


def _queue(q: Queue) -> dict[str, Any]:
    return {"name": q.name, **{k: getattr(q, k) for k in QUEUE_FIELDS}}


def _seat(s: Seat) -> dict[str, Any]:
    return {"extension": s.extension, "display_name": s.display_name, "queues": dict(s.queues)}


class WebApi:
    _run: Callable[..., Any]
    _store: Any
    _bus: Any
    _loop: Any
    crm: Any
    _site: dict[str, Any] = {"realm": "callbox", "sip_host": "127.0.0.1", "sip_port": 5060}
    _board: LiveBoard | None = None
    _board_lock = threading.Lock()

    # identity -----------------------------------------------------------------
    def web_session(self, token: str) -> dict[str, Any] | None:
        """``{"principal": Principal, "csrf": str}`` of a live session, in one trip."""
        async def get() -> dict[str, Any] | None:
            s = await self._store.users.session(token)
            if s is None:
                return None
            return {"principal": await self.crm.principal_of(s.user, "session"),
                    "csrf": s.csrf}
        return self._run(get(), "web_session")

    @endpoint(None, "write")
    async def change_password(self, p: Principal, current: str, new: str) -> None:
        """A user changes its own password (the current one is checked again)."""
        if p.via != "session":
            raise ApiError("only a logged-in user has a password", status=403)
        if await self._store.users.authenticate(p.user, current) is None:
            raise ApiError("the current password is wrong", status=400, field="current")
        u = await self._store.users.get(p.user)
        await self._store.users.put(u.username, new, u.role, u.seat,
                                    display_name=u.display_name, team=u.team,
                                    disabled=u.disabled)
        await self.crm.audited(p, "user.password", p.user)

    def set_site(self, *, realm: str, sip_host: str, sip_port: int) -> None:
        """What the composition root knows of the SIP edge: the realm seat passwords are
        hashed with, and the address phones register to (shown on the seat page)."""
        self._site = {"realm": realm, "sip_host": sip_host, "sip_port": int(sip_port)}

    @endpoint(None)
    async def site(self, p: Principal) -> dict[str, Any]:
        return dict(self._site)

    # live ---------------------------------------------------------------------
    async def _live(self) -> LiveBoard:
        with self._board_lock:
            if self._board is None:
                if self._bus is None:
                    raise ApiError("live data needs the daemon's event bus", status=503)
                self._board = LiveBoard()
                self._board.attach(self._bus)
            return self._board

    @endpoint(None)
    async def live_board(self, p: Principal) -> dict[str, Any]:
        """Queues (waiting callers, longest wait, today's SL, answered, abandoned) and
        agents (state, time in state, current call, calls today). Without ``supervise``
        only the principal's own seat and no waiting callers."""
        if not (p.can("supervise") or p.can("calls.read")):
            p.require("supervise", "see the live board")
        board = await self._live()
        queues = [q.name for q in await self._store.config.queues()]
        seats = [s.extension for s in await self._store.config.seats()]
        return board.snapshot(self._store.db.wall(), queues, seats, p)

    def event_stream(self, p: Principal | None) -> EventStream:
        """A queue of the bus's call, agent and queue events for one web client, filtered
        (an agent sees its own seat's) and masked for ``p``; ``close()`` it when done."""
        if not isinstance(p, Principal):
            raise ApiError("login required", status=401, operation="event_stream")
        if not (p.can("supervise") or p.can("calls.read")):
            p.require("supervise", "follow live events")
        if self._bus is None:
            raise ApiError("live events need the daemon's event bus", status=503)
        self._run(self._live(), "event_stream")       # the board sees what streams see
        return EventStream(self._bus, p)

    def _changed(self, what: str, key: str) -> None:
        if self._bus is not None:
            self._bus.publish("config.changed", what=what, key=key)

    # queues -------------------------------------------------------------------
    @endpoint("queues.admin")
    async def list_queues(self, p: Principal) -> list[dict[str, Any]]:
        return [_queue(q) for q in await self._store.config.queues()]

    @endpoint("queues.admin", "write")
    async def put_queue(self, p: Principal, name: str, **fields: Any) -> dict[str, Any]:
        bad = sorted(set(fields) - set(QUEUE_FIELDS))
        if bad:
            raise ApiError(f"unknown queue setting {bad[0]}", status=400, field=bad[0])
        base = await self._store.config.queue(name)
        values = {**(_queue(base) if base else {}), **fields, "name": name}
        q = await self._store.config.put_queue(Queue(**values))
        await self.crm.audited(p, "queue.put", name, {"fields": sorted(fields)})
        self._changed("queue", name)
        return _queue(q)

    @endpoint("queues.admin", "write")
    async def delete_queue(self, p: Principal, name: str) -> None:
        await self._store.config.delete("queue", name)
        await self.crm.audited(p, "queue.delete", name)
        self._changed("queue", name)

    # seats --------------------------------------------------------------------
    @endpoint("queues.admin")
    async def list_seats(self, p: Principal) -> list[dict[str, Any]]:
        return [_seat(s) for s in await self._store.config.seats()]

    @endpoint("queues.admin", "write")
    async def put_seat(self, p: Principal, extension: str, display_name: str | None = None,
                       queues: dict[str, int] | None = None, new_password: bool = False
                       ) -> dict[str, Any]:
        """Create or edit a seat. A new seat, or ``new_password=True``, gets a generated
        SIP password, returned once in ``password`` (only its HA1 is kept)."""
        base = await self._store.config.seat(extension)
        password = None
        if base is None or new_password:
            password = secrets.token_urlsafe(12)
            digest = ha1(extension, self._site["realm"], password)
        else:
            digest = base.ha1
        s = await self._store.config.put_seat(Seat(
            extension, digest,
            display_name if display_name is not None else (base.display_name if base else ""),
            queues if queues is not None else (dict(base.queues) if base else {})))
        await self.crm.audited(p, "seat.put", extension, {"password_changed": password is not None})
        self._changed("seat", extension)
        return {**_seat(s), "password": password}

    @endpoint("queues.admin", "write")
    async def delete_seat(self, p: Principal, extension: str) -> None:
        await self._store.config.delete("seat", extension)
        await self.crm.audited(p, "seat.delete", extension)
        self._changed("seat", extension)

    # read-only configuration ------------------------------------------------------
    @endpoint("queues.admin")
    async def list_trunks(self, p: Principal) -> list[dict[str, Any]]:
        return [{"name": t.name, "kind": t.kind, "enabled": t.enabled, "sources": list(t.sources)}
                for t in await self._store.config.trunks()]

    @endpoint("queues.admin")
    async def list_dids(self, p: Principal) -> list[dict[str, Any]]:
        return [{"number": d.number, "target_kind": d.target_kind, "target": d.target,
                 "trunk": d.trunk} for d in await self._store.config.dids()]

    @endpoint("queues.admin")
    async def list_ivr_menus(self, p: Principal) -> list[dict[str, Any]]:
        return [{"name": m.name, "prompt_file": m.prompt_file, "prompt_text": m.prompt_text,
                 "timeout_s": m.timeout_s, "retries": m.retries, "options": dict(m.options)}
                for m in await self._store.config.ivr_menus()]

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

from acd_core import erlang
from firmware.api_live import EventStream, LiveBoard
from firmware.crm.facade import endpoint, page
from firmware.crm.phone import try_normalise
from firmware.crm.permissions import Principal
from firmware.errors import ApiError, ConfigError
from firmware.sipedge.kamailio import ha1
from firmware.store import fields as f
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
    _cti: Any
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
                board = LiveBoard()
                board.attach(self._bus)
                if self._cti is not None:      # on the loop: the ACD is read where it runs
                    board.seed_agents(self._cti.ctx.acd.agents_now())
                self._board = board
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

    @endpoint("customers.read")
    async def offer_pop(self, p: Principal, call_id: str) -> dict[str, Any]:
        """The screen pop of a call offered to (or talking with) the principal's seat:
        the customer card, open tickets and last interactions of its caller."""
        board = await self._live()
        w = board.waiting.get(call_id)
        mine = board.agents.get(p.seat or "")
        if not (p.can("supervise") or (w is not None and p.seat and w.offered_to == p.seat)
                or (mine is not None and mine.call == call_id)):
            raise ApiError("no such call offered to this seat", status=404, key=call_id)
        caller = board.callers.get(call_id, "")
        if not caller:
            return {"call": call_id, "caller": "", "customer": None, "others": [],
                    "open_tickets": [], "last_interactions": []}
        return {"call": call_id, **await self.crm.screen_pop.lookup(caller, None)}

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

    # recordings -------------------------------------------------------------------
    @endpoint(None)
    async def find_recordings(self, p: Principal, since: float | None = None,
                              until: float | None = None, agent: str | None = None,
                              queue: str | None = None, number: str | None = None,
                              call: str | None = None, limit: int = 50, offset: int = 0
                              ) -> dict[str, Any]:
        """Recordings with their call, newest first, by time, agent, queue, caller or dialled
        number (complete numbers only, as written or normalised) or call. Without
        ``calls.read_all`` only the principal's own seat's, and only with
        ``recordings.play`` or ``recordings.download``."""
        if not (p.can("recordings.play") or p.can("recordings.download")):
            p.require("recordings.play", "find recordings")
        if not p.can("calls.read_all"):
            agent = p.seat or "-"
        f.integer("limit", limit, 1, 500)
        f.integer("offset", offset, 0, 2**62)
        clauses, params = [], []
        for expr, value in (("r.created_at >= ?", since), ("r.created_at < ?", until),
                            ("c.agent = ?", agent), ("c.queue = ?", queue),
                            ("r.call_id = ?", call)):
            if value is not None:
                clauses.append(expr)
                params.append(value)
        if number:
            spellings = {number}
            e164 = try_normalise(number, await self.crm.phone_settings())
            if e164:
                spellings.add(e164)
            marks = ",".join("?" * len(spellings))
            clauses.append(f"(c.caller_number IN ({marks}) OR c.dialed_number IN ({marks}))")
            params += [*spellings, *spellings]
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        base = " FROM recordings r LEFT JOIN cdr c ON c.id = r.call_id" + where
        rows = await self.crm.db.fetchall(
            "SELECT r.path, r.call_id, r.seconds, r.bytes, r.created_at, c.caller_number,"
            " c.caller_name, c.queue, c.agent, c.started_at, c.dialed_number" + base +
            " ORDER BY r.created_at DESC, r.path LIMIT ? OFFSET ?", [*params, limit, offset])
        total = (await self.crm.db.fetchone("SELECT COUNT(*)" + base, params))[0]
        return page([dict(r) for r in rows], int(total), limit, offset, "-created_at")

    # reports ----------------------------------------------------------------------
    @endpoint("reports.read", timeout=60)
    async def staffing(self, p: Principal, since: float, until: float, target_sl: float = 0.8,
                       target_time: float = 20.0, shrinkage: float = 0.0
                       ) -> list[dict[str, Any]]:
        """Erlang C per half hour of the (local) day, from this box's own traffic in
        ``[since, until)``: calls per half hour averaged over the days of the window,
        AHT from the answered calls' talk time (180 s where none was answered)."""
        since, until = f.timestamp("since", since), f.timestamp("until", until)
        if until <= since:
            raise ApiError("until: expected a time after since", status=400, field="until")
        days = max(1.0, round((until - since) / 86400.0))
        rows = await self.crm.db.fetchall(
            "SELECT CAST(strftime('%H', started_at, 'unixepoch', 'localtime') AS INTEGER) * 2"
            " + (CAST(strftime('%M', started_at, 'unixepoch', 'localtime') AS INTEGER) >= 30)"
            " AS slot, COUNT(*) AS offered,"
            " AVG(CASE WHEN disposition = 'answered' THEN talk_s END) AS aht"
            " FROM cdr WHERE started_at >= ? AND started_at < ? GROUP BY slot ORDER BY slot",
            (since, until))
        out = []
        for r in rows:
            calls = r["offered"] / days
            aht = float(r["aht"] or 180.0) or 180.0
            try:
                st = erlang.agents_needed(calls, 1800.0, aht, target_sl=target_sl,
                                          target_time=target_time, shrinkage=shrinkage)
            except ConfigError as exc:
                raise ApiError(str(exc), status=400, field="target") from None
            slot = int(r["slot"])
            out.append({"slot": f"{slot // 2:02d}:{30 * (slot % 2):02d}",
                        "calls": round(calls, 2), "aht_s": round(aht, 1),
                        "traffic_erlang": round(st.traffic, 3), "agents": st.agents,
                        "scheduled": st.scheduled, "service_level": round(st.service_level, 4),
                        "asa_s": round(st.asa, 1), "occupancy": round(st.occupancy, 4)})
        return out

    # read-only configuration (trunks: ``TrunksApi.list_trunks``) ----------------------
    @endpoint("queues.admin")
    async def list_dids(self, p: Principal) -> list[dict[str, Any]]:
        return [{"number": d.number, "target_kind": d.target_kind, "target": d.target,
                 "trunk": d.trunk} for d in await self._store.config.dids()]

    @endpoint("queues.admin")
    async def list_ivr_menus(self, p: Principal) -> list[dict[str, Any]]:
        return [{"name": m.name, "prompt_file": m.prompt_file, "prompt_text": m.prompt_text,
                 "timeout_s": m.timeout_s, "retries": m.retries, "options": dict(m.options)}
                for m in await self._store.config.ivr_menus()]

"""Where an inbound call goes: its route, its caller's list entry, the route's hours.

``Router`` keeps the routes, the black/white lists and the schedules in memory (a
snapshot reloaded after every configuration change), because the SIP edge asks
``routes_somewhere(trunk, did)`` for every INVITE before any media node sees it (an
unroutable number is answered 404 at the edge) and must not wait for the database.

The order of decisions for a call (``decide``):

1. the route: the most specific match of the DID (exact, then the longest prefix,
   then ``*``) and then of the line (the trunk itself, then its line group, then any);
   none: 404;
2. the caller's list entry (exact number, then the longest prefix; expired entries
   do not count): a blocked caller goes to the entry's target (``hangup`` is a 603
   refusal before answering); a VIP gets its ACD priority raised and, while the route
   is open, its dedicated queue or seat;
3. the route's schedule: while closed, the day's own target (a holiday message) or the
   route's closed target.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from firmware.crm.phone import PhoneSettings, try_normalise
from firmware.errors import FlowError
from firmware.store.access import Access
from firmware.store.inbound import ListEntry, Route
from firmware.store.schedules import Schedule

if TYPE_CHECKING:
    from firmware.store import Store

log = logging.getLogger("callbox.flows.routing")


@dataclass
class CallState:
    """What a call carries through the inbound path besides its record."""
    lang: str = "en"
    data: dict[str, str] = field(default_factory=dict)      # IVR variables
    entered: dict[str, str] = field(default_factory=dict)   # {"customer": ..} for screen pop
    priority: int = 0
    vip: bool = False
    hops: int = 0


@dataclass(frozen=True)
class Decision:
    target: str                         # where the call goes first
    route: Route
    blocked: ListEntry | None = None
    vip: ListEntry | None = None
    closed: str = ""                    # '' open; 'closed' or 'holiday'


@dataclass
class Snapshot:
    routes: list[Route] = field(default_factory=list)
    lists: list[ListEntry] = field(default_factory=list)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    phone: PhoneSettings = field(default_factory=PhoneSettings)

    def route_for(self, trunk: str, did: str) -> Route | None:
        best, best_rank = None, (0, 0)
        for r in self.routes:
            rank = r.rank(trunk, did)
            if rank[0] and rank[1] and rank > best_rank:
                best, best_rank = r, rank
        return best

    def caller_forms(self, caller: str) -> tuple[str, ...]:
        e164 = try_normalise(caller, self.phone) if caller else None
        return tuple({caller, e164} - {None, ""})              # type: ignore[arg-type]

    def entry_for(self, kind: str, caller: str, now: float) -> ListEntry | None:
        forms = self.caller_forms(caller)
        if not forms:
            return None
        best, best_rank = None, 0
        for e in self.lists:
            if e.kind == kind:
                rank = e.rank(forms, now)
                if rank > best_rank:
                    best, best_rank = e, rank
        return best


class Router:
    def __init__(self, store: "Store") -> None:
        self._store = store
        self._snap: Snapshot | None = None
        self._stale = True

    async def reload(self) -> Snapshot:
        inbound = self._store.inbound
        settings = await Access(self._store.db).settings()
        phone = PhoneSettings(settings.get("phone.country_code", ""),
                              settings.get("phone.trunk_prefix", "0"),
                              settings.get("phone.international_prefix", "00"))
        snap = Snapshot(await inbound.routes(), await inbound.list_entries(),
                        {s.name: s for s in await inbound.schedules()}, phone)
        self._snap, self._stale = snap, False
        log.info("routes loaded routes=%d list_entries=%d schedules=%d", len(snap.routes),
                 len(snap.lists), len(snap.schedules))
        return snap

    def invalidate(self) -> None:
        """Configuration changed: the next call reloads (the edge keeps the old snapshot
        until then, or until ``reload`` runs)."""
        self._stale = True

    async def snapshot(self) -> Snapshot:
        if self._snap is None or self._stale:
            return await self.reload()
        return self._snap

    def routes_somewhere(self, trunk: str, did: str) -> bool:
        if self._snap is None:
            raise FlowError("the route table is not loaded yet", step="routes_somewhere",
                            trunk=trunk, did=did)
        return self._snap.route_for(trunk or "", did or "") is not None

    async def decide(self, trunk: str, did: str, caller: str, now: float) -> Decision | None:
        """Where a new call goes first (None: the number routes nowhere)."""
        snap = await self.snapshot()
        route = snap.route_for(trunk or "", did or "")
        if route is None:
            return None
        blocked = snap.entry_for("block", caller, now)
        if blocked is not None:
            return Decision(blocked.target or "hangup", route, blocked=blocked)
        vip = snap.entry_for("vip", caller, now)
        if route.schedule:
            schedule = snap.schedules.get(route.schedule)
            if schedule is None:              # deleting a named schedule is refused
                raise FlowError("route names a missing schedule", step="route",
                                schedule=route.schedule)
            state = schedule.state_at(now)
            if not state.open:
                why = "holiday" if state.why == "holiday" else "closed"
                return Decision(state.target or route.closed_target, route, vip=vip,
                                closed=why)
        target = vip.target if vip is not None and vip.target else route.target
        return Decision(target, route, vip=vip)

    def schedule(self, name: str) -> Schedule | None:
        return None if self._snap is None else self._snap.schedules.get(name)


# -- the edge's question -----------------------------------------------------------------
_installed: list[Router] = []


def install(router: Router) -> None:
    """The composition root's router answers ``routes_somewhere`` (one per daemon)."""
    _installed[:] = [router]


def uninstall(router: Router) -> None:
    if _installed and _installed[0] is router:
        _installed.clear()


def routes_somewhere(trunk: str, did: str) -> bool:
    """Does a call on ``trunk`` to ``did`` match any route? For the edge's placer, which
    answers 404 without placing the call when it does not (the route table is in memory;
    no database trip). Raises ``FlowError`` before the daemon has loaded its routes."""
    if not _installed:
        raise FlowError("no route table installed (the daemon is not running)",
                        step="routes_somewhere", trunk=trunk, did=did)
    return _installed[0].routes_somewhere(trunk, did)

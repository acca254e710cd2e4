"""``Trunks``: every way out of the box, and the one call that uses them.

``Trunks.dial(near_leg, number, caller_id=None)`` is how a feature reaches the
outside (click-to-call, the campaign dialer, a callback, a transfer to an
external number, a closed-hours forward): the route table picks the route,
the route's trunk groups are tried in order, the first that can take the call
dials it from ``near_leg``'s media node. No route: ``RouteError``. Every group
busy or down: ``TrunksBusy`` -- a blocked call ("all lines busy"), published as
``trunk.blocked`` and written by the calling flow as a CDR with disposition
``blocked`` (``blocked_record``), which the reports count.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from firmware.errors import TrunksBusy
from firmware.events import EventBus
from firmware.store.cdr import CallRecord
from firmware.store.outbound import OutboundRoute
from firmware.trunks.groups import GroupBusy, TrunkGroup, why_not
from firmware.trunks.routes import Plan, RouteTable

if TYPE_CHECKING:
    from firmware.media.leg import Leg

log = logging.getLogger("callbox.trunks")


class Trunks:
    def __init__(self, bus: EventBus, routes: Iterable[OutboundRoute] = ()) -> None:
        self.bus = bus
        self._groups: dict[str, TrunkGroup] = {}
        self.table = RouteTable(routes)
        self.blocked = 0            # blocked calls since start (health)
        self.dialled = 0

    # -- groups and routes -------------------------------------------------------------
    def register_group(self, group: TrunkGroup) -> None:
        """Add a trunk group (the line code registers its E1/FXO groups at start); a
        group of the same name is replaced."""
        if not isinstance(group, TrunkGroup):
            raise TypeError(f"not a trunk group: {group!r}")
        self._groups[group.name] = group
        log.info("trunk group registered name=%s kind=%s", group.name, group.kind)

    def unregister_group(self, name: str) -> None:
        if self._groups.pop(name, None) is not None:
            log.info("trunk group unregistered name=%s", name)

    def group(self, name: str) -> TrunkGroup | None:
        return self._groups.get(name)

    def groups(self) -> list[TrunkGroup]:
        return [self._groups[n] for n in sorted(self._groups)]

    def set_routes(self, routes: Iterable[OutboundRoute]) -> None:
        self.table = RouteTable(routes)
        log.info("outbound routes set %s", " ".join(
            f"{r.name}:{r.prefix or '*'}->{','.join(r.groups)}" for r in self.table.routes)
            or "-")

    # -- the call ----------------------------------------------------------------------
    async def dial(self, near_leg: "Leg", number: str, *, caller_id: str | None = None,
                   route_hint: str | None = None) -> "Leg":
        """The far end's leg in ``near_leg``'s node (docs/design/call-features.md §4)."""
        plan = self.table.plan(number, caller_id, route_hint)
        tried: list[tuple[str, str]] = []
        for name in plan.route.groups:
            group = self._groups.get(name)
            if group is None:
                tried.append((name, "no such trunk group"))
                continue
            if not group.available():
                tried.append((name, why_not(group)))
                continue
            try:
                leg = await group.dial(near_leg, plan.send, plan.caller_id)
            except GroupBusy as exc:
                tried.append((name, str(exc.context.get("reason", exc))))
                continue
            self.dialled += 1
            leg.info["trunk"] = name            # for the CDR: the group that carried it
            log.info("outbound call number=%s route=%s group=%s send=%s caller_id=%s "
                     "tried=%s", plan.number, plan.route.name, name, plan.send,
                     plan.caller_id or "-", _tried_text(tried) or "-")
            return leg
        self._blocked(plan, tried)
        raise TrunksBusy("every trunk group of the route is busy or down", number=plan.number,
                         route=plan.route.name, tried=tried)

    def _blocked(self, plan: Plan, tried: list[tuple[str, str]]) -> None:
        self.blocked += 1
        log.warning("outbound call blocked number=%s route=%s tried=%s", plan.number,
                    plan.route.name, _tried_text(tried))
        self.bus.publish("trunk.blocked", number=plan.number, route=plan.route.name,
                         tried=[{"group": g, "why": w} for g, w in tried])

    def health(self) -> dict[str, Any]:
        """``degraded`` while a group reports a fault (a SIP trunk down or unregistered, a
        span in alarm); a group that is only full is not a fault."""
        groups = [_describe(g) for g in self.groups()]
        faults = [g["name"] for g in groups if g.get("fault")]
        return {"status": "degraded" if faults else "ok", "groups": groups,
                "faults": faults, "routes": len(self.table.routes),
                "dialled": self.dialled, "blocked": self.blocked}


def _describe(group: TrunkGroup) -> dict[str, Any]:
    describe = getattr(group, "describe", None)
    extra = describe() if callable(describe) else {}
    available = group.available()
    out = {"name": group.name, "kind": group.kind, "available": available, **extra}
    if not available:
        out["why"] = why_not(group)
    return out


def _tried_text(tried: list[tuple[str, str]]) -> str:
    return ",".join(f"{g}({w})" for g, w in tried)


def blocked_record(exc: TrunksBusy, *, started_at: float, ended_at: float,
                   call_id: str | None = None, caller_number: str = "", queue: str = "",
                   agent: str = "") -> CallRecord:
    """The CDR of an outbound call no trunk group could take: disposition ``blocked``."""
    tried = exc.context.get("tried") or []
    return CallRecord(
        id=call_id or str(uuid.uuid4()), started_at=started_at, ended_at=ended_at,
        disposition="blocked", hangup_by="system", caller_number=caller_number,
        queue=queue, agent=agent, direction="out", dialed_number=exc.context["number"],
        trunk=tried[0][0] if tried else "",
        failure_reason=f"all lines busy: {_tried_text(tried)}"[:200])

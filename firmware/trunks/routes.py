"""The outbound route table as the daemon applies it: which route a number takes,
the number the trunk is sent, and the caller ID it presents.

The rows are ``firmware.store.outbound.OutboundRoute`` (the admin's table); this
module only decides. Numbers are checked against ``firmware.telephony.dialstring``
before a prefix is compared and again after strip/prepend, so what leaves the box
is always a plain number (no injection characters, whatever the route says).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from firmware.errors import RouteError
from firmware.store.outbound import OutboundRoute
from firmware.telephony import dialstring


@dataclass(frozen=True)
class Plan:
    """What ``RouteTable.plan`` decided for one call."""

    route: OutboundRoute
    number: str                 # as dialled (checked)
    send: str                   # as the trunk gets it, after strip and prepend
    caller_id: str | None       # what to present (None: the trunk group's own default)


class RouteTable:
    def __init__(self, routes: Iterable[OutboundRoute] = ()) -> None:
        self.routes = tuple(r.checked() for r in routes)
        self._by_name = {r.name: r for r in self.routes}

    def match(self, number: str) -> OutboundRoute:
        """The enabled route with the longest prefix of ``number``; ``RouteError`` if none."""
        number = dialstring.number(number)
        best: OutboundRoute | None = None
        for r in self.routes:
            if r.enabled and number.startswith(r.prefix) and \
                    (best is None or len(r.prefix) > len(best.prefix)):
                best = r
        if best is None:
            raise RouteError("no outbound route for this number", number=number)
        return best

    def plan(self, number: str, caller_id: str | None = None,
             route_hint: str | None = None) -> Plan:
        """Route, number to send and caller ID for a call to ``number``.

        ``route_hint`` names the route to use (a campaign's, say) instead of matching by
        prefix; it must exist and be enabled. ``caller_id`` is what the call brings (a
        queue's number, an agent's DID).
        """
        number = dialstring.number(number)
        if caller_id is not None and caller_id != "":
            caller_id = dialstring.number(caller_id, "caller_id")
        else:
            caller_id = None
        if route_hint is not None:
            route = self._by_name.get(route_hint)
            if route is None or not route.enabled:
                raise RouteError("no such enabled outbound route", number=number,
                                 route=route_hint)
        else:
            route = self.match(number)
        if len(number) < route.strip + 1:
            raise RouteError(f"the number is shorter than route {route.name}'s strip",
                             number=number, route=route.name, strip=route.strip)
        rest = number[route.strip:]
        if route.prepend.startswith("+") and rest.startswith("+"):
            rest = rest[1:]
        send = dialstring.number(route.prepend + rest, "number after strip and prepend")
        if route.caller_id_mode == "fixed":
            presented: str | None = route.caller_id
        else:
            presented = caller_id or route.caller_id or None
        return Plan(route, number, send, presented)

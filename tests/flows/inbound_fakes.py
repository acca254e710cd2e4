"""Fakes for the parts the inbound flows reach that are not built yet, or not here.

``FakeTrunks`` stands for ``firmware.trunks.Trunks`` as docs/design/call-features.md §4
pins it (``dial(near_leg, number, *, caller_id=None, route_hint=None) -> Leg``, raising
``RouteError`` / ``TrunksBusy``): the far ends are ``FakeLeg`` s the test answers or
leaves ringing. When the real trunks land, the flow tests keep it (they test the flow's
decisions, not the trunks).
"""
from __future__ import annotations

from typing import Any

from firmware.errors import CallboxError
from tests.flows.fakes import FakeLeg


class RouteError(CallboxError):
    """No outbound route matches (the shape firmware.trunks raises)."""


class TrunksBusy(CallboxError):
    """Every trunk group busy or down."""


class FakeTrunks:
    def __init__(self) -> None:
        self.dialled: list[tuple[FakeLeg, dict[str, Any]]] = []
        self.error: CallboxError | None = None

    async def dial(self, near: Any, number: str, *, caller_id: str | None = None,
                   route_hint: str | None = None) -> FakeLeg:
        if near.ended.done():
            raise CallboxError(f"dial: leg {near.id} has ended", leg=near.id)
        if self.error is not None:
            raise self.error
        leg = FakeLeg("out", {"number": number, "caller_id": caller_id,
                              "route_hint": route_hint}, node=near.node)
        self.dialled.append((leg, {"number": number, "caller_id": caller_id,
                                   "route_hint": route_hint}))
        return leg

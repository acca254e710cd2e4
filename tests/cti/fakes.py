"""Trunks for the desk's flow tests: a far end the test plays, in the near leg's node.

It raises the errors ``firmware.trunks.Trunks.dial`` raises (``firmware.errors``)."""
from __future__ import annotations

from typing import Any

from firmware.errors import RouteError, TrunksBusy
from tests.flows.fakes import FakeLeg, FakePool


class FakeTrunks:
    """``dial(near, number, caller_id=)``: a new leg in ``near``'s node; numbers starting
    ``000`` have no route, ``999`` find every trunk busy."""

    def __init__(self, pool: FakePool) -> None:
        self.pool = pool
        self.dialled: list[tuple[str, str | None, FakeLeg]] = []

    async def dial(self, near_leg: FakeLeg, number: str, *, caller_id: str | None = None,
                   route_hint: str | None = None) -> FakeLeg:
        if number.startswith("000"):
            raise RouteError(f"no route for {number}", number=number)
        if number.startswith("999"):
            raise TrunksBusy(f"every trunk is busy for {number}", number=number, tried=["sip"])
        leg = await self.pool.dial(near_leg, f"sip:{number}@trunk", caller_id=caller_id)
        self.dialled.append((number, caller_id, leg))
        return leg

    def last(self) -> FakeLeg:
        return self.dialled[-1][2]


def out_legs(pool: FakePool, uri_part: str) -> list[Any]:
    return [leg for leg, uri in pool.dialled if uri_part in uri]

"""``LineTrunk``: a line group of the card (an E1 span, the FXO ports) as a trunk group.

``firmware/trunks`` knows trunk groups only through its ``TrunkGroup`` protocol;
the composition root registers one ``LineTrunk`` per line group under the
group's name (``e1/1``, ``fxo``), so outbound routes name them like SIP trunks
and ``Trunks.dial`` (click-to-call, callbacks, campaigns) leaves on the span.
A group that cannot carry the call now raises ``GroupBusy`` (the route's next
group is tried): link down, no free channel, or the network's refusal with
cause 34, 38, 41, 42, 44 or 47.
"""
from __future__ import annotations

from typing import Any, Protocol

from firmware.media.leg import Leg


class LineGroup(Protocol):
    name: str
    kind: str

    async def dial(self, near: Leg, number: str, caller_id: str | None = None) -> Leg: ...

    def describe(self) -> dict[str, Any]: ...

    def why_not(self) -> str | None: ...


class LineTrunk:
    def __init__(self, group: LineGroup) -> None:
        self.group = group
        self.name = group.name
        self.kind = group.kind

    def available(self) -> bool:
        return self.group.why_not() is None

    def why_not(self) -> str | None:
        return self.group.why_not()

    def describe(self) -> dict[str, Any]:
        return self.group.describe()

    async def dial(self, near_leg: Leg, number: str, caller_id: str | None = None) -> Leg:
        return await self.group.dial(near_leg, number, caller_id)

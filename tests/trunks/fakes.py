"""Stand-ins for what trunks talk to: a leg as the media pool hands it out, line groups."""
from __future__ import annotations

import asyncio
from typing import Any

from firmware.trunks.groups import GroupBusy


class FakeLeg:
    """The parts of ``firmware.media.leg.Leg`` a trunk group waits on."""

    def __init__(self, uri: str = "", caller_id: str | None = None) -> None:
        self.uri = uri
        self.caller_id = caller_id
        self.info: dict[str, object] = {}
        self.progressed = asyncio.Event()
        self.ended: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()

    def ring(self) -> "FakeLeg":
        self.progressed.set()
        return self

    def end(self, code: int, reason: str = "") -> "FakeLeg":
        if not self.ended.done():
            self.ended.set_result((code, reason))
        return self


class LineGroup:
    """An E1/FXO group as the line code will register it: ``free`` channels to hunt."""

    def __init__(self, name: str, free: int, kind: str = "e1") -> None:
        self.name = name
        self.kind = kind
        self.free = free
        self.dialled: list[tuple[str, str | None]] = []
        self.raced = False            # available() says yes, dial() finds none (a race)

    def available(self) -> bool:
        return self.free > 0

    def why_not(self) -> str:
        return "all channels busy"

    async def dial(self, near_leg: Any, number: str, caller_id: str | None = None) -> FakeLeg:
        if self.raced:
            raise GroupBusy("no free channel", group=self.name, reason="channel taken meanwhile")
        self.free -= 1
        self.dialled.append((number, caller_id))
        return FakeLeg(f"{self.name}/{number}", caller_id).ring()

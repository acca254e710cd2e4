"""Conversations in a node: the legs that share one conference and the room they hold.

The bridge cannot span processes, so every leg of a conversation (caller,
agent, a transfer target, a third party, a supervisor) must live in the node
that hosts it. Each conversation holds ``max(reserved, legs)`` of the node's
legs: an incoming INVITE opens one holding 2 (the caller and the agent it will
be put through to); ``open`` makes one with no leg yet (click-to-call, a
campaign call: the agent's seat is dialled first, then the customer), so that
room is held before anyone is rung. A dial beyond the reserved room needs a
free leg of the node, or it is refused ("node full") before anything changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from firmware.media.paths import CommandError


@dataclass(eq=False)
class Conversation:
    id: int = 0
    reserved: int = 2
    legs: set[int] = field(default_factory=set)
    opened: bool = False        # made by ``open``: kept, with its room, until ``close``


class Rooms:
    """Mixed into ``NodeEngine``."""

    capacity: int
    _log: Any

    def _init_rooms(self) -> None:
        self._convs: list[Conversation] = []
        self._next_conv = 1

    def used(self) -> int:
        return sum(max(c.reserved, len(c.legs)) for c in self._convs)

    def _add_conversation(self, reserve: int, opened: bool = False) -> Conversation:
        conv = Conversation(self._next_conv, reserve, opened=opened)
        self._next_conv += 1
        self._convs.append(conv)
        return conv

    def _conversation(self, conv_id: int | None) -> Conversation:
        conv = next((c for c in self._convs if c.id == conv_id), None)
        if conv is None:
            raise CommandError(f"conversation {conv_id} is not open on this node")
        return conv

    def _cmd_open(self, legs: int) -> dict[str, int]:
        free = self.capacity - self.used()
        if free < legs:
            raise CommandError(f"node full: {self.used()} of {self.capacity} legs in use, "
                               f"{legs} wanted")
        conv = self._add_conversation(legs, opened=True)
        self._log("info", "conversation_opened", conv=conv.id, legs=legs)
        return {"conv": conv.id}

    def _cmd_close(self, conv: int) -> None:
        room = self._conversation(conv)
        if room.legs:
            raise CommandError(f"close: conversation {conv} still has legs "
                               f"{sorted(room.legs)}")
        self._convs.remove(room)
        self._log("info", "conversation_closed", conv=conv)

    def _leave_conversation(self, leg: Any) -> None:
        conv = leg.conv
        conv.legs.discard(leg.no)
        if leg.direction == "out" and conv.reserved > 2:
            conv.reserved -= 1
        if not conv.legs and not conv.opened and conv in self._convs:
            self._convs.remove(conv)

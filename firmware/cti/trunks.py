"""What the desk needs from the trunks: ``dial(near_leg, number, caller_id=)``.

``firmware/trunks/`` (the outbound route table, SIP and line trunk groups) is
built beside the desk (docs/design/call-features.md §4); the composition root
puts its ``Trunks`` in ``FlowContext.trunks``. Until it does, ``NoTrunks``
refuses every outbound call with a clear error, so the desk's outbound paths
are wired and tested (with a fake, and with a SIP peer dialled directly in the
media tests) but say plainly that no trunk exists.

Errors a ``Trunks.dial`` raises, by class name (the desk does not import them):
``RouteError`` (no route for the number: the record's result is ``invalid``)
and ``TrunksBusy`` (every group busy or down: ``failed``, counted as blocked).
"""
from __future__ import annotations

from typing import Protocol

from firmware.errors import FlowError
from firmware.media.leg import Leg


class Trunks(Protocol):
    async def dial(self, near_leg: Leg, number: str, *, caller_id: str | None = None,
                   route_hint: str | None = None) -> Leg: ...


class NoTrunks:
    """The stand-in until ``firmware/trunks`` is wired into the daemon."""

    async def dial(self, near_leg: Leg, number: str, *, caller_id: str | None = None,
                   route_hint: str | None = None) -> Leg:
        raise FlowError("no outbound trunks: firmware/trunks is not part of this build yet, "
                        "so the box cannot call outside numbers", step="trunks.dial",
                        number=number)


def outcome_of_error(exc: BaseException) -> str:
    """A campaign record's result for a failed ``dial``."""
    name = type(exc).__name__
    if name == "RouteError":
        return "invalid"
    return "failed"


def outcome_of_code(code: int) -> str:
    """A campaign record's result for a far end that ended unanswered with ``code``
    (SIP status, or a Q.850 cause from a line trunk)."""
    if code in (486, 600, 17):
        return "busy"
    if code in (404, 410, 484, 485, 604, 1, 3, 28):
        return "invalid"
    if code in (408, 480, 487, 603, 18, 19, 21, 0):
        return "no-answer"
    return "failed"

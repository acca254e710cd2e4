"""What the desk needs from the trunks: ``dial(near_leg, number, caller_id=)``.

``firmware/trunks/`` (the outbound route table, SIP and line trunk groups,
docs/design/call-features.md §4) is what the composition root puts in
``FlowContext.trunks``; the desk knows it only through the ``Trunks`` protocol
below. ``NoTrunks`` is what a ``FlowContext`` built without trunks holds (flow
tests that never dial out): it refuses every outbound call with a clear error.

Errors a ``Trunks.dial`` raises (``firmware.errors``): ``RouteError`` and its
``DialStringError`` (no route for the number, or not a number: the record's
result is ``invalid``) and ``TrunksBusy`` (every group busy or down: ``failed``,
and the CDR's disposition is ``blocked``, which the reports count).
"""
from __future__ import annotations

from typing import Protocol

from firmware.errors import FlowError, RouteError, TrunksBusy
from firmware.media.leg import Leg


class Trunks(Protocol):
    async def dial(self, near_leg: Leg, number: str, *, caller_id: str | None = None,
                   route_hint: str | None = None) -> Leg: ...


class NoTrunks:
    """Outbound calls in a ``FlowContext`` that has no trunks (the daemon always has)."""

    async def dial(self, near_leg: Leg, number: str, *, caller_id: str | None = None,
                   route_hint: str | None = None) -> Leg:
        raise FlowError("no outbound trunks in this flow context, so it cannot call outside "
                        "numbers", step="trunks.dial", number=number)


def outcome_of_error(exc: BaseException) -> str:
    """A campaign record's result for a failed ``dial``."""
    if isinstance(exc, RouteError):
        return "invalid"
    return "failed"


def disposition_of_error(exc: BaseException) -> str:
    """The CDR disposition of an outbound call whose ``dial`` failed: ``blocked`` when no
    trunk group could take it (all lines busy), else ``failed``."""
    return "blocked" if isinstance(exc, TrunksBusy) else "failed"


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

"""What the R2 stack tells the layer above (the ``R2Channel`` and the flows).

Events are values handed to the span's ``on_event`` callable after the state
change that caused them, so a handler may act at once (accept an
``IncomingCall`` from inside the callback). Every call, whichever side started
it and however it ended (refused, failed MF, line failure ...), produces
``Seized`` at its first moment and ``Released`` exactly once at its end, with a
``CallSummary`` the flow turns into a CDR.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallSummary:
    """One call as a record; times are on the stack's clock (``wall()`` seconds)."""

    span: int
    ts: int
    variant: str
    direction: str            # "in" (the far end seized) or "out"
    dnis: str
    ani: str
    ani_restricted: bool
    category: str
    seized: float
    answered: float | None
    ended: float
    cause: str                # normal, busy, unallocated, congestion, no_answer, line_failure ...
    cleared_by: str           # remote, local, timer, line, protocol
    group_b: str              # the group B signal of the call ("" if it never got there)


@dataclass(frozen=True)
class R2Event:
    span: int
    ts: int


@dataclass(frozen=True)
class Seized(R2Event):
    direction: str            # "in" or "out"


@dataclass(frozen=True)
class IncomingCall(R2Event):
    dnis: str
    ani: str
    category: str
    ani_restricted: bool = False


@dataclass(frozen=True)
class Accepted(R2Event):
    """Outgoing call: the called party is free (group B, or A-6 where the variant has it)."""
    group_b: str


@dataclass(frozen=True)
class Refused(R2Event):
    """Outgoing call: refused in group A or B (busy, unallocated, congestion ...)."""
    reason: str


@dataclass(frozen=True)
class Answered(R2Event):
    """Answer bits sent (incoming call) or received (outgoing call)."""


@dataclass(frozen=True)
class ClearedBack(R2Event):
    """The called far end hung up first (outgoing call)."""


@dataclass(frozen=True)
class ClearedForward(R2Event):
    """The calling far end hung up (incoming call)."""


@dataclass(frozen=True)
class Released(R2Event):
    summary: CallSummary


@dataclass(frozen=True)
class Blocked(R2Event):
    """The far end blocks the timeslot."""


@dataclass(frozen=True)
class Unblocked(R2Event):
    """The far end unblocked the timeslot."""


@dataclass(frozen=True)
class LineFailure(R2Event):
    reason: str


@dataclass(frozen=True)
class LineRestored(R2Event):
    """The line is back (a peer connected again); the timeslot is in service."""

"""A trunk group: one way out of the box (a SIP trunk, an E1 span, the FXO ports).

``Trunks`` knows groups only through this protocol, so the line code (E1 and FXO
groups hunting a free channel) registers its groups with ``Trunks.register_group``
at start and ``firmware/trunks`` never imports it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from firmware.errors import CallboxError

if TYPE_CHECKING:
    from firmware.media.leg import Leg


class GroupBusy(CallboxError):
    """Raised by a group's ``dial`` when it cannot take this call after all (no free
    channel any more, or the trunk refused it before ringing: 503, 408, a failed
    authentication); ``Trunks`` then tries the route's next group. Carries ``group``
    and ``reason``."""


@runtime_checkable
class TrunkGroup(Protocol):
    name: str                 # unique: a SIP trunk's name, "e1/1", "fxo"
    kind: str                 # "sip", "e1", "fxo"

    def available(self) -> bool:
        """Whether a call placed now could get a channel (up, registered, not full)."""
        ...

    async def dial(self, near_leg: "Leg", number: str, caller_id: str | None = None) -> "Leg":
        """Call ``number`` (as the trunk must get it) from ``near_leg``'s media node; return
        the far end's leg once the call progresses (rings, answers) or has ended for a
        reason that is the far end's (busy, no such number). Raise ``GroupBusy`` when this
        group cannot carry the call."""
        ...


def why_not(group: TrunkGroup) -> str:
    """A group's own account of why it is not available, if it offers one."""
    explain = getattr(group, "why_not", None)
    reason = explain() if callable(explain) else None
    return str(reason) if reason else "unavailable"

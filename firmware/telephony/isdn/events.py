"""What the Q.931 stack tells the layer above (the ``IsdnChannel`` and the flows).

Events are values delivered through the ``on_event`` callable given to
``Q931``, after the state change that caused them, so a handler may act on the
call at once (answer an ``IncomingCall`` from inside the callback).
``Released`` comes exactly once per call, whatever ended it (far end, us, a
timer, a restart, the link), with a ``CallSummary`` the flow turns into a CDR.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from firmware.telephony.isdn.ie import BearerCapability, CalledNumber, CallingNumber, RedirectingNumber

if TYPE_CHECKING:
    from firmware.telephony.isdn.call import Call


@dataclass(frozen=True)
class CallSummary:
    """One call as a record: numbers, channel, times on the stack's clock, cause, who cleared."""

    call_ref: int
    direction: str              # "in" (far end called us) or "out"
    channel_ts: int | None
    calling: str
    called: str
    redirecting: str
    started: float
    answered: float | None
    ended: float
    cause: int
    cleared_by: str             # "remote", "local", "timer", "link", "restart", "protocol"


@dataclass(frozen=True)
class LinkUp:
    """The D-channel is in multiple-frame-established state."""


@dataclass(frozen=True)
class LinkDown:
    reason: str


@dataclass(frozen=True)
class IncomingCall:
    call: "Call"
    channel_ts: int
    calling: CallingNumber | None
    called: CalledNumber
    redirecting: RedirectingNumber | None
    bearer: BearerCapability


@dataclass(frozen=True)
class Proceeding:
    call: "Call"


@dataclass(frozen=True)
class Alerting:
    call: "Call"


@dataclass(frozen=True)
class Progress:
    call: "Call"
    description: int


@dataclass(frozen=True)
class Connected:
    call: "Call"


@dataclass(frozen=True)
class Disconnected:
    """The far end sent DISCONNECT; the stack releases by itself, ``Released`` follows."""

    call: "Call"
    cause: int


@dataclass(frozen=True)
class Released:
    call: "Call"
    cause: int
    summary: CallSummary


@dataclass(frozen=True)
class DigitsReceived:
    """INFORMATION digits: overlap receiving (before ``IncomingCall``) or keypad during the call."""

    call: "Call"
    digits: str


@dataclass(frozen=True)
class ChannelRestarted:
    channel_ts: int | None      # None: the whole interface
    initiator: str              # "local" (our RESTART was acknowledged) or "remote"


@dataclass(frozen=True)
class RestartFailed:
    channel_ts: int | None


Event = Union[LinkUp, LinkDown, IncomingCall, Proceeding, Alerting, Progress, Connected,
              Disconnected, Released, DigitsReceived, ChannelRestarted, RestartFailed]

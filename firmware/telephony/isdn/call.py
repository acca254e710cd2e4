"""One Q.931 call as the layer above holds it: its numbers, channel and state,
and the commands that drive it (each one an event of the call's state table).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from firmware.telephony.isdn import causes
from firmware.telephony.isdn.events import CallSummary
from firmware.telephony.isdn.ie import (
    PROG_INBAND, BearerCapability, CalledNumber, CallingNumber, RedirectingNumber,
)
from firmware.telephony.isdn.q931_states import State

if TYPE_CHECKING:
    from acd_core.clock import TimerHandle
    from firmware.telephony.isdn.q931 import Q931


class Call:
    """A call reference and everything Q.931 knows about it.

    ``local_ref`` is True when we allocated the call reference (we sent the
    SETUP): messages we send then carry flag 0, the far end's carry flag 1.
    """

    def __init__(self, q931: "Q931", call_ref: int, local_ref: bool, state: State,
                 started: float) -> None:
        self.q931 = q931
        self.call_ref = call_ref
        self.local_ref = local_ref
        self.state = state
        self.direction = "out" if local_ref else "in"
        self.ts: int | None = None
        self.exclusive = True
        self.channel_sent = False          # our first answer named the channel
        self.glare = False                 # the network took our channel for its own call
        self.pending_cause: int | None = None   # clear with this cause once the transition is done
        self.called = CalledNumber()
        self.calling: CallingNumber | None = None
        self.redirecting: RedirectingNumber | None = None
        self.bearer = BearerCapability()
        self.display: str | None = None
        self.cause: int | None = None      # the clearing cause, once known
        self.cause_out = causes.NORMAL_CLEARING
        self.cleared_by: str | None = None
        self.progress_description = PROG_INBAND
        self.started = started
        self.answered: float | None = None
        self.ended: float | None = None
        self.timers: dict[str, "TimerHandle"] = {}
        self.expiries: dict[str, int] = {}
        self.released = False

    def __repr__(self) -> str:
        return (f"<Call 0x{self.call_ref:04x} {self.direction} {self.state} "
                f"ts={self.ts} called={self.called.digits!r}>")

    @property
    def label(self) -> str:
        return f"call 0x{self.call_ref:04x}"

    # ------------------------------------------------------------------ commands
    def proceeding(self) -> None:
        """CALL PROCEEDING: the number is complete, the call is being handled."""
        self.q931.command(self, "proceeding")

    def alerting(self) -> None:
        """ALERTING: the called side is ringing."""
        self.q931.command(self, "alerting")

    def progress(self, description: int = PROG_INBAND) -> None:
        """PROGRESS (default: in-band information is now available, e.g. an announcement)."""
        self.progress_description = description
        self.q931.command(self, "progress")

    def answer(self) -> None:
        """CONNECT."""
        self.q931.command(self, "answer")

    def hangup(self, cause: int = causes.NORMAL_CLEARING) -> None:
        """Clear the call: RELEASE COMPLETE before any answer to an incoming SETUP, else DISCONNECT.

        Calling it on a call already released does nothing.
        """
        if self.released:
            return
        self.cause_out = cause
        self.q931.command(self, "hangup")

    # ------------------------------------------------------------------ record
    def summary(self) -> CallSummary:
        return CallSummary(
            call_ref=self.call_ref, direction=self.direction, channel_ts=self.ts,
            calling=self.calling.digits if self.calling else "", called=self.called.digits,
            redirecting=self.redirecting.digits if self.redirecting else "",
            started=self.started, answered=self.answered,
            ended=self.ended if self.ended is not None else self.started,
            cause=self.cause if self.cause is not None else causes.NORMAL_UNSPECIFIED,
            cleared_by=self.cleared_by or "remote")

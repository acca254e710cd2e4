"""A Q.931 stack on a ManualClock with layer 2 reduced to a recorder, and a far end
scripted message by message (the Q.931 unit tests' common ground)."""
from __future__ import annotations

from typing import Any

from acd_core.clock import ManualClock
from firmware.telephony.isdn import IncomingCall, Q931
from firmware.telephony.isdn.ie import (
    SENDING_COMPLETE, BearerCapability, CalledNumber, CallingNumber, ChannelId,
)
from firmware.telephony.isdn.messages import MT, Message
from firmware.telephony.isdn.timers import TIMERS


class FakeLink:
    """Layer 2 reduced to what Q.931 uses: it records what Q.931 sends."""

    def __init__(self) -> None:
        self.timers = TIMERS
        self.sent: list[Message] = []
        self.starts = 0
        self.user: Any = None

    def bind(self, user: Any) -> None:
        self.user = user

    def send(self, payload: bytes) -> None:
        self.sent.append(Message.parse(payload, strict=False))

    def start(self) -> None:
        self.starts += 1

    def stop(self) -> None:
        pass


class Stack:
    def __init__(self, role: str = "user", **kw: Any) -> None:
        self.clock = ManualClock()
        self.link = FakeLink()
        self.events: list[Any] = []
        self.q = Q931(role, self.link, self.clock, self.events.append, name="ours", **kw)
        self.q.dl_established(True)
        self.events.clear()

    def rx(self, mtype: int, call_ref: int, flag: bool, *ies: Any) -> None:
        self.q.dl_data(bytes(Message.build(mtype, call_ref, flag, *ies)))

    def rx_raw(self, hexstr: str) -> None:
        self.q.dl_data(bytes.fromhex(hexstr))

    def setup(self, ts: int = 5, ref: int = 7, exclusive: bool = True, complete: bool = True,
              called: str = "4001") -> None:
        self.rx(MT.SETUP, ref, False, BearerCapability(), ChannelId.for_timeslot(ts, exclusive),
                CallingNumber("5551234", presentation=0), CalledNumber(called),
                SENDING_COMPLETE if complete else None)

    def sent(self) -> list[Message]:
        out, self.link.sent = self.link.sent, []
        return out

    def kinds(self) -> list[int]:
        return [m.mtype for m in self.sent()]

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def incoming(s: Stack, **kw: Any) -> Any:
    s.setup(**kw)
    return s.of(IncomingCall)[-1].call

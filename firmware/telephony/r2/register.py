"""What the two MF registers share: the compelled cycle as a table, tones, timers, tracing.

Every interregister step is compelled (ITU-T Q.442): the forward side holds a
tone until it hears the backward answer, then stops; the backward side holds
its answer until the forward tone stops, then stops; the forward side acts on
the answer when it ends. Each register is a small state table over the events
``tone on``, ``tone off``, ``timeout`` (and ``decided`` / ``pulse end`` on the
backward side); what to answer or send next is the variant's table
(:mod:`firmware.telephony.r2.variants`) read by the side's own logic.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Protocol

from acd_core.clock import Clock, TimerHandle
from acd_core.errors import IllegalTransition
from firmware.telephony.r2.mf import MfReceiver, MfSender
from firmware.telephony.r2.variants import Variant

log = logging.getLogger(__name__)


class RegisterHost(Protocol):
    """The circuit a register works for."""

    clock: Clock
    variant: Variant
    ts: int

    def register_event(self, event: str) -> None: ...

    def trace(self, kind: str, text: str) -> None: ...


@dataclass
class RegisterResult:
    """What a register learnt or was told; the circuit reads it on its events."""

    dnis: str = ""
    ani: str = ""
    ani_restricted: bool = False
    category: str = ""
    group_b: str = ""           # the group B meaning that ended the exchange
    failure: str = ""


class Register:
    """Base: a state table, the tone we send, the tones we hear, one timer."""

    NAME = "register"
    TABLE: dict[str, dict[str, str]] = {}
    START = ""
    SEND_DIRECTION = ""          # "forward" or "backward": the tones we send
    TERMINAL: frozenset[str] = frozenset()

    def __init__(self, host: RegisterHost) -> None:
        self.host = host
        self.variant = host.variant
        self.state = self.START
        hear = "backward" if self.SEND_DIRECTION == "forward" else "forward"
        self.sender = MfSender(self.SEND_DIRECTION)
        self.receiver = MfReceiver(hear)
        self.result = RegisterResult()
        self._timer: TimerHandle | None = None
        self.send_group = ""       # group of the tone we send (I, II, A, B)
        self.hear_group = ""       # group of the tones we expect
        self.stopped = False

    # ------------------------------------------------------------ table
    def fire(self, event: str, why: str = "") -> None:
        """The register's one transition: look the row up, log the change."""
        try:
            nxt = self.TABLE[self.state][event]
        except KeyError:
            raise IllegalTransition(f"R2 {self.NAME} in {self.state} has no transition for "
                                    f"{event!r}", ts=self.host.ts, state=self.state,
                                    event=event) from None
        if nxt != self.state:
            log.debug("r2 ts=%d %s: %s -> %s (%s%s)", self.host.ts, self.NAME, self.state, nxt,
                      event, f": {why}" if why else "")
        self.state = nxt

    # ------------------------------------------------------------ tones
    def send(self, group: str, tone: int) -> None:
        if tone == self.sender.tone:
            return
        if tone:
            self.send_group = group
            self.host.trace("MF tx", f"{self.variant.describe_tone(group, tone)} on")
        else:
            self.host.trace("MF tx", f"{self.variant.describe_tone(self.send_group, self.sender.tone)} off")
        self.sender.set(tone)

    def frame(self) -> bytes:
        return self.sender.frame()

    def audio(self, frame: bytes) -> None:
        """A received frame: tone changes drive the table."""
        if self.stopped:
            return
        for tone in self.receiver.feed(frame):
            if self.stopped:
                return
            if tone:
                self.host.trace("MF rx", f"{self.variant.describe_tone(self.hear_group, tone)} on")
                self.tone_on(tone)
            else:
                self.host.trace("MF rx", "off")
                self.tone_off()

    def tone_on(self, tone: int) -> None:
        raise NotImplementedError

    def tone_off(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ timer
    def arm(self, seconds: float, on_expiry: Callable[[], None]) -> None:
        self.disarm()

        def fire() -> None:
            self._timer = None
            if not self.stopped:
                on_expiry()
        self._timer = self.host.clock.call_later(seconds, fire)

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def stop(self) -> None:
        """The circuit is done with us: silence, no more timers or events."""
        self.disarm()
        if self.sender.tone:
            self.send(self.send_group, 0)
        self.stopped = True

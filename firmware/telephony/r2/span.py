"""An E1 span's R2 circuits: the card drives it from below, the channel layer from above.

Below, the span is what the card calls (the simulated card's
``drivers.sim.timeslot_door.TimeslotHandler``; on the real card the framer's
CAS changes and the TDM switch's 20 ms chunks): ``line_up``, ``line_down``,
``cas_received``, ``audio_received``, ``audio_to_send``. It sets transmit bits
through ``line.set_cas(ts, abcd)``.

Above, an ``R2Channel`` (the ``Channel`` the flows see) uses the commands
``place_call``, ``accept``, ``refuse``, ``answer``, ``hangup``, ``block``,
``unblock`` and the per-timeslot audio hand-off ``media(ts)``, and gets
:mod:`~firmware.telephony.r2.events` through ``on_event``. Commands are checked
against the state table: one the state has no row for raises
``IllegalTransition`` naming the span, timeslot, state and command.

Everything runs on one thread (the daemon's loop) and on the injected clock.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Callable, Iterable, Protocol

from acd_core.clock import Clock
from drivers.e1.cas import VOICE_TIMESLOTS
from firmware.telephony.r2.circuit import R2Circuit
from firmware.telephony.r2.errors import NoFreeCircuit, R2ConfigError, R2Error
from firmware.telephony.r2.events import R2Event
from firmware.telephony.r2.media import MediaPath
from firmware.telephony.r2.states import State
from firmware.telephony.r2.transcript import Transcript
from firmware.telephony.r2.variants import GROUP_B_ACCEPT, GROUP_B_REFUSE, Variant

log = logging.getLogger(__name__)


class CasLine(Protocol):
    def set_cas(self, ts: int, abcd: int) -> None: ...


class R2Span:
    def __init__(self, clock: Clock, variant: Variant, line: CasLine,
                 on_event: Callable[[R2Event], None], *, number: int = 1,
                 timeslots: Iterable[int] = VOICE_TIMESLOTS, max_dnis: int = 4, max_ani: int = 20,
                 dnis_complete: Callable[[str], bool] | None = None,
                 transcript: Transcript | None = None, trace_as: str = "box") -> None:
        if not 1 <= max_dnis <= 30 or not 0 <= max_ani <= 30:
            raise R2ConfigError("max_dnis must be 1-30 and max_ani 0-30", max_dnis=max_dnis,
                                max_ani=max_ani)
        self.clock = clock
        self.variant = variant
        self.line = line
        self.on_event = on_event
        self.number = number
        self.max_dnis = max_dnis
        self.max_ani = max_ani
        self.dnis_complete = dnis_complete
        self.transcript = transcript
        self.trace_as = trace_as
        self.circuits: dict[int, R2Circuit] = {}
        for ts in timeslots:
            if ts not in VOICE_TIMESLOTS:
                raise R2ConfigError(f"timeslot {ts} is not a voice timeslot", ts=ts,
                                    expected="1-15, 17-31")
            self.circuits[ts] = R2Circuit(self, ts)
        self._events: deque[R2Event] = deque()
        self._delivering = False

    def circuit(self, ts: int) -> R2Circuit:
        try:
            return self.circuits[ts]
        except KeyError:
            raise R2Error(f"span {self.number} has no R2 timeslot {ts}", span=self.number,
                          ts=ts) from None

    # ------------------------------------------------------------ the card's side
    def line_up(self, ts: int) -> None:
        self.circuit(ts).line_up()

    def line_down(self, ts: int, reason: str) -> None:
        self.circuit(ts).line_down(reason)

    def cas_received(self, ts: int, abcd: int) -> None:
        self.circuit(ts).cas_received(abcd)

    def audio_received(self, ts: int, frame: bytes) -> None:
        self.circuit(ts).audio_received(frame)

    def audio_to_send(self, ts: int) -> bytes:
        return self.circuit(ts).audio_to_send()

    # ------------------------------------------------------------ commands
    def place_call(self, dnis: str, ani: str | None = "", category: str = "national_subscriber",
                   ts: int | None = None) -> int:
        """Seize a timeslot (``ts``, or the highest idle one: incoming calls hunt
        from the bottom, so glare is rare) and send ``dnis``; ``ani`` None is a
        restricted calling number. Returns the timeslot."""
        if not dnis or not dnis.isdigit():
            raise R2Error("an R2 address is one or more digits 0-9", span=self.number, dnis=dnis)
        if ani is not None and ani and not ani.isdigit():
            raise R2Error("an R2 calling number is digits 0-9", span=self.number, ani=ani)
        tone = self.variant.category_tone(category)
        if ts is None:
            free = [t for t, c in sorted(self.circuits.items(), reverse=True)
                    if c.state is State.IDLE and c.rx_ab == 0b10]
            if not free:
                raise NoFreeCircuit(f"no idle R2 timeslot on span {self.number}",
                                    span=self.number, dnis=dnis)
            ts = free[0]
        circuit = self.circuit(ts)
        if circuit.rx_ab != 0b10:
            raise R2Error("the far end is not idle on this timeslot", span=self.number, ts=ts,
                          state=circuit.state.name)
        circuit.place(dnis, ani, tone)
        return ts

    def accept(self, ts: int, group_b: str = "free_charge") -> None:
        """Answer an offered call's group B with a free-line signal."""
        if group_b not in GROUP_B_ACCEPT:
            raise R2ConfigError(f"{group_b!r} is not a group B accept signal", ts=ts,
                                expected=", ".join(GROUP_B_ACCEPT))
        self.variant.group_b_tone(group_b, True)
        circuit = self.circuit(ts)
        if circuit.call is not None and circuit.state is State.IN_OFFERED:
            circuit.call.group_b = group_b
        circuit.command("accept")

    def refuse(self, ts: int, group_b: str = "busy") -> None:
        """Answer an offered call's group B with a refusal (busy, unallocated, congestion ...)."""
        if group_b not in GROUP_B_REFUSE:
            raise R2ConfigError(f"{group_b!r} is not a group B refusal", ts=ts,
                                expected=", ".join(GROUP_B_REFUSE))
        self.variant.group_b_tone(group_b, False)
        circuit = self.circuit(ts)
        if circuit.call is not None and circuit.state is State.IN_OFFERED:
            circuit.call.refuse_with = group_b
        circuit.command("refuse")

    def answer(self, ts: int) -> None:
        self.circuit(ts).command("answer")

    def hangup(self, ts: int) -> None:
        """Clear our side: clear back (incoming), clear forward (outgoing)."""
        self.circuit(ts).command("hangup")

    def block(self, ts: int) -> None:
        """Block the timeslot towards the far end (now if idle, else when the call ends)."""
        circuit = self.circuit(ts)
        circuit.admin_blocked = True
        circuit.command("block")

    def unblock(self, ts: int) -> None:
        circuit = self.circuit(ts)
        circuit.admin_blocked = False
        circuit.command("unblock")

    def media(self, ts: int) -> MediaPath:
        """The timeslot's audio hand-off (through-connected when MF signalling ends)."""
        return self.circuit(ts).media

    def state(self, ts: int) -> State:
        return self.circuit(ts).state

    def describe(self) -> list[dict[str, object]]:
        return [c.describe() for c in self.circuits.values()]

    # ------------------------------------------------------------ events and tracing
    def post(self, event: R2Event) -> None:
        self._events.append(event)

    def flush(self) -> None:
        """Deliver queued events, after the transition that made them; a handler
        may issue commands (their events queue behind)."""
        if self._delivering:
            return
        self._delivering = True
        try:
            while self._events:
                event = self._events.popleft()
                try:
                    self.on_event(event)
                except Exception:      # the line goes on whatever the layer above does
                    log.exception("r2 span=%d: event handler failed on %r", self.number, event)
        finally:
            self._delivering = False

    def trace(self, ts: int, kind: str, text: str) -> None:
        if self.transcript is not None:
            self.transcript.add(self.clock.now(), ts, self.trace_as, kind, text)
        if kind != "state":
            log.debug("r2 span=%d ts=%d %s: %s", self.number, ts, kind, text)

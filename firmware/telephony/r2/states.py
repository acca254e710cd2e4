"""The states of one R2 circuit (timeslot) and the table of what moves it.

One table: ``(state, event) -> Row(next state, actions)``. Events are

- line signals received, by their AB bits: ``rx idle`` (10: idle / clear
  forward), ``rx seize`` (00), ``rx 11`` (seize acknowledge, clear back or
  blocked: the state says which), ``rx answer`` (01);
- ``line up`` / ``line down`` from the card (a timeslot-door peer came or went,
  or the span's alarms), refined to ``line up blocked`` when an admin block is
  pending;
- commands from above: ``place``, ``accept``, ``refuse``, ``answer``,
  ``hangup``, ``block``, ``unblock``;
- the register (MF) finishing a phase: ``mf first tone``, ``mf offer``,
  ``mf accepted``, ``mf refused``, ``mf failed``; refined ``mf accepted
  answered`` when the answer bits beat the group B tone (CAS is faster than MF);
- timers: ``T seize_ack``, ``T offer``, ``T answer_delay``, ``T answer``;
  refined ``T answer_delay answer pending`` when the flow already answered.

A received line signal with no row in the state takes the state's ``rx
unexpected`` row (logged, ignored: a carrier's test set probes exactly this).
A command with no row raises ``IllegalTransition`` to the caller. Register and
timer events always have a row.

Actions are strings the circuit carries out in order: ``send <line signal>``,
``start <timer>``, ``stop timers``, ``backward register`` / ``forward
register`` (start the MF register of that side), ``stop register``,
``register accept`` / ``register refuse`` (the group B answer),
``connect media`` / ``disconnect media`` (the audio hand-off), ``new call in``
/ ``new call out``, ``cause <why>``, ``cleared by <who>``, ``emit <Event>``,
``release`` (``Released`` with the call's summary: exactly once per call),
``block pending`` / ``unblock pending``, ``answer pending``, ``check rx`` (the
far end may already be idle: look at the bits we hold), ``warn``.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from acd_core.errors import IllegalTransition


class State(Enum):
    OUT_OF_SERVICE = "no far end on the line (no peer, or line failure)"
    IDLE = "idle both ways"
    BLOCKED_LOCAL = "we send blocking"
    BLOCKED_REMOTE = "the far end sends blocking"
    BLOCKED_BOTH = "both ends send blocking"
    IN_SEIZED = "seized by the far end, acknowledged; waiting for the first digit"
    IN_ADDRESS = "receiving address, category and calling number (group A)"
    IN_OFFERED = "group II received: waiting for the flow to accept or refuse"
    IN_ACCEPTING = "group B accept tone on"
    IN_ANSWER_GUARD = "group B done; answer waits for the far end to see our tone end"
    IN_ACCEPTED = "called party free, ringing: waiting to answer"
    IN_ANSWERED = "incoming call answered"
    IN_CLEAR_BACK = "we cleared back: waiting for clear forward"
    IN_REFUSED = "refused (group B) or MF failed: waiting for clear forward"
    OUT_SEIZING = "seize sent: waiting for seizing acknowledgement"
    OUT_ADDRESS = "sending address, category and calling number (groups I and II)"
    OUT_ACCEPTED = "called party free (group B): waiting for answer"
    OUT_ANSWERED = "outgoing call answered"
    OUT_CLEAR_FWD = "clear forward sent: waiting for the far end's idle"

    @property
    def text(self) -> str:
        return self.value

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Row:
    next: State
    actions: tuple[str, ...] = ()


S = State
RX_EVENTS = {0b10: "rx idle", 0b00: "rx seize", 0b11: "rx 11", 0b01: "rx answer"}
CALL_STATES = frozenset(s for s in State if s.name.startswith(("IN_", "OUT_"))
                         and s is not State.OUT_OF_SERVICE)
IN_SERVICE = frozenset(State) - {S.OUT_OF_SERVICE}

_LOST = ("stop register", "stop timers", "disconnect media", "cause line_failure",
         "cleared by line", "emit LineFailure", "release")
_FWD_CLEARED = ("stop register", "stop timers", "disconnect media", "send idle",
                "cleared by remote", "emit ClearedForward", "release")


def _r(nxt: State, *actions: str) -> Row:
    return Row(nxt, actions)


_SPECIFIC: dict[State, dict[str, Row]] = {
    S.OUT_OF_SERVICE: {
        "line up": _r(S.IDLE, "send idle", "emit LineRestored"),
        "line up blocked": _r(S.BLOCKED_LOCAL, "send blocked", "emit LineRestored"),
        "block": _r(S.OUT_OF_SERVICE, "block pending"),
        "unblock": _r(S.OUT_OF_SERVICE, "unblock pending"),
        "rx unexpected": _r(S.OUT_OF_SERVICE, "warn"),
    },
    S.IDLE: {
        "rx seize": _r(S.IN_SEIZED, "new call in", "send seize_ack", "emit Seized",
                       "backward register"),
        "rx 11": _r(S.BLOCKED_REMOTE, "emit Blocked"),
        "rx idle": _r(S.IDLE),
        "place": _r(S.OUT_SEIZING, "new call out", "send seize", "emit Seized", "start seize_ack"),
        "block": _r(S.BLOCKED_LOCAL, "send blocked"),
        "unblock": _r(S.IDLE),
    },
    S.BLOCKED_LOCAL: {
        "unblock": _r(S.IDLE, "send idle"),
        "block": _r(S.BLOCKED_LOCAL),
        "rx 11": _r(S.BLOCKED_BOTH, "emit Blocked"),
        "rx idle": _r(S.BLOCKED_LOCAL),
        "rx seize": _r(S.BLOCKED_LOCAL, "warn"),          # a blocked circuit is not seized
    },
    S.BLOCKED_REMOTE: {
        "rx idle": _r(S.IDLE, "emit Unblocked"),
        "rx 11": _r(S.BLOCKED_REMOTE),
        "rx seize": _r(S.IN_SEIZED, "emit Unblocked", "new call in", "send seize_ack",
                       "emit Seized", "backward register"),
        "block": _r(S.BLOCKED_BOTH, "send blocked"),
        "unblock": _r(S.BLOCKED_REMOTE),
    },
    S.BLOCKED_BOTH: {
        "unblock": _r(S.BLOCKED_REMOTE, "send idle"),
        "block": _r(S.BLOCKED_BOTH),
        "rx idle": _r(S.BLOCKED_LOCAL, "emit Unblocked"),
        "rx 11": _r(S.BLOCKED_BOTH),
        "rx seize": _r(S.BLOCKED_BOTH, "warn"),
    },
    # ---------------------------------------------------------------- incoming (we are backward)
    S.IN_SEIZED: {
        "mf first tone": _r(S.IN_ADDRESS),
        "mf failed": _r(S.IN_REFUSED, "cause mf_failure"),
        "hangup": _r(S.IN_REFUSED, "stop register", "cause rejected"),
    },
    S.IN_ADDRESS: {
        "mf offer": _r(S.IN_OFFERED, "emit IncomingCall", "start offer"),
        "mf failed": _r(S.IN_REFUSED, "cause mf_failure"),
        "hangup": _r(S.IN_REFUSED, "stop register", "cause rejected"),
    },
    S.IN_OFFERED: {
        "accept": _r(S.IN_ACCEPTING, "stop timers", "register accept"),
        "refuse": _r(S.IN_REFUSED, "stop timers", "register refuse", "cleared by local"),
        "hangup": _r(S.IN_REFUSED, "stop timers", "register refuse", "cleared by local"),
        "T offer": _r(S.IN_REFUSED, "register refuse", "cleared by timer"),
        "mf failed": _r(S.IN_REFUSED, "stop timers", "cause mf_failure"),
    },
    S.IN_ACCEPTING: {
        "mf accepted": _r(S.IN_ANSWER_GUARD, "connect media", "start answer_delay"),
        "answer": _r(S.IN_ACCEPTING, "answer pending"),
        "hangup": _r(S.IN_CLEAR_BACK, "cleared by local", "cause normal"),
        "mf failed": _r(S.IN_REFUSED, "cause mf_failure"),
    },
    S.IN_ANSWER_GUARD: {
        "T answer_delay": _r(S.IN_ACCEPTED),
        "T answer_delay answer pending": _r(S.IN_ANSWERED, "send answer", "emit Answered"),
        "answer": _r(S.IN_ANSWER_GUARD, "answer pending"),
        "hangup": _r(S.IN_CLEAR_BACK, "stop timers", "disconnect media", "cleared by local",
                     "cause normal"),
    },
    S.IN_ACCEPTED: {
        "answer": _r(S.IN_ANSWERED, "send answer", "emit Answered"),
        # clear back is 11 like seize acknowledge: the far end sees no change
        # before answer, and the call ends when its caller gives up
        "hangup": _r(S.IN_CLEAR_BACK, "disconnect media", "cleared by local", "cause normal"),
    },
    S.IN_ANSWERED: {
        "hangup": _r(S.IN_CLEAR_BACK, "send clear_back", "disconnect media", "cleared by local",
                     "cause normal"),
    },
    S.IN_CLEAR_BACK: {
        "rx idle": _r(S.IDLE, "stop register", "stop timers", "send idle", "release"),
        "hangup": _r(S.IN_CLEAR_BACK),
    },
    S.IN_REFUSED: {
        "rx idle": _r(S.IDLE, "stop register", "stop timers", "send idle", "release"),
        "mf refused": _r(S.IN_REFUSED),
        "mf failed": _r(S.IN_REFUSED),
        "mf accepted": _r(S.IN_REFUSED),
        "hangup": _r(S.IN_REFUSED),
    },
    # ---------------------------------------------------------------- outgoing (we are forward)
    S.OUT_SEIZING: {
        "rx 11": _r(S.OUT_ADDRESS, "stop timers", "forward register"),
        "rx seize": _r(S.OUT_CLEAR_FWD, "stop timers", "cause double_seizure", "send clear_forward",
                       "check rx"),
        "rx idle": _r(S.OUT_SEIZING),
        "T seize_ack": _r(S.OUT_CLEAR_FWD, "cause seize_ack_timeout", "cleared by timer",
                          "send clear_forward", "check rx"),
        "hangup": _r(S.OUT_CLEAR_FWD, "stop timers", "cause abandoned", "cleared by local",
                     "send clear_forward", "check rx"),
    },
    S.OUT_ADDRESS: {
        "mf accepted": _r(S.OUT_ACCEPTED, "connect media", "emit Accepted", "start answer"),
        "mf accepted answered": _r(S.OUT_ANSWERED, "connect media", "emit Accepted",
                                   "emit Answered"),
        "rx answer": _r(S.OUT_ADDRESS, "answer pending"),
        "mf refused": _r(S.OUT_CLEAR_FWD, "cleared by remote", "emit Refused",
                         "send clear_forward", "check rx"),
        "mf failed": _r(S.OUT_CLEAR_FWD, "stop register", "cause mf_failure", "cleared by timer",
                        "send clear_forward", "check rx"),
        "rx idle": _r(S.OUT_CLEAR_FWD, "stop register", "cause protocol", "warn",
                      "send clear_forward", "check rx"),
        "hangup": _r(S.OUT_CLEAR_FWD, "stop register", "cause abandoned", "cleared by local",
                     "send clear_forward", "check rx"),
    },
    S.OUT_ACCEPTED: {
        "rx answer": _r(S.OUT_ANSWERED, "stop timers", "emit Answered"),
        "T answer": _r(S.OUT_CLEAR_FWD, "disconnect media", "cause no_answer", "cleared by timer",
                       "send clear_forward", "check rx"),
        "rx idle": _r(S.OUT_CLEAR_FWD, "stop timers", "disconnect media", "cause protocol", "warn",
                      "send clear_forward", "check rx"),
        "hangup": _r(S.OUT_CLEAR_FWD, "stop timers", "disconnect media", "cause abandoned",
                     "cleared by local", "send clear_forward", "check rx"),
    },
    S.OUT_ANSWERED: {
        "rx 11": _r(S.OUT_CLEAR_FWD, "disconnect media", "cause normal", "cleared by remote",
                    "emit ClearedBack", "send clear_forward", "check rx"),
        "rx idle": _r(S.OUT_CLEAR_FWD, "disconnect media", "cause protocol", "warn",
                      "send clear_forward", "check rx"),
        "hangup": _r(S.OUT_CLEAR_FWD, "disconnect media", "cause normal", "cleared by local",
                     "send clear_forward", "check rx"),
    },
    S.OUT_CLEAR_FWD: {
        "rx idle": _r(S.IDLE, "stop timers", "release"),
        "rx 11": _r(S.OUT_CLEAR_FWD),
        "rx answer": _r(S.OUT_CLEAR_FWD),
        "hangup": _r(S.OUT_CLEAR_FWD),
        "mf refused": _r(S.OUT_CLEAR_FWD),
        "mf failed": _r(S.OUT_CLEAR_FWD),
    },
}


def _table() -> dict[State, dict[str, Row]]:
    """The specific rows plus the ones many states share."""
    table = {state: dict(rows) for state, rows in _SPECIFIC.items()}
    for state in IN_SERVICE:
        rows = table[state]
        rows.setdefault("line down", _r(S.OUT_OF_SERVICE, *_LOST) if state in CALL_STATES
                        else _r(S.OUT_OF_SERVICE, "emit LineFailure"))
        rows.setdefault("rx unexpected", _r(state, "warn"))
        if state in CALL_STATES:
            rows.setdefault("block", _r(state, "block pending"))
            rows.setdefault("unblock", _r(state, "unblock pending"))
    for state in (S.IN_SEIZED, S.IN_ADDRESS, S.IN_OFFERED, S.IN_ACCEPTING, S.IN_ANSWER_GUARD,
                  S.IN_ACCEPTED, S.IN_ANSWERED):
        table[state].setdefault("rx idle", _r(S.IDLE, *_FWD_CLEARED))
    return table


TABLE: dict[State, dict[str, Row]] = _table()


def row(state: State, event: str, **context: object) -> Row:
    """The row for ``event`` in ``state``; ``IllegalTransition`` if there is none."""
    try:
        return TABLE[state][event]
    except KeyError:
        raise IllegalTransition(f"R2 circuit in {state.name} has no transition for {event!r}",
                                state=state.name, event=event, **context) from None

"""Q.931 call states (user side U*, network side N*) and their transition tables.

One table per side: (state, event) -> (next state, actions). Events are
``rx <MESSAGE>`` for received messages (refined by a guard where Q.931
branches: ``rx SETUP overlap``, ``rx INFORMATION complete``, ``rx STATUS null``),
local commands (``place``, ``proceeding``, ``alerting``, ``answer``, ``progress``,
``hangup``), timer expiries (``T303``, and ``T303 again`` for the second one),
and ``link lost`` / ``restart`` which clear a call internally.

A received message with no row in the call's state is the table's
``rx unexpected`` row: STATUS with cause 101 (Q.931 5.8.4), or nothing in the
disconnect and release states, where such a message has crossed our clearing. A command with no row raises ``IllegalTransition``.

Actions are strings the stack carries out in order: ``send X [cause]``,
``Tnnn start|stop``, ``emit <Event>``, ``release`` (channel and call reference
freed, ``Released`` emitted), ``adopt channel`` (the channel of the first
answer), ``collect digits``. The transient states U12, N8 and N11 have one
follow-up the stack issues by itself (``FOLLOW_UP``): the stack releases as soon
as it is told of a disconnect, and the network acknowledges a CONNECT at once.

Suspend/resume (U15/U17, N15/N17) and call abort (N22) belong to basic-rate
point-to-multipoint access and are not states of this PRI stack.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class State(Enum):
    U0 = ("U", 0, "null")
    U1 = ("U", 1, "call initiated")
    U2 = ("U", 2, "overlap sending")
    U3 = ("U", 3, "outgoing call proceeding")
    U4 = ("U", 4, "call delivered")
    U6 = ("U", 6, "call present")
    U7 = ("U", 7, "call received")
    U8 = ("U", 8, "connect request")
    U9 = ("U", 9, "incoming call proceeding")
    U10 = ("U", 10, "active")
    U11 = ("U", 11, "disconnect request")
    U12 = ("U", 12, "disconnect indication")
    U19 = ("U", 19, "release request")
    U25 = ("U", 25, "overlap receiving")
    N0 = ("N", 0, "null")
    N1 = ("N", 1, "call initiated")
    N2 = ("N", 2, "overlap sending")
    N3 = ("N", 3, "outgoing call proceeding")
    N4 = ("N", 4, "call delivered")
    N6 = ("N", 6, "call present")
    N7 = ("N", 7, "call received")
    N8 = ("N", 8, "connect request")
    N9 = ("N", 9, "incoming call proceeding")
    N10 = ("N", 10, "active")
    N11 = ("N", 11, "disconnect request")
    N12 = ("N", 12, "disconnect indication")
    N19 = ("N", 19, "release request")
    N25 = ("N", 25, "overlap receiving")

    @property
    def number(self) -> int:
        """The value the call state information element carries."""
        return self.value[1]

    @property
    def text(self) -> str:
        return self.value[2]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Row:
    next: State
    actions: tuple[str, ...] = ()


U = {s for s in State if s.name.startswith("U")}
N = {s for s in State if s.name.startswith("N")}
S = State

_CLEARED = ("stop timers", "release")


def _table(specific: dict[State, dict[str, tuple[State, tuple[str, ...]]]],
           null: State, disc_req: State, disc_ind: State, rel_req: State,
           ) -> dict[tuple[State, str], Row]:
    """Expand the per-state rows and the rows every live state shares."""
    table: dict[tuple[State, str], Row] = {}
    states = [st for st in (U if null is S.U0 else N)]
    for st in states:
        if st is null:
            continue
        # In the clearing states a late answer has crossed our DISCONNECT or RELEASE:
        # it is ignored, not answered with STATUS 101 (libpri clears on that STATUS).
        live = st not in (disc_req, disc_ind, rel_req)
        shared: dict[str, tuple[State, tuple[str, ...]]] = {
            "rx RELEASE COMPLETE": (null, ("take cause", "remote clearing", *_CLEARED)),
            "rx RELEASE": (null, ("take cause", "remote clearing", "stop timers",
                                  "send RELEASE COMPLETE", "release")),
            "rx STATUS ENQUIRY": (st, ("send STATUS 30",)),
            "rx STATUS": (st, ("ignore",)),
            "rx STATUS null": (null, ("take cause", "protocol clearing", *_CLEARED)),
            "rx SETUP": (st, ("ignore",)),
            "rx NOTIFY": (st, ("ignore",)),
            "rx FACILITY": (st, ("ignore",)),
            "rx unimplemented": (st, ("send STATUS 97",)),
            "rx unexpected": (st, ("send STATUS 101",) if live else ("ignore",)),
            "link lost": (null, ("cause 41", "link clearing", *_CLEARED)),
            "restart": (null, ("cause 41", "restart clearing", *_CLEARED)),
        }
        if st not in (disc_req, disc_ind, rel_req):
            shared["rx DISCONNECT"] = (disc_ind if null is S.U0 else disc_req,
                                       ("take cause", "remote clearing", "stop timers",
                                        "emit Disconnected"))
            shared["rx INFORMATION"] = (st, ("emit Digits",))
            shared["hangup"] = ((disc_req if null is S.U0 else disc_ind),
                                ("local clearing", "stop timers", "send DISCONNECT", "T305 start"))
        for event, (nxt, actions) in shared.items():
            table[(st, event)] = Row(nxt, actions)
    for st, rows in specific.items():
        for event, (nxt, actions) in rows.items():
            table[(st, event)] = Row(nxt, actions)
    return table


def _r(nxt: State, *actions: str) -> tuple[State, tuple[str, ...]]:
    return (nxt, actions)


_NOOP = ("noop",)

USER_TABLE = _table({
    S.U0: {
        "place": _r(S.U1, "send SETUP", "T303 start"),
        "rx SETUP": _r(S.U6, "emit IncomingCall"),
        "rx SETUP overlap": _r(S.U25, "send SETUP ACKNOWLEDGE", "T302 start"),
        "rx SETUP rejected": _r(S.U0, "send RELEASE COMPLETE", "release"),
    },
    S.U1: {
        "rx SETUP ACKNOWLEDGE": _r(S.U2, "T303 stop", "adopt channel", "send INFORMATION",
                                   "T304 start"),
        "rx CALL PROCEEDING": _r(S.U3, "T303 stop", "adopt channel", "T310 start",
                                 "emit Proceeding"),
        "rx ALERTING": _r(S.U4, "T303 stop", "adopt channel", "T301 start", "emit Alerting"),
        "rx CONNECT": _r(S.U10, "T303 stop", "adopt channel", "send CONNECT ACKNOWLEDGE",
                         "emit Connected"),
        "rx PROGRESS": _r(S.U1, "emit Progress"),
        "T303": _r(S.U1, "send SETUP", "T303 start"),
        "T303 again": _r(S.U0, "cause 102", "timer clearing", "send RELEASE COMPLETE",
                         *_CLEARED),
    },
    S.U2: {
        "rx CALL PROCEEDING": _r(S.U3, "T304 stop", "T310 start", "emit Proceeding"),
        "rx ALERTING": _r(S.U4, "T304 stop", "T301 start", "emit Alerting"),
        "rx CONNECT": _r(S.U10, "T304 stop", "send CONNECT ACKNOWLEDGE", "emit Connected"),
        "rx PROGRESS": _r(S.U2, "emit Progress"),
        "T304": _r(S.U11, "cause 102", "timer clearing", "send DISCONNECT", "T305 start"),
    },
    S.U3: {
        "rx ALERTING": _r(S.U4, "T310 stop", "T301 start", "emit Alerting"),
        "rx CONNECT": _r(S.U10, "T310 stop", "send CONNECT ACKNOWLEDGE", "emit Connected"),
        "rx PROGRESS": _r(S.U3, "T310 stop", "emit Progress"),
        "T310": _r(S.U11, "cause 102", "timer clearing", "send DISCONNECT", "T305 start"),
    },
    S.U4: {
        "rx CONNECT": _r(S.U10, "T301 stop", "send CONNECT ACKNOWLEDGE", "emit Connected"),
        "rx PROGRESS": _r(S.U4, "emit Progress"),
        "T301": _r(S.U11, "cause 102", "timer clearing", "send DISCONNECT", "T305 start"),
    },
    S.U6: {
        "proceeding": _r(S.U9, "send CALL PROCEEDING"),
        "alerting": _r(S.U7, "send ALERTING"),
        "answer": _r(S.U8, "send CONNECT", "T313 start"),
        "hangup": _r(S.U0, "local clearing", "send RELEASE COMPLETE", "release"),
    },
    S.U25: {
        "rx INFORMATION": _r(S.U25, "collect digits", "T302 start"),
        "rx INFORMATION complete": _r(S.U9, "collect digits", "T302 stop",
                                      "send CALL PROCEEDING", "emit IncomingCall"),
        "T302": _r(S.U9, "send CALL PROCEEDING", "emit IncomingCall"),
        "T302 no digits": _r(S.U11, "cause 28", "timer clearing", "send DISCONNECT",
                             "T305 start"),
        "proceeding": _r(S.U9, "T302 stop", "send CALL PROCEEDING"),
    },
    S.U9: {
        "proceeding": _r(S.U9, *_NOOP),
        "alerting": _r(S.U7, "send ALERTING"),
        "answer": _r(S.U8, "send CONNECT", "T313 start"),
        "progress": _r(S.U9, "send PROGRESS"),
    },
    S.U7: {
        "proceeding": _r(S.U7, *_NOOP), "alerting": _r(S.U7, *_NOOP),
        "answer": _r(S.U8, "send CONNECT", "T313 start"),
        "progress": _r(S.U7, "send PROGRESS"),
    },
    S.U8: {
        "rx CONNECT ACKNOWLEDGE": _r(S.U10, "T313 stop", "emit Connected"),
        "proceeding": _r(S.U8, *_NOOP), "alerting": _r(S.U8, *_NOOP), "answer": _r(S.U8, *_NOOP),
        "T313": _r(S.U11, "cause 102", "timer clearing", "send DISCONNECT", "T305 start"),
    },
    S.U10: {
        "proceeding": _r(S.U10, *_NOOP), "alerting": _r(S.U10, *_NOOP),
        "answer": _r(S.U10, *_NOOP),
    },
    S.U11: {
        "rx DISCONNECT": _r(S.U19, "take cause", "T305 stop", "send RELEASE", "T308 start"),
        "T305": _r(S.U19, "send RELEASE", "T308 start"),
        "hangup": _r(S.U11, *_NOOP),
        "rx INFORMATION": _r(S.U11, "ignore"),
    },
    S.U12: {
        "hangup": _r(S.U19, "send RELEASE", "T308 start"),
        "rx DISCONNECT": _r(S.U12, "ignore"),
        "rx INFORMATION": _r(S.U12, "ignore"),
    },
    S.U19: {
        "rx RELEASE": _r(S.U0, "take cause", *_CLEARED),
        "rx RELEASE COMPLETE": _r(S.U0, *_CLEARED),
        "rx DISCONNECT": _r(S.U19, "ignore"),
        "rx INFORMATION": _r(S.U19, "ignore"),
        "hangup": _r(S.U19, *_NOOP),
        "T308": _r(S.U19, "send RELEASE", "T308 start"),
        "T308 again": _r(S.U0, *_CLEARED),
    },
}, S.U0, S.U11, S.U12, S.U19)

NETWORK_TABLE = _table({
    S.N0: {
        "place": _r(S.N6, "send SETUP", "T303 start"),
        "rx SETUP": _r(S.N1, "emit IncomingCall"),
        "rx SETUP overlap": _r(S.N2, "send SETUP ACKNOWLEDGE", "T302 start"),
        "rx SETUP rejected": _r(S.N0, "send RELEASE COMPLETE", "release"),
    },
    S.N1: {
        "proceeding": _r(S.N3, "send CALL PROCEEDING"),
        "alerting": _r(S.N4, "send ALERTING"),
        "answer": _r(S.N10, "send CONNECT", "emit Connected"),
        "hangup": _r(S.N0, "local clearing", "send RELEASE COMPLETE", "release"),
    },
    S.N2: {
        "rx INFORMATION": _r(S.N2, "collect digits", "T302 start"),
        "rx INFORMATION complete": _r(S.N3, "collect digits", "T302 stop",
                                      "send CALL PROCEEDING", "emit IncomingCall"),
        "T302": _r(S.N3, "send CALL PROCEEDING", "emit IncomingCall"),
        "T302 no digits": _r(S.N12, "cause 28", "timer clearing", "send DISCONNECT",
                             "T305 start"),
        "proceeding": _r(S.N3, "T302 stop", "send CALL PROCEEDING"),
    },
    S.N3: {
        "proceeding": _r(S.N3, *_NOOP),
        "alerting": _r(S.N4, "send ALERTING"),
        "answer": _r(S.N10, "send CONNECT", "emit Connected"),
        "progress": _r(S.N3, "send PROGRESS"),
    },
    S.N4: {
        "proceeding": _r(S.N4, *_NOOP), "alerting": _r(S.N4, *_NOOP),
        "answer": _r(S.N10, "send CONNECT", "emit Connected"),
        "progress": _r(S.N4, "send PROGRESS"),
    },
    S.N6: {
        "rx SETUP ACKNOWLEDGE": _r(S.N25, "T303 stop", "adopt channel", "send INFORMATION",
                                   "T304 start"),
        "rx CALL PROCEEDING": _r(S.N9, "T303 stop", "adopt channel", "T310 start",
                                 "emit Proceeding"),
        "rx ALERTING": _r(S.N7, "T303 stop", "adopt channel", "T301 start", "emit Alerting"),
        "rx CONNECT": _r(S.N8, "T303 stop", "adopt channel"),
        "rx PROGRESS": _r(S.N6, "emit Progress"),
        "T303": _r(S.N6, "send SETUP", "T303 start"),
        "T303 again": _r(S.N0, "cause 102", "timer clearing", "send RELEASE COMPLETE",
                         *_CLEARED),
    },
    S.N25: {
        "rx CALL PROCEEDING": _r(S.N9, "T304 stop", "T310 start", "emit Proceeding"),
        "rx ALERTING": _r(S.N7, "T304 stop", "T301 start", "emit Alerting"),
        "rx CONNECT": _r(S.N8, "T304 stop"),
        "rx PROGRESS": _r(S.N25, "emit Progress"),
        "T304": _r(S.N12, "cause 102", "timer clearing", "send DISCONNECT", "T305 start"),
    },
    S.N9: {
        "rx ALERTING": _r(S.N7, "T310 stop", "T301 start", "emit Alerting"),
        "rx CONNECT": _r(S.N8, "T310 stop"),
        "rx PROGRESS": _r(S.N9, "T310 stop", "emit Progress"),
        "T310": _r(S.N12, "cause 102", "timer clearing", "send DISCONNECT", "T305 start"),
    },
    S.N7: {
        "rx CONNECT": _r(S.N8, "T301 stop"),
        "rx PROGRESS": _r(S.N7, "emit Progress"),
        "T301": _r(S.N12, "cause 102", "timer clearing", "send DISCONNECT", "T305 start"),
    },
    S.N8: {
        "connect ack": _r(S.N10, "send CONNECT ACKNOWLEDGE", "emit Connected"),
    },
    S.N10: {
        "rx CONNECT ACKNOWLEDGE": _r(S.N10, "ignore"),
        "proceeding": _r(S.N10, *_NOOP), "alerting": _r(S.N10, *_NOOP),
        "answer": _r(S.N10, *_NOOP),
    },
    S.N11: {
        "hangup": _r(S.N19, "send RELEASE", "T308 start"),
        "rx DISCONNECT": _r(S.N11, "ignore"),
        "rx INFORMATION": _r(S.N11, "ignore"),
    },
    S.N12: {
        "rx DISCONNECT": _r(S.N19, "take cause", "T305 stop", "send RELEASE", "T308 start"),
        "T305": _r(S.N19, "send RELEASE", "T308 start"),
        "hangup": _r(S.N12, *_NOOP),
        "rx INFORMATION": _r(S.N12, "ignore"),
    },
    S.N19: {
        "rx RELEASE": _r(S.N0, "take cause", *_CLEARED),
        "rx RELEASE COMPLETE": _r(S.N0, *_CLEARED),
        "rx DISCONNECT": _r(S.N19, "ignore"),
        "rx INFORMATION": _r(S.N19, "ignore"),
        "hangup": _r(S.N19, *_NOOP),
        "T308": _r(S.N19, "send RELEASE", "T308 start"),
        "T308 again": _r(S.N0, *_CLEARED),
    },
}, S.N0, S.N11, S.N12, S.N19)

# Transient states: the stack issues this event as soon as the state is entered.
FOLLOW_UP: dict[State, str] = {S.U12: "hangup", S.N11: "hangup", S.N8: "connect ack"}

# The outgoing (we sent SETUP) and incoming states where a first answer may name the channel.
USER_STATES = tuple(s for s in State if s in U)
NETWORK_STATES = tuple(s for s in State if s in N)


class RestartState(Enum):
    """The global call reference's states for RESTART (Q.931 5.5)."""

    REST0 = (0, "null")
    REST1 = (1, "restart request")
    REST2 = (2, "restart")

    def __str__(self) -> str:
        return self.name


R = RestartState
RESTART_TABLE: dict[tuple[RestartState, str], tuple[RestartState, tuple[str, ...]]] = {
    (R.REST0, "restart request"): (R.REST1, ("clear calls", "block channels", "send RESTART",
                                             "T316 start")),
    (R.REST0, "rx RESTART"): (R.REST2, ("clear calls",)),
    (R.REST2, "restart done"): (R.REST0, ("send RESTART ACKNOWLEDGE", "emit ChannelRestarted")),
    (R.REST1, "rx RESTART ACKNOWLEDGE"): (R.REST0, ("T316 stop", "unblock channels",
                                                    "emit ChannelRestarted")),
    (R.REST1, "T316"): (R.REST1, ("send RESTART", "T316 start")),
    (R.REST1, "T316 again"): (R.REST0, ("unblock channels", "emit RestartFailed")),
    (R.REST1, "link lost"): (R.REST0, ("T316 stop", "unblock channels", "emit RestartFailed")),
    (R.REST1, "rx RESTART"): (R.REST1, ("clear calls", "send RESTART ACKNOWLEDGE")),
}

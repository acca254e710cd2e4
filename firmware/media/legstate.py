"""A media leg's life as one table, shared by the media node and the daemon.

The node drives it from pjsua2's call states and the daemon's commands, logs
every change, and reports each one as a ``leg_state`` event carrying the event
(as ``cause``) and the new state; the daemon's ``Leg`` applies the same event to the
same table, so both ends agree on every leg's state and a disagreement is
caught as an ``IllegalTransition`` instead of drifting.

States: ``offered`` (an INVITE we have not answered), ``dialing`` (our INVITE
is out), ``ringing`` (the far end sent 18x), ``answering`` (we sent 200 and
wait for the ACK), ``answered``, ``ending`` (we hung up and wait for pjsua to
confirm), ``ended``. The call features (hold, transfer, conference,
supervision) add their states and rows here.
"""
from __future__ import annotations

from acd_core.fsm import StateTable

OFFERED, DIALING, RINGING, ANSWERING, ANSWERED, ENDING, ENDED = (
    "offered", "dialing", "ringing", "answering", "answered", "ending", "ended")
STATES = (OFFERED, DIALING, RINGING, ANSWERING, ANSWERED, ENDING, ENDED)

# Events: ``early`` (18x received), ``answer`` (we sent a 2xx), ``confirmed``
# (INVITE session confirmed: ACK in, or 2xx out), ``hangup`` (we end it),
# ``disconnected`` (pjsua reports the session over), ``node_failed`` (daemon only:
# the node process is gone).
EVENTS = ("early", "answer", "confirmed", "hangup", "disconnected", "node_failed")

_LIVE = (OFFERED, DIALING, RINGING, ANSWERING, ANSWERED, ENDING)

LEG = StateTable(
    "leg", STATES,
    [
        (DIALING, "early", RINGING),
        (RINGING, "early", RINGING),          # 180 then 183, or a repeated 180
        (OFFERED, "answer", ANSWERING),
        (OFFERED, "confirmed", ANSWERED),     # answered and acknowledged in one step
        (ANSWERING, "confirmed", ANSWERED),
        (DIALING, "confirmed", ANSWERED),
        (RINGING, "confirmed", ANSWERED),
        *((s, "hangup", ENDING) for s in (OFFERED, DIALING, RINGING, ANSWERING, ANSWERED)),
        (ANSWERED, "confirmed", ANSWERED),    # pjsua repeats CONFIRMED after a re-INVITE
        (ENDING, "hangup", ENDING),           # a second hangup while the first is under way
        (ENDING, "confirmed", ENDING),        # the ACK of our 200 crossing our BYE
        (ENDING, "early", ENDING),            # a 180 crossing our CANCEL
        *((s, "disconnected", ENDED) for s in _LIVE),
        *((s, "node_failed", ENDED) for s in _LIVE),
    ],
    initial=(OFFERED, DIALING), final=(ENDED,))

# What the daemon is told about: every change except the node-internal
# ``answering`` step is reported, and the daemon's mirror applies the same events.
REPORTED = frozenset({"early", "answer", "confirmed", "hangup", "disconnected"})

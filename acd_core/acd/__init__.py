"""The ACD engine: who gets which call, decided from timestamped events.

``Engine`` is compiled with Cython when built (``_engine.py`` + ``_engine.pxd``);
the vocabulary (specs, events, decisions) is plain Python in ``model``. The JSON
trace and ``python -m acd_core.acd replay TRACE.jsonl`` are in ``trace``.
See docs/acd-trace.md for the rules and the trace format.
"""
from ._engine import Engine
from .model import (DECISIONS, EVENTS, STRATEGIES, AgentAutoPaused, AgentBusy, AgentFree,
                    AgentLoggedIn,
                    AgentLoggedOut, AgentPaused, AgentReachable, AgentSpec, AgentState,
                    AgentUnpaused, Announce, CallAbandoned, CallbackDue, CallbackRequested,
                    CallEnded, CallQueued, Decision, Escalation, Event, Membership, Offer,
                    OfferAccepted, OfferCallback, OfferCancelled, OfferDeclined, OfferFailed,
                    OfferTimedOut, Overflow, QueueSpec, Requeued, Stale, Tick, WrapupEnded)

__all__ = [
    "Engine", "QueueSpec", "AgentSpec", "Membership", "Escalation", "Event", "Decision",
    "CallQueued", "CallAbandoned", "CallbackRequested", "AgentLoggedIn", "AgentLoggedOut",
    "AgentReachable", "AgentPaused", "AgentUnpaused", "OfferAccepted", "OfferDeclined",
    "OfferTimedOut", "OfferFailed", "CallEnded", "Tick", "AgentBusy", "AgentFree", "WrapupEnded",
    "Offer", "CallbackDue", "OfferCancelled", "Requeued", "Overflow", "Announce",
    "OfferCallback", "AgentState", "AgentAutoPaused", "Stale",
    "EVENTS", "DECISIONS", "STRATEGIES",
]

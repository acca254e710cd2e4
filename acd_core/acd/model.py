"""The ACD's vocabulary: configuration, input events and output decisions.

Everything here is a frozen, keyword-only dataclass, so a trace line, a test and
the daemon all build the same values (``Offer(call="c1", agent="201", ...)``).
Events carry a timestamp ``t`` in seconds (the daemon's monotonic clock; the
engine never reads one). Decisions carry the time ``t`` at which the engine
made them: the event's time, or an earlier deadline that fell due before it.

This module is plain Python (not compiled); the engine (``_engine``) is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from acd_core.errors import ConfigError

# -- configuration ------------------------------------------------------------

#: Canonical strategy names, and the names other systems use for the same idea.
STRATEGIES = ("ring-all", "longest-idle", "round-robin", "fewest-calls", "least-talk-time",
              "linear", "random", "weighted-random", "ring-progressively")
STRATEGY_ALIASES = {
    "ringall": "ring-all", "leastrecent": "longest-idle", "longest-idle-agent": "longest-idle",
    "least-recent": "longest-idle", "rrmemory": "round-robin", "roundrobin": "round-robin",
    "fewestcalls": "fewest-calls", "agent-with-fewest-calls": "fewest-calls",
    "agent-with-least-talk-time": "least-talk-time", "top-down": "linear",
    "sequentially-by-agent-order": "linear", "wrandom": "weighted-random",
}
#: Member conditions a join/leave-when-empty rule may list (Asterisk's names).
EMPTY_CONDITIONS = ("unavailable", "paused", "wrapup", "ringing", "in-use", "resting")


@dataclass(frozen=True, kw_only=True)
class Escalation:
    """One row of a queue's escalation table: from ``after`` seconds of wait on,
    agents with penalty <= ``max_penalty`` and skill level >= ``min(wanted,
    min_level)`` are acceptable (``None`` = no limit on that axis)."""

    after: float
    max_penalty: int | None = None
    min_level: int | None = None


@dataclass(frozen=True, kw_only=True)
class QueueSpec:
    name: str
    strategy: str = "longest-idle"
    skills: Mapping[str, int] = field(default_factory=dict)   # required level per skill
    wrapup: float = 0.0                   # seconds of after-call work (agent may override)
    max_wait: float | None = None         # then Overflow(why="max-wait") to ``overflow``
    overflow: str | None = None           # another queue of this engine, or a daemon target
    max_len: int | None = None            # waiting calls; a caller beyond it overflows ("full")
    join_empty: tuple[str, ...] = ()      # member conditions that count as "nobody"
    leave_empty: tuple[str, ...] = ()
    service_level: float = 20.0           # SL threshold (s), used by KPIs
    announce_every: float | None = None   # position announcement period (s)
    callback_offer_after: float | None = None  # offer "press 1 to be called back" after (s)
    weight: int = 0                       # tie-break across queues (higher first)
    ring_timeout: float | None = 15.0     # engine-owned ring timeout; None = daemon's only
    ring_step: float = 10.0               # ring-progressively: add an agent every (s)
    escalation: tuple[Escalation, ...] = ()

    def __post_init__(self) -> None:
        strategy = STRATEGY_ALIASES.get(self.strategy, self.strategy)
        if strategy not in STRATEGIES:
            raise ConfigError("unknown ACD strategy", key=f"queue.{self.name}.strategy",
                              expected=" | ".join(STRATEGIES), got=self.strategy)
        object.__setattr__(self, "strategy", strategy)
        for attr in ("join_empty", "leave_empty"):
            value = getattr(self, attr)
            conds = tuple(sorted({"wrapup" if c == "wrap-up" else c
                                  for c in ((value,) if isinstance(value, str) else value)}))
            for c in conds:
                if c not in EMPTY_CONDITIONS:
                    raise ConfigError("unknown empty-queue condition", key=f"queue.{self.name}.{attr}",
                                      expected=" | ".join(EMPTY_CONDITIONS), got=c)
            object.__setattr__(self, attr, conds)
        rows = tuple(r if isinstance(r, Escalation) else Escalation(**r) for r in self.escalation)
        if rows and rows[0].after != 0:
            raise ConfigError("the first escalation row must apply from 0 s",
                              key=f"queue.{self.name}.escalation", got=rows[0].after)
        big = float("inf")
        for prev, row in zip(rows, rows[1:]):
            if not (row.after > prev.after
                    and (big if row.max_penalty is None else row.max_penalty)
                    >= (big if prev.max_penalty is None else prev.max_penalty)
                    and (big if row.min_level is None else row.min_level)
                    <= (big if prev.min_level is None else prev.min_level)):
                raise ConfigError("escalation rows must come later and only widen "
                                  "(max_penalty up, min_level down)",
                                  key=f"queue.{self.name}.escalation", row=row)
        object.__setattr__(self, "escalation", rows)
        object.__setattr__(self, "skills", dict(self.skills))
        for attr in ("ring_step",):
            if getattr(self, attr) <= 0:
                raise ConfigError("must be > 0", key=f"queue.{self.name}.{attr}")


@dataclass(frozen=True, kw_only=True)
class Membership:
    """An agent in one queue: ``penalty`` (0 = first choice, like a tier level),
    ``weight`` for weighted-random, ``position`` for linear / round-robin order."""

    penalty: int = 0
    weight: float = 1.0
    position: int | None = None

    def __post_init__(self) -> None:
        if self.weight < 0 or self.penalty < 0:
            raise ConfigError("penalty and weight must be >= 0", penalty=self.penalty,
                              weight=self.weight)


@dataclass(frozen=True, kw_only=True)
class AgentSpec:
    agent: str
    queues: Mapping[str, Any] = field(default_factory=dict)   # queue -> penalty | Membership
    skills: Mapping[str, int] = field(default_factory=dict)   # skill -> level (higher = better)
    max_no_answer: int = 3      # consecutive no-answers before auto-pause; 0 = never
    retry_delay: float = 5.0    # rest after a no-answer before the next offer (Asterisk retry)
    wrapup: float | None = None  # overrides the queue's wrap-up

    def __post_init__(self) -> None:
        qs = {}
        for q, m in dict(self.queues).items():
            if isinstance(m, Membership):
                qs[q] = m
            elif isinstance(m, Mapping):
                qs[q] = Membership(**m)
            else:
                qs[q] = Membership(penalty=int(m))
        object.__setattr__(self, "queues", qs)
        object.__setattr__(self, "skills", dict(self.skills))
        if self.max_no_answer < 0 or self.retry_delay < 0:
            raise ConfigError("must be >= 0", key=f"agent.{self.agent}.max_no_answer/retry_delay")


# -- input events -------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Event:
    code: ClassVar[int] = -1
    t: float


@dataclass(frozen=True, kw_only=True)
class CallQueued(Event):
    """A caller enters ``queue``. ``joined`` keeps an earlier join time (a callback
    or a transfer between queues keeps its place); ``callback=True`` enters a
    virtual caller who is not on the line."""
    code: ClassVar[int] = 0
    call: str
    queue: str
    priority: int = 0
    skills: Mapping[str, int] = field(default_factory=dict)
    joined: float | None = None
    callback: bool = False
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class CallAbandoned(Event):
    code: ClassVar[int] = 1
    call: str


@dataclass(frozen=True, kw_only=True)
class CallbackRequested(Event):
    """The waiting caller asked to be called back: leaves the line, keeps the place."""
    code: ClassVar[int] = 2
    call: str


@dataclass(frozen=True, kw_only=True)
class AgentLoggedIn(Event):
    code: ClassVar[int] = 3
    agent: str
    paused: str | None = None   # log in already paused with this reason


@dataclass(frozen=True, kw_only=True)
class AgentLoggedOut(Event):
    code: ClassVar[int] = 4
    agent: str


@dataclass(frozen=True, kw_only=True)
class AgentReachable(Event):
    code: ClassVar[int] = 5
    agent: str
    reachable: bool


@dataclass(frozen=True, kw_only=True)
class AgentPaused(Event):
    code: ClassVar[int] = 6
    agent: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AgentUnpaused(Event):
    code: ClassVar[int] = 7
    agent: str


@dataclass(frozen=True, kw_only=True)
class OfferAccepted(Event):
    code: ClassVar[int] = 8
    call: str
    agent: str


@dataclass(frozen=True, kw_only=True)
class OfferDeclined(Event):
    code: ClassVar[int] = 9
    call: str
    agent: str


@dataclass(frozen=True, kw_only=True)
class OfferTimedOut(Event):
    code: ClassVar[int] = 10
    call: str
    agent: str


@dataclass(frozen=True, kw_only=True)
class OfferFailed(Event):
    code: ClassVar[int] = 11
    call: str
    agent: str
    cause: str = ""


@dataclass(frozen=True, kw_only=True)
class CallEnded(Event):
    """The connected call ended; ``hold`` (s on hold) and ``transfer`` (target)
    are for the KPIs."""
    code: ClassVar[int] = 12
    call: str
    agent: str
    hold: float = 0.0
    transfer: str | None = None


@dataclass(frozen=True, kw_only=True)
class Tick(Event):
    code: ClassVar[int] = 13


@dataclass(frozen=True, kw_only=True)
class AgentBusy(Event):
    """The agent is on a call the engine did not offer (an outbound or direct call, a
    transfer or pickup it took, a supervisor's intercept): no offers until the matching
    ``AgentFree``. A ringing offer is cancelled (``why="busy"``) and the call requeued;
    a wrap-up in progress ends. Several may overlap (a consultation during a call)."""
    code: ClassVar[int] = 14
    agent: str
    call: str


@dataclass(frozen=True, kw_only=True)
class AgentFree(Event):
    """A call announced by ``AgentBusy`` ended. When the agent has no other call it
    wraps up for ``wrapup`` seconds (``None``: its own wrap-up, else 0) if logged in."""
    code: ClassVar[int] = 15
    agent: str
    call: str
    wrapup: float | None = None


@dataclass(frozen=True, kw_only=True)
class WrapupEnded(Event):
    """The agent says it is ready before its wrap-up time is over."""
    code: ClassVar[int] = 16
    agent: str


EVENTS = (CallQueued, CallAbandoned, CallbackRequested, AgentLoggedIn, AgentLoggedOut,
          AgentReachable, AgentPaused, AgentUnpaused, OfferAccepted, OfferDeclined,
          OfferTimedOut, OfferFailed, CallEnded, Tick, AgentBusy, AgentFree, WrapupEnded)


# -- decisions ----------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Decision:
    t: float


@dataclass(frozen=True, kw_only=True)
class Offer(Decision):
    """Ring ``agent`` for ``call``. Under ring-all / ring-progressively one call
    may have several offers out; the first ``OfferAccepted`` wins."""
    call: str
    agent: str
    queue: str
    reason: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class CallbackDue(Decision):
    """``agent`` is reserved for the callback ``call``: ring the agent, dial the
    caller back, then report ``OfferAccepted`` (or declined / failed)."""
    call: str
    agent: str
    queue: str
    reason: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class OfferCancelled(Decision):
    """Stop ringing ``agent`` for ``call``. ``why``: answered-elsewhere,
    lost-race (the agent answered too late: hang its leg up), timeout,
    abandoned, logged-out, busy (the agent took another call)."""
    call: str
    agent: str
    why: str


@dataclass(frozen=True, kw_only=True)
class Requeued(Decision):
    """The call is back in its place (``position`` in its queue) after an offer
    was declined, timed out or failed."""
    call: str
    queue: str
    why: str
    position: int


@dataclass(frozen=True, kw_only=True)
class Overflow(Decision):
    """The call leaves ``queue``. If ``target`` is a queue of this engine the
    call now waits there (keeping its join time); otherwise the daemon routes
    it (``None``: the queue's fallback, e.g. voicemail). ``why``: max-wait,
    full, join-empty, leave-empty."""
    call: str
    queue: str
    target: str | None
    why: str
    waited: float


@dataclass(frozen=True, kw_only=True)
class Announce(Decision):
    """Tell the caller their position (1 = next in this queue) and the queue's
    smoothed answer time ``ewt`` (None before the first answer)."""
    call: str
    queue: str
    position: int
    waited: float
    ewt: float | None


@dataclass(frozen=True, kw_only=True)
class OfferCallback(Decision):
    """Offer the caller to be called back keeping the place (once per call)."""
    call: str
    queue: str
    position: int
    waited: float


@dataclass(frozen=True, kw_only=True)
class AgentState(Decision):
    """The agent's state changed: logged-out, unreachable, paused, wrap-up,
    ringing, on-call, resting (no-answer delay) or available. ``reason`` is the
    pause reason ("auto:no-answer" for auto-pause) or what caused the change."""
    agent: str
    state: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class AgentAutoPaused(Decision):
    agent: str
    reason: str
    no_answers: int


@dataclass(frozen=True, kw_only=True)
class Stale(Decision):
    """An input that does not fit the state (late accept, unknown call): ignored."""
    event: str
    call: str | None
    agent: str | None
    why: str


DECISIONS = (Offer, CallbackDue, OfferCancelled, Requeued, Overflow, Announce, OfferCallback,
             AgentState, AgentAutoPaused, Stale)

"""The live side of the API: the wallboard's picture of the queues and agents, and
event streams (server-sent events) for the web UI, both fed by the event bus.

``LiveBoard`` subscribes to the bus on the daemon loop and keeps, from the ACD
trace (``acd.trace``) and the call flow's events (``call.*``, ``seat.*``), who
waits in which queue since when, what each agent is doing since when, and
today's answered / abandoned counts. It holds no call logic: it only folds
events, so it shows a caller waiting in a queue whose agents are all logged out
as well as any other. ``EventStream`` is one web client's bounded queue on the
bus, filtered to what the principal may see and masked for it.
"""
from __future__ import annotations

import queue as queue_mod
import time
from dataclasses import dataclass, field
from typing import Any

from firmware.crm.masking import mask_tree
from firmware.crm.permissions import Principal
from firmware.events import Event, EventBus

#: Event kinds a stream carries (prefixes).
STREAM_KINDS = ("call.", "acd.trace", "seat.", "agent.", "queue.", "crm.ticket_escalated")
#: ACD trace records that matter to the board.
_WAIT_ENDS = {"OfferAccepted", "CallAbandoned", "Overflow"}


def _day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(ts))


@dataclass
class _Waiting:
    call: str
    queue: str
    since: float
    caller: str = ""
    offered_to: str | None = None


@dataclass
class _Agent:
    agent: str
    state: str = "logged-out"
    since: float = 0.0
    reason: str = ""
    call: str | None = None
    registered: bool = False
    calls_today: int = 0


@dataclass
class _QueueDay:
    answered: int = 0
    in_sl: int = 0
    abandoned: int = 0


@dataclass
class LiveBoard:
    """Folded on the loop (``feed``); read on the loop (``snapshot``)."""

    waiting: dict[str, _Waiting] = field(default_factory=dict)
    agents: dict[str, _Agent] = field(default_factory=dict)
    days: dict[tuple[str, str], _QueueDay] = field(default_factory=dict)
    callers: dict[str, str] = field(default_factory=dict)        # call id -> caller number
    sl_threshold: dict[str, float] = field(default_factory=dict)
    version: int = 0

    def attach(self, bus: EventBus) -> None:
        for prefix in ("acd.trace", "call.", "seat."):
            bus.subscribe(prefix, self.feed)

    def _agent(self, name: str) -> _Agent:
        a = self.agents.get(name)
        if a is None:
            a = self.agents[name] = _Agent(name)
        return a

    def seed_agents(self, agents: dict[str, dict[str, Any]]) -> None:
        """Start from the ACD's agents as they are now (``AcdRunner.agents_now``): the
        board only folds what happens after it subscribed, and an agent who went
        available before anyone opened a live page would otherwise show logged out
        until it next changes state. When each entered its state is not known, so the
        board shows no time in state until the next change."""
        for name, now in agents.items():
            a = self._agent(name)
            a.state, a.reason = str(now["state"]), str(now.get("reason") or "")
            a.registered = bool(now.get("reachable"))
            a.call = now.get("call") if a.state == "on-call" else None

    def feed(self, e: Event) -> None:
        d = e.data
        self.version += 1
        if e.kind == "call.started":
            self.callers[str(d.get("call"))] = str(d.get("caller") or "")
            if len(self.callers) > 5000:                      # calls that never ended
                for k in list(self.callers)[:1000]:
                    del self.callers[k]
        elif e.kind == "call.ended":
            w = self.waiting.pop(str(d.get("call")), None)
            self.callers.pop(str(d.get("call")), None)
            for a in self.agents.values():
                if a.call == d.get("call"):
                    a.call = None
            if w is not None and d.get("disposition") == "abandoned":
                self._count(w.queue, e.ts).abandoned += 1
        elif e.kind in ("seat.registered", "seat.unregistered"):
            self._agent(str(d.get("seat"))).registered = e.kind == "seat.registered"
        elif e.kind == "acd.trace":
            self._trace(d, e.ts)

    def _count(self, q: str, ts: float) -> _QueueDay:
        key = (q, _day(ts))
        c = self.days.get(key)
        if c is None:
            c = self.days[key] = _QueueDay()
        return c

    def _trace(self, d: dict[str, Any], ts: float) -> None:
        kind, call = d.get("type"), str(d.get("call", ""))
        if kind == "QueueSpec":
            self.sl_threshold[str(d.get("name"))] = float(d.get("service_level") or 20.0)
        elif kind == "CallQueued":
            self.waiting.setdefault(call, _Waiting(call, str(d.get("queue")), ts,
                                                   self.callers.get(call, "")))
        elif kind in ("Offer", "CallbackDue") and call in self.waiting:
            self.waiting[call].offered_to = str(d.get("agent"))
        elif kind in ("OfferCancelled", "Requeued") and call in self.waiting:
            self.waiting[call].offered_to = None
        elif kind in _WAIT_ENDS and call in self.waiting:
            w = self.waiting.pop(call)
            if kind == "OfferAccepted":
                c = self._count(w.queue, ts)
                c.answered += 1
                if ts - w.since <= self.sl_threshold.get(w.queue, 20.0):
                    c.in_sl += 1
                a = self._agent(str(d.get("agent")))
                a.call, a.calls_today = call, a.calls_today + 1
            elif kind == "CallAbandoned":
                self._count(w.queue, ts).abandoned += 1
        elif kind == "CallEnded":
            a = self._agent(str(d.get("agent")))
            if a.call == call:
                a.call = None
        elif kind == "AgentState":
            a = self._agent(str(d.get("agent")))
            a.state, a.since, a.reason = str(d.get("state")), ts, str(d.get("reason") or "")

    def snapshot(self, now: float, queues: list[str], seats: list[str], p: Principal
                 ) -> dict[str, Any]:
        """The board as JSON (times as seconds since; masked by the caller of this)."""
        today = _day(now)
        names = sorted(set(queues) | set(self.sl_threshold) | {w.queue for w in self.waiting.values()}
                       | {q for q, day in self.days if day == today})
        everyone = p.can("supervise")
        out_queues = []
        for q in names:
            ws = sorted((w for w in self.waiting.values() if w.queue == q), key=lambda w: w.since)
            c = self.days.get((q, today), _QueueDay())
            done = c.answered + c.abandoned
            out_queues.append({
                "queue": q, "waiting": len(ws),
                "longest_wait_s": round(now - ws[0].since, 1) if ws else 0.0,
                "answered": c.answered, "abandoned": c.abandoned,
                "service_level": round(c.in_sl / done, 4) if done else None,
                "callers": [{"call": w.call, "caller": w.caller, "wait_s": round(now - w.since, 1),
                             "offered_to": w.offered_to} for w in ws] if everyone else []})
        agents = []
        for name in sorted(set(seats) | set(self.agents)):
            if not everyone and name != p.seat:
                continue
            a = self.agents.get(name, _Agent(name))
            agents.append({"agent": a.agent, "state": a.state, "reason": a.reason,
                           "in_state_s": round(now - a.since, 1) if a.since else None,
                           "call": a.call, "registered": a.registered,
                           "calls_today": a.calls_today})
        return {"queues": out_queues, "agents": agents, "version": self.version}


class EventStream:
    """One client's events: ``get(timeout)`` -> a masked dict or None; ``close()``."""

    def __init__(self, bus: EventBus, p: Principal, maxsize: int = 500) -> None:
        self._bus = bus
        self._p = p
        self._q: queue_mod.Queue[Event] = bus.open_queue("", maxsize)

    def _visible(self, e: Event) -> bool:
        if not e.kind.startswith(STREAM_KINDS):
            return False
        if self._p.can("supervise"):
            return True
        seat = self._p.seat
        return seat is not None and seat in (e.data.get("agent"), e.data.get("seat"))

    def get(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                e = self._q.get(timeout=left)
            except queue_mod.Empty:
                return None
            if self._visible(e):
                return mask_tree(e.to_dict(), self._p)

    def close(self) -> None:
        self._bus.close_queue(self._q)

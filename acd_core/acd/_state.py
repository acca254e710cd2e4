"""The engine's state and the bookkeeping every decision relies on.

``_State`` is the bottom layer of the engine (``_state`` -> ``_offers`` ->
``_strategies`` -> ``_rules`` -> ``_engine``, each a subclass of the one
before, each compiled with its own ``.pxd``): the queues, agents and calls, the
deadline heap, each agent's derived status and the per-queue counts of member
statuses (what join/leave-when-empty read), and the buckets that keep waiting
calls in the global order. Nothing here decides who gets a call.
"""
from __future__ import annotations

from heapq import heapify, heappop, heappush
from random import Random

from ._codes import (C_DONE, C_RINGING, C_WAITING, INF, ONCALL, RINGING, S_AVAILABLE,
                     S_LOGGED_OUT, S_ONCALL, S_PAUSED, S_RESTING, S_RINGING, S_UNREACHABLE,
                     S_WRAPUP, STATUS_NAMES, T_CBOFFER, T_ESC, T_REST, T_RING, T_STEP, T_WRAP,
                     WRAPUP)
from ._records import _Bucket, _Class
from .model import AgentState


def _bisect(calls, join, seq):
    """Index of the first call in ``calls`` at or after (join, seq)."""
    lo = 0
    hi = len(calls)
    while lo < hi:
        mid = (lo + hi) >> 1
        c = calls[mid]
        if c.join < join or (c.join == join and c.seq < seq):
            lo = mid + 1
        else:
            hi = mid
    return lo


class _State:
    def __init__(self, seed=0):
        self._queues = {}
        self._agents = {}
        self._calls = {}
        self._timers = []
        self._tseq = 0
        self._compact_at = 4096
        self._seq = 0
        self._offer_seq = 0
        self._now = -INF
        self._out = []
        self._dirty = []
        self._rng = Random(seed)
        self.seed = seed

    # -- read-only views ------------------------------------------------------
    def agent_state(self, agent):
        a = self._agents[agent]
        return STATUS_NAMES[a.status], a.status_reason

    def position(self, call):
        c = self._calls.get(call)
        if c is None or c.state != C_WAITING:
            return 0
        return self._position(c)

    def waiting(self, queue):
        """Waiting call ids of ``queue`` in the global order."""
        q = self._queues[queue]
        calls = [c for b in q.active for c in b.calls]
        calls.sort(key=lambda c: (-c.prio, c.join, -c.weight, c.seq))
        return [c.id for c in calls]

    def snapshot(self):
        """Everything a restart must restore, as plain data (tests compare it)."""
        agents = {}
        for a in self._agents.values():
            agents[a.id] = {"state": STATUS_NAMES[a.status], "reason": a.status_reason,
                            "logged_in": a.logged_in, "reachable": a.reachable,
                            "paused": a.paused, "no_answer": a.no_answer, "calls": a.calls,
                            "talk": a.talk, "call": None if a.call is None else a.call.id}
        calls = {}
        for c in self._calls.values():
            calls[c.id] = {"queue": c.queue.name, "state": ("waiting", "ringing", "connected",
                                                             "done")[c.state],
                           "join": c.join, "priority": c.prio, "callback": c.callback,
                           "agents": [a.id for a in c.ring] if c.state == C_RINGING else
                           ([c.agent.id] if c.agent is not None else []),
                           "position": self._position(c) if c.state == C_WAITING else 0}
        return {"now": self._now, "agents": agents, "calls": calls,
                "next_deadline": self.next_deadline()}

    # -- deadlines ------------------------------------------------------------
    def next_deadline(self):
        """The earliest time at which the engine needs a ``Tick``, or None."""
        heap = self._timers
        while heap:
            e = heap[0]
            if self._valid(e[2], e[3], e[4], e[5], e[0]):
                return e[0]
            heappop(heap)
        return None

    def _push(self, when, kind, obj, tag, n):
        self._tseq += 1
        heappush(self._timers, (when, self._tseq, kind, obj, tag, n))
        if len(self._timers) > self._compact_at:
            live = [e for e in self._timers if self._valid(e[2], e[3], e[4], e[5], e[0])]
            heapify(live)
            self._timers = live
            self._compact_at = 2 * len(live) + 4096

    def _valid(self, kind, obj, tag, n, when):
        if kind == T_WRAP:
            a = obj
            return a.activity == WRAPUP and a.wrap_until == when
        if kind == T_REST:
            a = obj
            return a.rest_until == when
        call = obj
        if call.state == C_DONE:
            return False
        if kind == T_RING:
            a = tag
            return call.state == C_RINGING and a.call is call and a.offer_id == n
        if kind == T_STEP:
            return call.state == C_RINGING and call.ring_cycle == n
        # Call deadlines stay valid while the call rings (it may come back):
        # only what can never change back retires them; _fire checks the rest.
        if call.entry != n:
            return False
        if kind == T_ESC:
            return True
        if kind == T_CBOFFER:
            return not call.callback and not call.cb_offered
        return not call.callback        # T_MAXWAIT, T_ANN

    # -- agent state ----------------------------------------------------------
    def _status(self, a):
        if a.activity == RINGING:
            return S_RINGING
        if a.activity == ONCALL:
            return S_ONCALL
        if a.activity == WRAPUP:
            return S_WRAPUP
        if not a.logged_in:
            return S_LOGGED_OUT
        if a.paused is not None:
            return S_PAUSED
        if not a.reachable:
            return S_UNREACHABLE
        if a.rest_until > self._now:
            return S_RESTING
        return S_AVAILABLE

    def _touch(self, a, cause):
        st = self._status(a)
        reason = a.paused if st == S_PAUSED else cause
        if st == a.status and (st != S_PAUSED or reason == a.status_reason):
            return
        old = a.status
        a.status = st
        a.status_reason = reason
        if st != old:
            for m in a.members:
                q = m.queue
                q.counts[old] -= 1
                q.counts[st] += 1
                if q.leave_mask and q.waiting:
                    self._dirty.append(q)
        self._out.append(AgentState(t=self._now, agent=a.id, state=STATUS_NAMES[st],
                                    reason=reason))

    # -- waiting calls --------------------------------------------------------
    def _class_for(self, q, wanted):
        req = q.req
        if wanted:
            req = dict(req)
            for k, v in wanted.items():
                v = float(v)
                if v > req.get(k, -INF):
                    req[k] = v
        key = tuple(sorted(req.items()))
        cls = q.classes.get(key)
        if cls is None:
            cls = _Class(key, len(q.classes))
            q.classes[key] = cls
        return cls

    def _insert(self, call):
        q = call.queue
        bkey = (call.cls.idx, call.prio)
        b = q.buckets.get(bkey)
        if b is None:
            b = _Bucket(q, call.cls, call.prio)
            q.buckets[bkey] = b
        calls = b.calls
        if not calls:
            q.active.append(b)
            calls.append(call)
        else:
            last = calls[len(calls) - 1]
            if last.join < call.join or (last.join == call.join and last.seq < call.seq):
                calls.append(call)
            else:
                calls.insert(_bisect(calls, call.join, call.seq), call)
        call.bucket = b
        call.state = C_WAITING
        q.waiting += 1

    def _remove(self, call):
        b = call.bucket
        calls = b.calls
        if calls[0] is call:
            del calls[0]
        else:
            del calls[_bisect(calls, call.join, call.seq)]
        if not calls:
            b.queue.active.remove(b)
        b.queue.waiting -= 1
        call.bucket = None

    def _position(self, call):
        pos = 1
        for b in call.queue.active:
            if b.prio > call.prio:
                pos += len(b.calls)
            elif b.prio == call.prio:
                pos += _bisect(b.calls, call.join, call.seq)
        return pos

"""The ACD engine: timestamped events in, decisions out; no clock, no I/O.

Compiled with Cython (declarations in ``_engine.pxd``); this file is the truth
and runs unchanged as pure Python.

How it decides (docs/acd-trace.md has the full rules):

* **One global order.** Waiting calls are ordered by priority (higher first),
  then join time (earlier first; a callback or an overflowed call keeps its
  original join time), then queue weight (higher first), then arrival. A free
  agent takes the first call in that order among every queue it serves that it
  is eligible for. Eligibility: member of the queue, penalty and skill levels
  accepted by the queue's escalation row for the call's wait.
* **Event-driven, no rescans.** Each queue keeps its waiting calls in buckets
  (skill class x priority), each sorted by join time, so the bucket head is the
  call that waited longest and escalated furthest: if an agent cannot take the
  head it can take nobody in that bucket. A freed agent looks at bucket heads
  only; an arriving call looks at its queue's members only. Deadlines (wrap-up,
  rest, ring timeout, ring step, max wait, escalation, announcements, callback
  offer) live in one heap; ``next_deadline()`` tells the daemon when to ``Tick``.
* **Invariant.** After every event no agent that is available is eligible for
  a waiting call (the engine is work-conserving), so an arriving call only has
  to pick among free members by strategy, and a freed agent only has to pick
  among waiting calls by the global order.
* Deadlines that fall due before an event's time fire before the event (in
  deadline order); a deadline equal to the event's time fires only on a
  ``Tick`` at that time, so an answer at exactly the ring timeout still wins.
  An event older than the last one is treated as happening now.
"""
from __future__ import annotations

from heapq import heapify, heappop, heappush
from random import Random

from acd_core.errors import ConfigError

from .model import (STRATEGIES, AgentAutoPaused, AgentState, Announce, CallbackDue,
                    Offer, OfferCallback, OfferCancelled, Overflow, Requeued, Stale)

INF = float("inf")

# agent activity
IDLE = 0
RINGING = 1
ONCALL = 2
WRAPUP = 3

# derived agent status (what AgentState reports, and what join/leave-empty count)
S_LOGGED_OUT = 0
S_UNREACHABLE = 1
S_PAUSED = 2
S_WRAPUP = 3
S_RINGING = 4
S_ONCALL = 5
S_RESTING = 6
S_AVAILABLE = 7
STATUS_NAMES = ("logged-out", "unreachable", "paused", "wrap-up", "ringing", "on-call",
                "resting", "available")
_CONDITION_BITS = {"unavailable": (1 << S_LOGGED_OUT) | (1 << S_UNREACHABLE),
                   "paused": 1 << S_PAUSED, "wrapup": 1 << S_WRAPUP, "ringing": 1 << S_RINGING,
                   "in-use": 1 << S_ONCALL, "resting": 1 << S_RESTING}

# call state
C_WAITING = 0
C_RINGING = 1
C_CONNECTED = 2
C_DONE = 3

# strategies (index into model.STRATEGIES)
RING_ALL = 0
LONGEST_IDLE = 1
ROUND_ROBIN = 2
FEWEST_CALLS = 3
LEAST_TALK = 4
LINEAR = 5
RANDOM = 6
WEIGHTED_RANDOM = 7
PROGRESSIVE = 8
METRIC_NAMES = ("penalty", "idle_since", "rr_order", "calls", "talk_time", "position",
                "random", "weight", "position")

# timer kinds
T_WRAP = 0
T_REST = 1
T_RING = 2
T_STEP = 3
T_MAXWAIT = 4
T_ESC = 5
T_ANN = 6
T_CBOFFER = 7

TICK_CODE = 13


class _Class:
    """A skill requirement within a queue: ((skill, level), ...)."""

    def __init__(self, key, idx):
        self.key = key
        self.idx = idx


class _Bucket:
    """Waiting calls of one queue, skill class and priority, sorted by (join, seq)."""

    def __init__(self, queue, cls, prio):
        self.queue = queue
        self.cls = cls
        self.prio = prio
        self.calls = []


class _Queue:
    def __init__(self, spec):
        self.name = spec.name
        self.strategy = STRATEGIES.index(spec.strategy)
        self.wrapup = spec.wrapup
        self.max_wait = -1.0 if spec.max_wait is None else spec.max_wait
        self.overflow = spec.overflow
        self.max_len = -1 if spec.max_len is None else spec.max_len
        self.join_mask = _mask(spec.join_empty)
        self.leave_mask = _mask(spec.leave_empty)
        self.announce_every = 0.0 if spec.announce_every is None else spec.announce_every
        self.cb_after = -1.0 if spec.callback_offer_after is None else spec.callback_offer_after
        self.weight = float(spec.weight)
        self.ring_timeout = -1.0 if spec.ring_timeout is None else spec.ring_timeout
        self.ring_step = spec.ring_step
        rows = spec.escalation or ()
        self.esc_after = [float(r.after) for r in rows] or [0.0]
        self.esc_pen = [INF if r.max_penalty is None else float(r.max_penalty) for r in rows] or [INF]
        self.esc_lvl = [INF if r.min_level is None else float(r.min_level) for r in rows] or [INF]
        self.nsteps = len(self.esc_after)
        self.req = {k: float(v) for k, v in spec.skills.items()}
        self.members = []
        self.classes = {}
        self.buckets = {}
        self.active = []
        self.waiting = 0
        self.counts = [0] * 8
        self.rr_last = -1
        self.next_pos = 0
        self.ewt = -1.0


class _Agent:
    def __init__(self, spec, idx):
        self.id = spec.agent
        self.idx = idx
        self.skills = {k: float(v) for k, v in spec.skills.items()}
        self.max_no_answer = spec.max_no_answer
        self.retry_delay = spec.retry_delay
        self.wrapup = -1.0 if spec.wrapup is None else spec.wrapup
        self.members = []
        self.logged_in = False
        self.reachable = False
        self.paused = None
        self.activity = IDLE
        self.status = S_LOGGED_OUT
        self.status_reason = ""
        self.rest_until = -INF
        self.wrap_until = -INF
        self.call = None
        self.offer_id = 0
        self.no_answer = 0
        self.login_t = -INF
        self.last_end = -INF
        self.answered = 0.0
        self.calls = 0
        self.talk = 0.0


class _Member:
    def __init__(self, agent, queue, penalty, weight, pos):
        self.agent = agent
        self.queue = queue
        self.penalty = penalty
        self.weight = weight
        self.pos = pos
        self.memo = {}


class _Call:
    def __init__(self, cid, prio, join, seq, callback, wanted):
        self.id = cid
        self.prio = prio
        self.join = join
        self.seq = seq
        self.callback = callback
        self.wanted = wanted
        self.queue = None
        self.cls = None
        self.bucket = None
        self.weight = 0
        self.entered = join
        self.entry = 0
        self.hops = 0
        self.state = C_WAITING
        self.ring = []
        self.tried = []
        self.ring_cycle = 0
        self.agent = None
        self.cb_offered = False


def _mask(conditions):
    m = 0
    for c in conditions:
        m |= _CONDITION_BITS[c]
    return m


def _better(a, b):
    """True when call ``a`` comes before call ``b`` in the global order."""
    if a.prio != b.prio:
        return a.prio > b.prio
    if a.join != b.join:
        return a.join < b.join
    if a.weight != b.weight:
        return a.weight > b.weight
    return a.seq < b.seq


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


def _step(q, join, now):
    """Index of the escalation row that applies to a call that joined at ``join``."""
    i = q.nsteps - 1
    while i > 0 and join + q.esc_after[i] > now:
        i -= 1
    return i


def _threshold(m, cls):
    """First escalation row at which member ``m`` may take calls of class ``cls``
    (``q.nsteps`` = never). Rows only widen, so eligibility is monotone in wait."""
    r = m.memo.get(cls)
    if r is not None:
        return r
    q = m.queue
    skills = m.agent.skills
    result = q.nsteps
    for i in range(q.nsteps):
        if m.penalty > q.esc_pen[i]:
            continue
        ok = True
        cap = q.esc_lvl[i]
        for skill, level in cls.key:
            need = level if level < cap else cap
            if skills.get(skill, 0.0) < need:
                ok = False
                break
        if ok:
            result = i
            break
    m.memo[cls] = result
    return result


def _empty(q, mask):
    """True if no member of ``q`` is in a state outside ``mask``."""
    for s in range(8):
        if not (mask >> s) & 1 and q.counts[s]:
            return False
    return True


class Engine:
    """The ACD state machine. ``handle(event) -> list[Decision]``."""

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

    # -- configuration --------------------------------------------------------
    def add_queue(self, spec):
        if spec.name in self._queues:
            raise ConfigError("queue already exists", key=f"queue.{spec.name}")
        self._queues[spec.name] = _Queue(spec)
        return []

    def add_agent(self, spec):
        """Adds an agent, or replaces the memberships and skills of a known one
        (its state is kept); returns the decisions that follows (an offer when a
        now-eligible agent is free)."""
        for qname in spec.queues:
            if qname not in self._queues:
                raise ConfigError("agent is a member of an unknown queue",
                                  key=f"agent.{spec.agent}.queues", got=qname)
        old = self._agents.get(spec.agent)
        if old is None:
            a = _Agent(spec, len(self._agents))
            self._agents[spec.agent] = a
        else:
            a = old
            for m in a.members:
                m.queue.members.remove(m)
                m.queue.counts[a.status] -= 1
            a.members = []
            a.skills = {k: float(v) for k, v in spec.skills.items()}
            a.max_no_answer = spec.max_no_answer
            a.retry_delay = spec.retry_delay
            a.wrapup = -1.0 if spec.wrapup is None else spec.wrapup
        for qname, ms in spec.queues.items():
            q = self._queues[qname]
            pos = ms.position
            if pos is None:
                pos = q.next_pos
            if pos >= q.next_pos:
                q.next_pos = pos + 1
            m = _Member(a, q, int(ms.penalty), float(ms.weight), int(pos))
            i = len(q.members)
            while i > 0 and (q.members[i - 1].pos > pos or (q.members[i - 1].pos == pos
                                                             and q.members[i - 1].agent.idx > a.idx)):
                i -= 1
            q.members.insert(i, m)
            q.counts[a.status] += 1
            a.members.append(m)
        self._out = []
        if old is not None:
            self._serve_agent(a, "reconfigured")
            self._settle()
        return self._out

    # -- the one entry point --------------------------------------------------
    def handle(self, ev):
        t = ev.t
        if t < self._now:
            t = self._now
        self._out = []
        code = ev.code
        self._run_timers(t, code == TICK_CODE)
        self._now = t
        if code == 0:
            self._on_call_queued(ev)
        elif code == 1:
            self._on_abandoned(ev)
        elif code == 2:
            self._on_callback_requested(ev)
        elif code == 3:
            self._on_logged_in(ev)
        elif code == 4:
            self._on_logged_out(ev)
        elif code == 5:
            self._on_reachable(ev)
        elif code == 6:
            self._on_paused(ev)
        elif code == 7:
            self._on_unpaused(ev)
        elif code == 8:
            self._on_accepted(ev)
        elif code == 9:
            self._on_no_answer(ev, "declined")
        elif code == 10:
            self._on_no_answer(ev, "timeout")
        elif code == 11:
            self._on_no_answer(ev, "failed")
        elif code == 12:
            self._on_call_ended(ev)
        elif code != TICK_CODE:
            raise TypeError(f"not an ACD event: {ev!r}")
        self._settle()
        return self._out

    def next_deadline(self):
        """The earliest time at which the engine needs a ``Tick``, or None."""
        heap = self._timers
        while heap:
            e = heap[0]
            if self._valid(e[2], e[3], e[4], e[5], e[0]):
                return e[0]
            heappop(heap)
        return None

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

    # -- timers ---------------------------------------------------------------
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

    def _run_timers(self, t, inclusive):
        while self._timers:
            e = self._timers[0]
            when = e[0]
            if when > t or (when == t and not inclusive):
                break
            heappop(self._timers)
            if not self._valid(e[2], e[3], e[4], e[5], when):
                continue
            if when > self._now:
                self._now = when
            self._fire(e[2], e[3], e[4], e[5])
            self._settle()

    def _fire(self, kind, obj, tag, n):
        if kind == T_WRAP:
            a = obj
            a.activity = IDLE
            self._touch(a, "wrap-up-done")
            self._serve_agent(a, "wrap-up-done")
        elif kind == T_REST:
            self._touch(obj, "rest-done")
            self._serve_agent(obj, "rest-done")
        elif kind == T_RING:
            self._emit_cancel(obj, tag, "timeout")
            self._no_answer(obj, tag, "timeout")
        elif kind == T_STEP:
            self._ring_step(obj)
        elif kind == T_MAXWAIT:
            call = obj
            if call.state == C_WAITING:    # a ringing call overflows if it comes back
                self._leave(call, "max-wait")
        elif kind == T_ESC:
            self._serve_call(obj, "escalation")   # acts only on a waiting call
        elif kind == T_ANN:
            call = obj
            q = call.queue
            if call.state == C_WAITING:
                self._out.append(Announce(t=self._now, call=call.id, queue=q.name,
                                          position=self._position(call),
                                          waited=self._now - call.entered,
                                          ewt=None if q.ewt < 0 else q.ewt))
            self._push(self._now + q.announce_every, T_ANN, call, None, call.entry)
        else:
            call = obj
            if call.state == C_WAITING:    # else offered when it comes back (_requeue)
                self._offer_callback(call)

    def _offer_callback(self, call):
        call.cb_offered = True
        self._out.append(OfferCallback(t=self._now, call=call.id, queue=call.queue.name,
                                       position=self._position(call),
                                       waited=self._now - call.join))

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

    def _settle(self):
        """Applies leave-when-empty to the queues whose members changed state."""
        while self._dirty:
            q = self._dirty.pop()
            if q.waiting and _empty(q, q.leave_mask):
                for cid in self.waiting(q.name):
                    call = self._calls[cid]
                    if not call.callback:
                        self._leave(call, "leave-empty")

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

    def _enter(self, call, q):
        """``call`` enters queue ``q`` (arrival or overflow from another queue)."""
        call.queue = q
        call.entered = self._now
        call.entry += 1
        call.weight = q.weight
        call.cls = self._class_for(q, call.wanted)
        call.state = C_WAITING
        if q.max_len >= 0 and q.waiting >= q.max_len:
            self._leave(call, "full")
            return
        if q.join_mask and _empty(q, q.join_mask):
            self._leave(call, "join-empty")
            return
        if q.leave_mask and _empty(q, q.leave_mask):
            self._leave(call, "leave-empty")
            return
        self._insert(call)
        now = self._now
        if q.max_wait >= 0 and not call.callback:
            self._push(call.entered + q.max_wait, T_MAXWAIT, call, None, call.entry)
        for i in range(1, q.nsteps):
            if call.join + q.esc_after[i] > now:
                self._push(call.join + q.esc_after[i], T_ESC, call, None, call.entry)
        if q.announce_every > 0 and not call.callback:
            self._push(now + q.announce_every, T_ANN, call, None, call.entry)
        if q.cb_after >= 0 and not call.callback and not call.cb_offered:
            when = call.join + q.cb_after
            self._push(when if when > now else now, T_CBOFFER, call, None, call.entry)
        self._serve_call(call, "call-queued")

    def _leave(self, call, why):
        """The call leaves its queue: overflow to another queue or out of the engine."""
        q = call.queue
        if call.state == C_WAITING and call.bucket is not None:
            self._remove(call)
        target = q.overflow
        self._out.append(Overflow(t=self._now, call=call.id, queue=q.name, target=target,
                                  why=why, waited=self._now - call.entered))
        nq = self._queues.get(target) if target is not None else None
        call.hops += 1
        if nq is not None and nq is not q and call.hops <= len(self._queues):
            self._enter(call, nq)
        else:
            call.state = C_DONE
            del self._calls[call.id]

    def _requeue(self, call, why):
        """Back to its place after every offer of this ring cycle failed. The
        caller serves the agents it freed first (they may have better calls
        waiting), then offers this call with ``_serve_call``."""
        q = call.queue
        call.ring = []
        call.tried = []
        if not call.callback and q.max_wait >= 0 and self._now >= call.entered + q.max_wait:
            self._leave(call, "max-wait")
            return
        self._insert(call)
        self._out.append(Requeued(t=self._now, call=call.id, queue=q.name, why=why,
                                  position=self._position(call)))
        if q.cb_after >= 0 and not call.callback and not call.cb_offered \
                and self._now >= call.join + q.cb_after:
            self._offer_callback(call)

    # -- choosing -------------------------------------------------------------
    def _best_call(self, a):
        """The first waiting call in the global order that agent ``a`` may take."""
        best = None
        for m in a.members:
            q = m.queue
            if not q.waiting:
                continue
            for b in q.active:
                head = b.calls[0]
                if best is not None and not _better(head, best):
                    continue
                thr = _threshold(m, b.cls)
                if thr < q.nsteps and head.join + q.esc_after[thr] <= self._now:
                    best = head
        return best

    def _serve_agent(self, a, trigger):
        """A free agent takes the most deserving call it may take, if any."""
        if a.status != S_AVAILABLE:
            return
        best = None
        bm = None
        considered = []
        skipped = []
        now = self._now
        for m in a.members:
            q = m.queue
            if not q.waiting:
                continue
            for b in q.active:
                head = b.calls[0]
                thr = _threshold(m, b.cls)
                if thr >= q.nsteps:
                    skipped.append([head.id, q.name, "skills", None])
                    continue
                at = head.join + q.esc_after[thr]
                if at > now:
                    skipped.append([head.id, q.name, "escalation", at])
                    continue
                considered.append([head.id, q.name, head.prio, head.join])
                if best is None or _better(head, best):
                    best = head
                    bm = m
        if best is None:
            return
        q = bm.queue
        reason = {"trigger": trigger, "rule": "global-order", "strategy": STRATEGIES[q.strategy],
                  "eligible": [[a.id, bm.penalty, None]], "chosen": [a.id, bm.penalty, None],
                  "skipped": [], "calls": considered, "skipped_calls": skipped}
        self._offer(best, [bm], reason)

    def _serve_call(self, call, trigger):
        """Offers a waiting call to free eligible members by the queue's strategy.

        Free agents normally have no other call to take (the invariant), except
        agents freed in the same event and calls whose escalation row falls due
        at this very instant: a chosen agent that may take a call ahead of this
        one takes that call instead, and the choice is made again."""
        q = call.queue
        while call.state == C_WAITING and q.counts[S_AVAILABLE]:
            chosen, reason = self._choose(call, trigger)
            if not chosen:
                return
            retry = False
            for m in chosen:
                best = self._best_call(m.agent)
                if best is not call:
                    self._serve_agent(m.agent, trigger)
                    retry = True
            if not retry:
                self._offer(call, chosen, reason)
                return

    def _choose(self, call, trigger):
        """The members the strategy picks for ``call`` now, and why."""
        q = call.queue
        step = _step(q, call.join, self._now)
        cls = call.cls
        strategy = q.strategy
        cands = []
        eligible = []
        skipped = []
        best_pen = 1 << 30
        for m in q.members:
            a = m.agent
            if a.status != S_AVAILABLE:
                skipped.append([a.id, STATUS_NAMES[a.status]])
                continue
            thr = _threshold(m, cls)
            if thr > step:
                skipped.append([a.id, "skills" if thr >= q.nsteps else "escalation"])
                continue
            cands.append(m)
            if m.penalty < best_pen:
                best_pen = m.penalty
        chosen = []
        if not cands:
            return chosen, None
        pick = None
        draw = -1.0
        if strategy == RING_ALL:
            for m in cands:
                eligible.append([m.agent.id, m.penalty, None])
                if m.penalty == best_pen:
                    chosen.append(m)
        elif strategy == RANDOM or strategy == WEIGHTED_RANDOM:
            tier = []
            total = 0.0
            for m in cands:
                eligible.append([m.agent.id, m.penalty, m.weight if strategy == WEIGHTED_RANDOM
                                 else None])
                if m.penalty == best_pen:
                    tier.append(m)
                    total += m.weight if strategy == WEIGHTED_RANDOM else 1.0
            draw = self._rng.random() * total
            acc = 0.0
            for m in tier:
                acc += m.weight if strategy == WEIGHTED_RANDOM else 1.0
                if draw < acc:
                    pick = m
                    break
            if pick is None:       # all weights zero
                pick = tier[0]
            chosen.append(pick)
        else:
            best_val = INF
            for m in cands:
                val = self._metric(strategy, m, q)
                eligible.append([m.agent.id, m.penalty, val])
                if pick is None or m.penalty < pick.penalty or (m.penalty == pick.penalty
                                                                and val < best_val):
                    pick = m
                    best_val = val
            chosen.append(pick)
        first = chosen[0]
        reason = {"trigger": trigger, "rule": METRIC_NAMES[strategy],
                  "strategy": STRATEGIES[strategy], "step": step,
                  "eligible": eligible, "chosen": [first.agent.id, first.penalty,
                                                   eligible[cands.index(first)][2]],
                  "skipped": skipped}
        if draw >= 0:
            reason["draw"] = draw
        return chosen, reason

    def _metric(self, strategy, m, q):
        """Lower is better; ties go to the earlier member position."""
        a = m.agent
        if strategy == LONGEST_IDLE:
            return a.last_end if a.last_end > a.login_t else a.login_t
        if strategy == FEWEST_CALLS:
            return float(a.calls)
        if strategy == LEAST_TALK:
            return a.talk
        if strategy == ROUND_ROBIN:
            return float(m.pos) if m.pos > q.rr_last else m.pos + 1e15
        return float(m.pos)

    def _ring_step(self, call):
        """ring-progressively: add the next free eligible member to the ringing."""
        q = call.queue
        step = _step(q, call.join, self._now)
        pick = None
        skipped = []
        for m in q.members:
            a = m.agent
            if a in call.tried or a in call.ring:
                continue
            if a.status != S_AVAILABLE:
                skipped.append([a.id, STATUS_NAMES[a.status]])
                continue
            if _threshold(m, call.cls) > step:
                skipped.append([a.id, "skills"])
                continue
            if self._best_call(a) is not None:   # waiting work first (same-instant rows)
                self._serve_agent(a, "ring-step")
                continue
            if pick is None or m.penalty < pick.penalty:
                pick = m
        if pick is not None:
            reason = {"trigger": "ring-step", "rule": "position", "strategy": "ring-progressively",
                      "step": step, "eligible": [[pick.agent.id, pick.penalty, pick.pos]],
                      "chosen": [pick.agent.id, pick.penalty, pick.pos], "skipped": skipped,
                      "ringing": [x.id for x in call.ring]}
            self._ring(call, pick.agent, reason)
        self._push(self._now + q.ring_step, T_STEP, call, None, call.ring_cycle)

    def _offer(self, call, members, reason):
        if call.state == C_WAITING:
            self._remove(call)
        call.state = C_RINGING
        call.ring_cycle += 1
        for m in members:
            self._ring(call, m.agent, reason)
        q = call.queue
        if q.strategy == PROGRESSIVE:
            self._push(self._now + q.ring_step, T_STEP, call, None, call.ring_cycle)
        elif q.strategy == ROUND_ROBIN:    # the memory: whoever got the queue's last call
            q.rr_last = m.pos

    def _ring(self, call, a, reason):
        q = call.queue
        self._offer_seq += 1
        a.activity = RINGING
        a.call = call
        a.offer_id = self._offer_seq
        call.ring.append(a)
        if q.ring_timeout > 0 and not call.callback:
            self._push(self._now + q.ring_timeout, T_RING, call, a, a.offer_id)
        if call.callback:
            self._out.append(CallbackDue(t=self._now, call=call.id, agent=a.id, queue=q.name,
                                         reason=reason))
        else:
            self._out.append(Offer(t=self._now, call=call.id, agent=a.id, queue=q.name,
                                   reason=reason))
        self._touch(a, "offer")

    def _emit_cancel(self, call, a, why):
        self._out.append(OfferCancelled(t=self._now, call=call.id, agent=a.id, why=why))

    def _release(self, a, why):
        """A ringing agent is no longer ringing (not its fault)."""
        a.activity = IDLE
        a.call = None
        self._touch(a, why)

    # -- event handlers -------------------------------------------------------
    def _stale(self, ev, call, agent, why):
        self._out.append(Stale(t=self._now, event=type(ev).__name__, call=call, agent=agent,
                               why=why))

    def _on_call_queued(self, ev):
        if ev.call in self._calls:
            self._stale(ev, ev.call, None, "call already in the engine")
            return
        q = self._queues.get(ev.queue)
        if q is None:
            self._stale(ev, ev.call, None, "unknown queue")
            return
        join = self._now if ev.joined is None or ev.joined > self._now else ev.joined
        self._seq += 1
        call = _Call(ev.call, int(ev.priority), join, self._seq, bool(ev.callback), ev.skills)
        self._calls[ev.call] = call
        self._enter(call, q)

    def _on_abandoned(self, ev):
        call = self._calls.get(ev.call)
        if call is None:
            self._stale(ev, ev.call, None, "unknown call")
            return
        if call.state == C_CONNECTED:
            self._stale(ev, ev.call, call.agent.id, "call is connected: send CallEnded")
            return
        if call.state == C_WAITING:
            self._remove(call)
        ringing = call.ring
        call.ring = []
        call.state = C_DONE
        del self._calls[call.id]
        for a in ringing:
            self._emit_cancel(call, a, "abandoned")
            self._release(a, "abandoned")
        for a in ringing:
            self._serve_agent(a, "abandoned")

    def _on_callback_requested(self, ev):
        call = self._calls.get(ev.call)
        if call is None or call.state == C_CONNECTED or call.callback:
            self._stale(ev, ev.call, None, "not a waiting caller")
            return
        call.callback = True
        if call.state == C_RINGING:
            ringing = call.ring
            for a in ringing:
                self._emit_cancel(call, a, "callback-requested")
                self._release(a, "callback-requested")
            self._requeue(call, "callback-requested")
            for a in ringing:
                self._serve_agent(a, "callback-requested")
            self._serve_call(call, "requeued")

    def _agent(self, ev):
        a = self._agents.get(ev.agent)
        if a is None:
            self._stale(ev, getattr(ev, "call", None), ev.agent, "unknown agent")
        return a

    def _on_logged_in(self, ev):
        a = self._agent(ev)
        if a is None:
            return
        if a.logged_in:
            self._stale(ev, None, a.id, "already logged in")
            return
        a.logged_in = True
        a.login_t = self._now
        a.calls = 0
        a.talk = 0.0
        a.no_answer = 0
        a.rest_until = -INF
        a.paused = ev.paused
        self._touch(a, "logged-in")
        self._serve_agent(a, "logged-in")

    def _on_logged_out(self, ev):
        a = self._agent(ev)
        if a is None:
            return
        if not a.logged_in:
            self._stale(ev, None, a.id, "not logged in")
            return
        a.logged_in = False
        a.paused = None
        if a.activity == WRAPUP:
            a.activity = IDLE
        if a.activity == RINGING:
            call = a.call
            self._emit_cancel(call, a, "logged-out")
            call.ring.remove(a)
            self._release(a, "logged-out")
            if not call.ring:
                self._requeue(call, "logged-out")
                self._serve_call(call, "requeued")
        else:
            self._touch(a, "logged-out")

    def _on_reachable(self, ev):
        a = self._agent(ev)
        if a is None:
            return
        a.reachable = bool(ev.reachable)
        self._touch(a, "reachable" if a.reachable else "unreachable")
        self._serve_agent(a, "reachable")

    def _on_paused(self, ev):
        a = self._agent(ev)
        if a is None:
            return
        if not a.logged_in:
            self._stale(ev, None, a.id, "not logged in")
            return
        a.paused = ev.reason
        self._touch(a, "paused")

    def _on_unpaused(self, ev):
        a = self._agent(ev)
        if a is None:
            return
        if a.paused is None:
            self._stale(ev, None, a.id, "not paused")
            return
        a.paused = None
        a.no_answer = 0
        self._touch(a, "unpaused")
        self._serve_agent(a, "unpaused")

    def _ringing_pair(self, ev):
        call = self._calls.get(ev.call)
        a = self._agents.get(ev.agent)
        if call is None or a is None or call.state != C_RINGING or a.call is not call \
                or a.activity != RINGING:
            if call is not None and a is not None and call.state == C_CONNECTED \
                    and call.agent is not a and ev.code == 8:
                self._emit_cancel(call, a, "lost-race")
            else:
                self._stale(ev, ev.call, ev.agent, "no such offer ringing")
            return None
        return call

    def _on_accepted(self, ev):
        call = self._ringing_pair(ev)
        if call is None:
            return
        a = self._agents[ev.agent]
        q = call.queue
        others = [x for x in call.ring if x is not a]
        call.ring = []
        call.tried = []
        call.state = C_CONNECTED
        call.agent = a
        a.activity = ONCALL
        a.no_answer = 0
        a.calls += 1
        a.answered = self._now
        wait = self._now - call.join
        q.ewt = wait if q.ewt < 0 else (3.0 * q.ewt + wait) / 4.0
        self._touch(a, "answered")
        for x in others:
            self._emit_cancel(call, x, "answered-elsewhere")
            self._release(x, "answered-elsewhere")
        for x in others:
            self._serve_agent(x, "answered-elsewhere")

    def _on_no_answer(self, ev, why):
        call = self._ringing_pair(ev)
        if call is None:
            return
        self._no_answer(call, self._agents[ev.agent], why)

    def _no_answer(self, call, a, why):
        call.ring.remove(a)
        call.tried.append(a)
        a.activity = IDLE
        a.call = None
        a.no_answer += 1
        if a.max_no_answer and a.no_answer >= a.max_no_answer and a.paused is None:
            a.paused = "auto:no-answer"
            self._out.append(AgentAutoPaused(t=self._now, agent=a.id, reason=a.paused,
                                             no_answers=a.no_answer))
        elif a.retry_delay > 0:
            a.rest_until = self._now + a.retry_delay
            self._push(a.rest_until, T_REST, a, None, 0)
        self._touch(a, why)
        if not call.ring:
            self._requeue(call, why)
        self._serve_agent(a, why)
        self._serve_call(call, "requeued")

    def _on_call_ended(self, ev):
        call = self._calls.get(ev.call)
        a = self._agents.get(ev.agent)
        if call is None or a is None or call.state != C_CONNECTED or call.agent is not a:
            self._stale(ev, ev.call, ev.agent, "no such connected call")
            return
        call.state = C_DONE
        del self._calls[call.id]
        a.call = None
        a.talk += self._now - a.answered
        a.last_end = self._now
        wrap = a.wrapup if a.wrapup >= 0 else call.queue.wrapup
        if a.logged_in and wrap > 0:
            a.activity = WRAPUP
            a.wrap_until = self._now + wrap
            self._push(a.wrap_until, T_WRAP, a, None, 0)
        else:
            a.activity = IDLE
        self._touch(a, "call-ended")
        self._serve_agent(a, "call-ended")

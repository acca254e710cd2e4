"""The ACD engine: timestamped events in, decisions out; no clock, no I/O.

Compiled with Cython, one ``.pxd`` per module; the ``.py`` files are the truth
and run unchanged as pure Python. ``Engine`` is the top of a chain of layers,
each a subclass of the one below and a module of its own:

* ``_state``: queues, agents, calls, the deadline heap, agent statuses, the
  buckets of waiting calls (``_records`` holds the record types);
* ``_offers``: ringing agents, callback reservations, cancellations;
* ``_strategies``: who gets a call (global order, queue strategies);
* ``_rules``: a call entering, leaving, overflowing, coming back;
* ``_engine`` (here): configuration, the one entry point ``handle``, deadlines
  falling due, and one handler per event.

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

from heapq import heappop

from acd_core.errors import ConfigError

from ._codes import (C_CONNECTED, C_DONE, C_RINGING, C_WAITING, IDLE, INF, ONCALL, RINGING,
                     T_ANN, T_ESC, T_MAXWAIT, T_REST, T_RING, T_STEP, T_WRAP,
                     TICK_CODE, WRAPUP)
from ._records import _Agent, _Call, _Member, _Queue
from ._rules import _Rules
from .model import AgentAutoPaused, Announce, Stale


class Engine(_Rules):
    """The ACD state machine. ``handle(event) -> list[Decision]``."""

    # -- configuration --------------------------------------------------------
    def add_queue(self, spec):
        if spec.name in self._queues:
            raise ConfigError("queue already exists", key=f"queue.{spec.name}")
        self._queues[spec.name] = _Queue(spec)
        return []

    def update_queue(self, spec):
        """Replaces the rules of a running queue (an admin edited them) and returns the
        decisions that follow. Calls keep their place and join time; the deadlines of
        those in the queue are re-armed from the new rules (a max wait counts from when
        the call entered, so a shorter one can overflow it at the next ``Tick``; the next
        announcement is one new period away), and leave-when-empty is applied at once.
        What is already under way keeps its old rules: a ringing offer its timeout and
        ring-progressively steps, a call already waiting its place under a new
        ``max_len``. Skill requirements and escalation rows cannot change here: members
        memoise their thresholds per skill class and waiting calls are filed by class,
        so such a change is refused and applies on a fresh engine (a restart). The change
        happens at the time of the last input (feed a ``Tick`` first to bring it to now)."""
        q = self._queues.get(spec.name)
        if q is None:
            raise ConfigError("no such queue to update", key=f"queue.{spec.name}")
        new = _Queue(spec)
        if new.req != q.req:
            raise ConfigError("a running queue's skill requirements cannot change",
                              key=f"queue.{spec.name}.skills")
        if new.esc_after != q.esc_after or new.esc_pen != q.esc_pen \
                or new.esc_lvl != q.esc_lvl:
            raise ConfigError("a running queue's escalation rows cannot change",
                              key=f"queue.{spec.name}.escalation")
        q.strategy = new.strategy
        q.wrapup = new.wrapup
        q.max_wait = new.max_wait
        q.overflow = new.overflow
        q.max_len = new.max_len
        q.join_mask = new.join_mask
        q.leave_mask = new.leave_mask
        q.announce_every = new.announce_every
        q.cb_after = new.cb_after
        q.weight = new.weight
        q.ring_timeout = new.ring_timeout
        q.ring_step = new.ring_step
        self._out = []
        for call in list(self._calls.values()):
            if call.queue is q and (call.state == C_WAITING or call.state == C_RINGING):
                call.weight = q.weight
                call.entry += 1
                self._arm(call)
        if q.waiting and q.leave_mask:
            self._dirty.append(q)
        self._settle()
        return self._out

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
        elif code == 14:
            self._on_busy(ev)
        elif code == 15:
            self._on_free(ev)
        elif code == 16:
            self._on_wrapup_ended(ev)
        elif code != TICK_CODE:
            raise TypeError(f"not an ACD event: {ev!r}")
        self._settle()
        return self._out

    # -- deadlines falling due -----------------------------------------------
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
        if a.busy > 0:                     # still on a call of its own (e.g. a consultation)
            self._touch(a, "call-ended")
            return
        self._wrap_or_idle(a, a.wrapup if a.wrapup >= 0 else call.queue.wrapup)
        self._touch(a, "call-ended")
        self._serve_agent(a, "call-ended")

    def _wrap_or_idle(self, a, wrap):
        if a.logged_in and wrap > 0:
            a.activity = WRAPUP
            a.wrap_until = self._now + wrap
            self._push(a.wrap_until, T_WRAP, a, None, 0)
        else:
            a.activity = IDLE

    def _on_busy(self, ev):
        a = self._agent(ev)
        if a is None:
            return
        a.busy += 1
        call = None
        if a.activity == RINGING:          # the agent took another call: the offer goes back
            call = a.call
            self._emit_cancel(call, a, "busy")
            call.ring.remove(a)
            a.call = None
        if a.activity != ONCALL:
            a.activity = ONCALL
            a.answered = self._now
        self._touch(a, "busy")
        if call is not None and not call.ring:
            self._requeue(call, "busy")
            self._serve_call(call, "requeued")

    def _on_free(self, ev):
        a = self._agent(ev)
        if a is None:
            return
        if a.busy <= 0:
            self._stale(ev, ev.call, a.id, "not busy")
            return
        a.busy -= 1
        if a.busy > 0 or a.call is not None:
            return
        a.talk += self._now - a.answered
        a.last_end = self._now
        if ev.wrapup is not None:
            wrap = ev.wrapup
        else:
            wrap = a.wrapup if a.wrapup >= 0 else 0.0
        self._wrap_or_idle(a, wrap)
        self._touch(a, "call-ended")
        self._serve_agent(a, "call-ended")

    def _on_wrapup_ended(self, ev):
        a = self._agent(ev)
        if a is None:
            return
        if a.activity != WRAPUP:
            self._stale(ev, None, a.id, "not in wrap-up")
            return
        a.activity = IDLE
        a.wrap_until = -INF
        self._touch(a, "ready")
        self._serve_agent(a, "ready")

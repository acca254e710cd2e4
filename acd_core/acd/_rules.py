"""Queue rules: a call entering, leaving or coming back to a queue.

``max_len`` (full), join-when-empty and leave-when-empty, ``max_wait``,
escalation rows, announcements and the callback offer are armed when a call
enters a queue (and re-armed when its queue's rules change); overflow sends it to the next queue keeping its join time. The
rules read the per-queue counts of member statuses kept by ``_state``.
"""
from __future__ import annotations

from ._codes import C_DONE, C_WAITING, T_ANN, T_CBOFFER, T_ESC, T_MAXWAIT
from ._strategies import _Strategies
from .model import OfferCallback, Overflow, Requeued


def _empty(q, mask):
    """True if no member of ``q`` is in a state outside ``mask``."""
    for s in range(8):
        if not (mask >> s) & 1 and q.counts[s]:
            return False
    return True


def _refusal(q, callback):
    """Why a call may not wait in ``q`` now (``full``, ``join-empty``, ``leave-empty``), or
    None. The one rule for a call entering a queue (``_enter``) and for the daemon asking
    before it answers a caller (``would_refuse``), so the two cannot disagree.
    Join/leave-when-empty protect a caller on the line from waiting with nobody to
    answer; a callback has nobody on the line and waits for the next agent, even
    overnight (docs/acd-trace.md, "The rules")."""
    if q.max_len >= 0 and q.waiting >= q.max_len:
        return "full"
    if callback:
        return None
    if q.join_mask and _empty(q, q.join_mask):
        return "join-empty"
    if q.leave_mask and _empty(q, q.leave_mask):
        return "leave-empty"
    return None


class _Rules(_Strategies):
    def would_refuse(self, queue):
        """What would happen now to a caller on the line joining ``queue``: ``[]`` if it
        would wait (there, or in a queue of this engine it overflows to), else the
        ``Overflow`` decisions it would meet, in order (``call`` empty); the last one's
        ``target`` is where it would leave the engine for (None: the queue's fallback).
        A query: nothing changes, no decision is made. The daemon asks it before
        answering, to refuse a call nobody would take (docs/inbound.md)."""
        q = self._queues.get(queue)
        if q is None:
            raise KeyError(queue)
        out = []
        hops = 0
        while True:
            why = _refusal(q, False)
            if why is None:
                return []
            out.append(Overflow(t=self._now, call="", queue=q.name, target=q.overflow,
                                why=why, waited=0.0))
            nq = self._queues.get(q.overflow) if q.overflow is not None else None
            hops += 1          # as ``_leave`` counts a call's hops
            if nq is None or nq is q or hops > len(self._queues):
                return out
            q = nq

    def _settle(self):
        """Applies leave-when-empty to the queues whose members changed state
        (to callers on the line: waiting callbacks stay, see ``_enter``)."""
        while self._dirty:
            q = self._dirty.pop()
            if q.waiting and _empty(q, q.leave_mask):
                for cid in self.waiting(q.name):
                    call = self._calls[cid]
                    if not call.callback:
                        self._leave(call, "leave-empty")

    def _enter(self, call, q):
        """``call`` enters queue ``q`` (arrival or overflow from another queue)."""
        call.queue = q
        call.entered = self._now
        call.entry += 1
        call.weight = q.weight
        call.cls = self._class_for(q, call.wanted)
        call.state = C_WAITING
        why = _refusal(q, call.callback)
        if why is not None:
            self._leave(call, why)
            return
        self._insert(call)
        self._arm(call)
        self._serve_call(call, "call-queued")

    def _arm(self, call):
        """The deadlines of a call in its queue, from the queue's rules now: on entry, and
        again when an admin changes the rules of a running queue (``update_queue``, after
        bumping ``call.entry`` so that the old deadlines retire)."""
        q = call.queue
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

    def _offer_callback(self, call):
        call.cb_offered = True
        self._out.append(OfferCallback(t=self._now, call=call.id, queue=call.queue.name,
                                       position=self._position(call),
                                       waited=self._now - call.join))

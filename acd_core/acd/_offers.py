"""Ringing agents: offers, callback reservations, cancellations.

The layer above ``_state``: it turns the choice made by ``_strategies`` into
``Offer`` (or ``CallbackDue``) decisions, arms the ring timeout and the
ring-progressively step, and releases agents whose offer ended through no fault
of theirs.
"""
from __future__ import annotations

from ._codes import C_RINGING, C_WAITING, IDLE, PROGRESSIVE, RINGING, ROUND_ROBIN, T_RING, T_STEP
from ._state import _State
from .model import CallbackDue, Offer, OfferCancelled


class _Offers(_State):
    def _offer(self, call, members, reason):
        if call.state == C_WAITING:
            self._remove(call)
        call.state = C_RINGING
        call.ring_cycle += 1
        for m in members:
            self._ring(call, m.agent, reason)
        q = call.queue
        if q.strategy == PROGRESSIVE and not call.callback:
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

"""A connected conversation the desk can act on: customer, agent, and whoever joins.

``LiveCall.run()`` is awaited by the flow that connected the call (the queue,
a seat's outbound call, click-to-call, the dialer) and returns when the call
is over for that flow, with an ``Outcome``: who hung up, or the queue a blind
transfer sent the customer to. Meanwhile agent and supervisor actions change
it under its lock, each one checked against ``CALL`` (the conversation's state
table) and the node's room *before* anything is done, so a refused action
leaves the call exactly as it was.

Parties, all legs of one media node: ``customer`` (the caller, or the far end
of an outbound call), ``agent_leg`` (the seat talking to them, or an outside
number a transfer reached), ``consult`` (the party an attended transfer or a
conference is ringing), ``third`` (the extra party of a conference) and the
supervisor's leg (``supervise.py``).

The engine hears who holds the call: the agent it offered the call to leaves
with ``CallEnded`` (``transfer`` named when it passed the call on), every
other agent joins with ``AgentBusy`` and leaves with ``AgentFree`` (wrapping
up for the queue's wrap-up).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from firmware.clock import first
from firmware.cti.call import (CALL, CONFERENCE, CONSULTING, ENDED, HELD, TALKING, CallCore,
                               Outcome, hangup)
from firmware.cti.supervise import SupervisorParts
from firmware.cti.transfer import TransferParts

__all__ = ["CALL", "CONFERENCE", "CONSULTING", "ENDED", "HELD", "TALKING", "CallCore",
           "LiveCall", "Outcome"]

log = logging.getLogger("callbox.cti")

class LiveCall(TransferParts, SupervisorParts):
    """A connected call: its parts, and the loop that follows its legs until it is over."""
    async def prepare(self) -> None:
        """Read what the call needs from the database (its recording rule) before the
        parties are bridged, so recording by rule starts with the conversation."""
        await self.recording.rule_for_call()

    async def run(self) -> Outcome:
        """Until the call is over for the flow that connected it."""
        self.cti.attach(self)
        try:
            await self.recording.start_by_rule()
            while True:
                watch: set[asyncio.Future[Any]] = {leg.ended for leg in self._legs()}
                kicked = asyncio.ensure_future(self._kick.wait())
                waits: list[asyncio.Future[Any]] = [kicked]
                if self.consult is not None and not self.consult_up:
                    waits.append(asyncio.ensure_future(self.consult.answered.wait()))
                if self.sup is not None and self.sup.state == "ringing":
                    waits.append(asyncio.ensure_future(self.sup.leg.answered.wait()))
                refer = None
                if self.agent_leg is not None and self.state in (TALKING, HELD):
                    refer = asyncio.ensure_future(self.agent_leg.refers.get())
                    waits.append(refer)
                deadlines = [d for d in (self.consult_deadline,
                                         self.sup.deadline if self.sup else None)
                             if d is not None]
                timeout = None if not deadlines else \
                    max(0.0, min(deadlines) - self.ctx.clock.now())
                await first(self.ctx.clock, watch | set(waits), timeout)
                for w in waits:
                    w.cancel()
                self._kick.clear()
                async with self.lock:
                    if refer is not None and refer.done() and not refer.cancelled():
                        await self._phone_transfer(refer.result())
                    if await self._settle():
                        return self.outcome
        finally:
            await self._finish()

    async def _settle(self) -> bool:
        """React to legs that have ended; True when the call is over."""
        if self.state == ENDED:
            return True
        if self.customer.ended.done():
            self.outcome.hangup_by = self.outcome.hangup_by or "caller"
            self.outcome.node_failed = self.customer.ended.result()[1] == "node_failed"
            await self._end()
            return True
        if self.sup is not None and self.sup.leg.ended.done():
            self._publish("supervisor.left", supervisor=self.sup.seat, mode=self.sup.mode)
            self.sup = None
        await self.sup_tick()
        if self.consult is not None and self.consult.ended.done():
            await self._consult_gone()
        elif self.consult is not None and not self.consult_up:
            if self.consult.answered.is_set():
                self.consult_up = True
                await self.consult_answered()
            elif self.consult_deadline is not None \
                    and self.ctx.clock.now() >= self.consult_deadline:
                self.consult_deadline = None
                await self.consult_timed_out()
        if self.third is not None and self.third.ended.done():
            self._leaves(self.third_agent)
            self.third, self.third_agent = None, None
            self._fire("party_left")
            await self.recording.restart()
        if self.agent_leg is not None and self.agent_leg.ended.done() \
                and self.state != ENDED:
            return await self._agent_gone()
        return self.state == ENDED

    async def _agent_gone(self) -> bool:
        gone, leg = self.agent, self.agent_leg
        assert leg is not None
        if leg.ended.result()[1] == "node_failed":
            self.outcome.node_failed = True
        if self.state == CONSULTING and self.consult is not None:
            if self.consult.answered.is_set():
                await self._complete(hung_up=True)      # attended transfer by hanging up
            else:                                       # still ringing: it becomes blind
                self.agent, self.agent_leg = None, None
                self._leaves(gone, transfer=f"seat:{self.consult_agent or 'outside'}")
                self.consult_mode = "blind"
            return False
        if self.state == CONFERENCE and self.third is not None:
            self._leaves(gone)
            self.agent_leg, self.agent = self.third, self.third_agent
            self.third, self.third_agent = None, None
            self._fire("agent_left")
            await self.recording.restart()
            return False
        self.outcome.hangup_by = "agent"
        await self._end()
        return True

    async def _finish(self) -> None:
        """Whatever happens, no leg of this call is left ringing or talking, the recording
        is finished and every agent is free."""
        self.cti.detach(self)
        try:
            await self.recording.stop_all()
        except Exception:  # noqa: BLE001 - the call's record must still be written
            log.exception("recording stop failed call=%s", self.id)
        keep = self._kept()
        for leg in self._legs():
            if leg is not keep:
                await hangup(leg)
        self._close_hold()
        for agent in [self.agent, self.third_agent, self.consult_agent]:
            self._leaves(agent, transfer=("queue:" + self.outcome.requeue)
                         if self.outcome.requeue else None)
        for agent in list(self.busy):
            self._leaves(agent)
        if self.queue_agent is not None:
            self._leaves(self.queue_agent)

    async def _phone_transfer(self, target_uri: str) -> None:
        """The agent's phone pressed transfer (REFER, declined by the node): a blind
        transfer to the user part of its target, as the desk would do it."""
        user = _user_part(target_uri)
        try:
            target = await self.cti.resolve(user)
            await self.blind(target)
        except Exception as exc:  # noqa: BLE001 - a bad target leaves the call as it is
            log.warning("phone transfer refused call=%s target=%s error=%s", self.id,
                        target_uri, exc)
            self._publish("call.transfer_failed", target=user, error=str(exc)[:200])

def _user_part(uri: str) -> str:
    """``<sip:202@192.0.2.1;transport=udp>`` -> ``202``."""
    inner = uri.strip().strip("<>")
    inner = inner.split(":", 1)[1] if ":" in inner else inner
    return inner.split("@", 1)[0].split(";", 1)[0]

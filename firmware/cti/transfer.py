"""Transfers and conferences of a ``LiveCall`` (mixed into it).

Every one of them rings a party first, as the call's ``consult`` leg, while the
customer hears music on hold:

* **blind**: the agent leaves at once (its leg freed, so a full node still has
  the room); the customer goes to the party when it answers, or back to the
  call's queue (or is hung up, without a queue) when it does not answer within
  ``desk.transfer_ring``;
* **attended**: the agent talks to the party first, then ``complete`` (or
  simply hangs up) puts the customer through, ``cancel`` drops the party, and
  ``join`` makes it a conference;
* **conference**: like attended, joined as soon as the party answers.

A blind transfer to a queue needs no leg: the flow puts the customer back in
that queue. A party is a seat (through ``SeatDialer``) or an outside number
(through the trunks, with the queue's outbound caller ID).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from firmware.cti.call import CONSULTING, HELD, TALKING, CallCore
from firmware.errors import ApiError, CallboxError, MediaError
from firmware.media.leg import Leg
from firmware.timers import TIMERS

log = logging.getLogger("callbox.cti")


@dataclass(frozen=True)
class Target:
    kind: str            # seat | queue | number
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class TransferParts(CallCore):

    # -- starting -----------------------------------------------------------------------------
    async def blind(self, target: Target) -> None:
        self.require(TALKING, HELD, what="transfer")
        if target.kind == "queue":
            await self._to_queue(target.value)
            return
        was_talking = self.state == TALKING
        leaving, leg = self.agent, self.agent_leg
        if self.ctx.pool.has_room(self.customer, 1):
            await self._ring(target, "blind")          # cannot be placed: nothing changed
            self.agent, self.agent_leg = None, None
            if was_talking:
                await self.customer.hold(self.cti.moh_for(self.queue))
            self._leaves(leaving, transfer=str(target))
            if leg is not None:
                await _hangup_now(leg, wait=False)
            self._fire("consult")
        else:                                          # the agent's leg becomes the new one
            self.agent, self.agent_leg = None, None
            if was_talking:
                await self.customer.hold(self.cti.moh_for(self.queue))
            self._leaves(leaving, transfer=str(target))
            if leg is not None:
                await _hangup_now(leg, wait=True)
            self._fire("consult")
            try:
                await self._ring(target, "blind")
            except CallboxError:
                self.consult_mode = "blind"
                await self._consult_gone()             # back to the queue, or hung up
                raise
        self.outcome.transfers.append(str(target))
        self._publish("call.transfer", how="blind", target=str(target), by=leaving or "")

    async def attended(self, target: Target, join: bool = False) -> None:
        what = "conference" if join else "attended transfer"
        self.require(TALKING, HELD, what=what)
        if target.kind == "queue":
            raise ApiError(f"{what}: a queue cannot be consulted; transfer to it blind",
                           status=400, field="target")
        if self.agent_leg is None:
            raise ApiError(f"{what}: the call has no agent", status=409, call=self.id)
        self.ctx.pool.ensure_room(self.customer, 1, what)     # refused before anything
        was_talking = self.state == TALKING
        if was_talking:
            await self.customer.hold(self.cti.moh_for(self.queue))
        try:
            await self._ring(target, "conference" if join else "attended")
        except BaseException:
            if was_talking and not self.customer.ended.done():
                await self.customer.resume()
            raise
        self._fire("consult")
        self._publish("call.transfer" if not join else "call.conference_ringing",
                      how=self.consult_mode, target=str(target))

    async def _ring(self, target: Target, mode: str) -> None:
        """Dial ``target`` as the consult leg (``MediaError``/``FlowError`` if it cannot be
        placed: nothing has changed for the consult then)."""
        caller_id, caller_name = await self.cti.presented(self, target)
        if target.kind == "seat":
            leg = await self.ctx.seats.dial(self.customer, target.value, caller_id=caller_id,
                                            caller_name=caller_name)
            self.consult_agent = target.value
        else:
            leg = await self.ctx.trunks.dial(self.customer, target.value,
                                             caller_id=caller_id or None)
            self.consult_agent = None
        self.consult = leg
        self.consult_mode = mode
        self.consult_up = False
        self.consult_deadline = self.ctx.clock.now() + TIMERS["desk.transfer_ring"]

    async def _to_queue(self, queue: str) -> None:
        if self.customer.held:
            await self.customer.resume()
        leaving, leg = self.agent, self.agent_leg
        self.agent, self.agent_leg = None, None
        self._leaves(leaving, transfer=f"queue:{queue}")
        if leg is not None:
            await _hangup_now(leg, wait=False)
        self.outcome.requeue = queue
        self.outcome.transfers.append(f"queue:{queue}")
        self._fire("requeue")
        self._publish("call.transfer", how="blind", target=f"queue:{queue}", by=leaving or "")
        self.kick()

    # -- while the party rings or talks --------------------------------------------------------
    async def consult_answered(self) -> None:
        """The consulted party answered (called from the run loop under the lock)."""
        assert self.consult is not None
        self.consult_deadline = None
        self._joins(self.consult_agent)
        if self.consult_mode == "blind":
            await self._complete()
        elif self.consult_mode == "attended":
            if self.agent_leg is not None:
                await self.ctx.pool.bridge(self.agent_leg, self.consult)
        else:
            await self.join()

    async def consult_timed_out(self) -> None:
        assert self.consult is not None
        log.info("transfer target did not answer call=%s target=%s", self.id,
                 self.consult_agent or "outside")
        await _hangup_now(self.consult, wait=False)

    async def _consult_gone(self) -> None:
        """The consulted party hung up, refused or never answered."""
        gone = self.consult_agent
        self._leaves(gone)
        self.consult, self.consult_agent, self.consult_deadline = None, None, None
        if self.state != CONSULTING:
            return
        if self.consult_mode == "blind" or self.agent_leg is None:
            self._publish("call.transfer_failed", target=gone or "outside")
            if self.queue is not None:
                if self.customer.held:
                    await self.customer.resume()
                self.outcome.requeue = self.queue.name
                self._fire("requeue")
            else:
                self.outcome.hangup_by = "system"
                await self._end()
            return
        self._fire("consult_gone")                    # the customer stays on hold

    # -- finishing ------------------------------------------------------------------------------
    async def complete(self) -> None:
        self.require(CONSULTING, what="complete the transfer")
        if self.consult is None or not self.consult.answered.is_set():
            raise ApiError("complete the transfer: the party has not answered yet", status=409,
                           call=self.id)
        await self._complete()

    async def _complete(self, hung_up: bool = False) -> None:
        assert self.consult is not None
        leaving, old = self.agent, self.agent_leg
        self.agent, self.agent_leg = self.consult_agent, self.consult
        self.consult, self.consult_agent = None, None
        target = self.agent or "outside"
        self._leaves(leaving, transfer=f"seat:{target}" if self.agent else "number")
        if old is not None:
            await _hangup_now(old, wait=False)
        if self.customer.held:
            await self.customer.resume()
        await self.ctx.pool.bridge(self.customer, self.agent_leg)
        self._fire("complete")
        if self.agent and self.agent not in self.agents_seen:
            self.agents_seen.append(self.agent)
        self._publish("call.transferred", to=target, by=leaving or "", hung_up=hung_up)
        await self.rewire_supervisor()
        await self.recording.restart()

    async def cancel_consult(self) -> None:
        self.require(CONSULTING, what="cancel the transfer")
        if self.consult is not None:
            await _hangup_now(self.consult, wait=False)
        self.kick()

    async def join(self) -> None:
        self.require(CONSULTING, what="conference")
        if self.consult is None or not self.consult.answered.is_set():
            raise ApiError("conference: the party has not answered yet", status=409,
                           call=self.id)
        if self.agent_leg is not None:
            await self.ctx.pool.bridge(self.agent_leg, self.consult)
        if self.customer.held:
            await self.customer.resume()
        await self.ctx.pool.bridge(self.customer, self.consult)
        self.third, self.third_agent = self.consult, self.consult_agent
        self.consult, self.consult_agent = None, None
        self._fire("join")
        self._publish("call.conference", party=self.third_agent or "outside")
        await self.recording.restart()


async def _hangup_now(leg: Leg, wait: bool) -> None:
    """Hang up ``leg``; with ``wait``, until the node has let it go (its room is free)."""
    if leg.ended.done():
        return
    try:
        await leg.hangup()
        if wait:
            await leg.ended
    except MediaError as exc:
        log.warning("hangup failed leg=%s error=%s", leg.id, exc)

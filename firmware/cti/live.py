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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acd_core.fsm import StateTable
from firmware.clock import first
from firmware.cti.recording import CallRecording
from firmware.cti.supervise import Supervision, SupervisorParts
from firmware.cti.transfer import TransferParts
from firmware.errors import ApiError, MediaError
from firmware.media.leg import Leg
from firmware.store import CallRecord, Queue

if TYPE_CHECKING:
    from firmware.cti.service import Cti

log = logging.getLogger("callbox.cti")

TALKING, HELD, CONSULTING, CONFERENCE, ENDED = (
    "talking", "held", "consulting", "conference", "ended")

# Events: hold/resume (the agent), consult (an attended transfer or a conference starts
# ringing someone: the customer is held), consult_gone (that party hung up or never
# answered), complete (the customer goes to the consulted party), join (all three talk),
# party_left (the third party of a conference left), transfer (a blind transfer put the
# customer through to someone else), requeue (a blind transfer to a queue), end.
CALL = StateTable(
    "call", (TALKING, HELD, CONSULTING, CONFERENCE, ENDED),
    [
        (TALKING, "hold", HELD), (HELD, "resume", TALKING),
        (TALKING, "consult", CONSULTING), (HELD, "consult", CONSULTING),
        (CONSULTING, "consult_gone", HELD), (CONSULTING, "complete", TALKING),
        (CONSULTING, "join", CONFERENCE), (CONFERENCE, "party_left", TALKING),
        (CONFERENCE, "agent_left", TALKING),
        (TALKING, "transfer", TALKING), (HELD, "transfer", TALKING),
        (TALKING, "requeue", ENDED), (HELD, "requeue", ENDED), (CONSULTING, "requeue", ENDED),
        *((s, "end", ENDED) for s in (TALKING, HELD, CONSULTING, CONFERENCE)),
    ],
    initial=(TALKING,), final=(ENDED,))


@dataclass
class Outcome:
    hangup_by: str = ""               # caller | agent | system
    requeue: str | None = None        # a blind transfer sent the customer to this queue
    transfers: list[str] = field(default_factory=list)
    node_failed: bool = False


class LiveCall(TransferParts, SupervisorParts):
    def __init__(self, cti: "Cti", rec: CallRecord, customer: Leg, agent: str | None,
                 agent_leg: Leg | None, *, queue: Queue | None = None, direction: str = "in",
                 queue_agent: str | None = None, busy_already: bool = False) -> None:
        self.cti = cti
        self.ctx = cti.ctx
        self.id = rec.id
        self.rec = rec
        self.customer = customer
        self.agent = agent
        self.agent_leg = agent_leg
        self.queue = queue
        self.direction = direction
        self.state = TALKING
        self.consult: Leg | None = None
        self.consult_agent: str | None = None     # the seat being consulted, if a seat
        self.consult_join = False                 # a conference: join as soon as it answers
        self.third: Leg | None = None
        self.third_agent: str | None = None
        self.sup: Supervision | None = None
        self.queue_agent = queue_agent             # the agent the engine offered the call to
        self.busy: set[str] = set()               # agents told AgentBusy for this call
        self.lock = asyncio.Lock()
        self._kick = asyncio.Event()
        self.outcome = Outcome()
        self.recording = CallRecording(self)
        self.hold_s = 0.0
        self._held_at: float | None = None
        self.agents_seen: list[str] = [agent] if agent else []
        self.started = self.ctx.clock.now()
        if agent is not None and queue_agent is None:
            if busy_already:                       # the caller's AgentBusy is this call's now
                self.busy.add(agent)
            else:
                self._joins(agent)

    def __repr__(self) -> str:
        return f"<LiveCall {self.id} {self.state} agent={self.agent}>"

    # -- what the desk shows --------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {"call": self.id, "state": self.state, "direction": self.direction,
                "queue": self.queue.name if self.queue else "", "agent": self.agent or "",
                "caller_number": self.rec.caller_number, "caller_name": self.rec.caller_name,
                "dialed_number": self.rec.dialed_number,
                "talk_s": round(self.ctx.clock.now() - self.started, 1),
                "held": self.state == HELD or (self.customer is not None and
                                               getattr(self.customer, "held", False)),
                "consulting": self.consult_agent or ("outside" if self.consult else None),
                "conference": self.state == CONFERENCE,
                "supervisor": None if self.sup is None else {"seat": self.sup.seat,
                                                             "mode": self.sup.mode},
                "recording": self.recording.active is not None}

    # -- the run loop ---------------------------------------------------------------------
    def kick(self) -> None:
        self._kick.set()

    def _legs(self) -> list[Leg]:
        legs = [self.customer, self.agent_leg, self.consult, self.third,
                self.sup.leg if self.sup else None]
        return [x for x in legs if x is not None]

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
                waits = [kicked]
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

    async def _end(self) -> None:
        if self.state != ENDED:
            self._fire("end")
        for leg in self._legs():
            await _hangup(leg)

    async def _finish(self) -> None:
        """Whatever happens, no leg of this call is left ringing or talking, the recording
        is finished and every agent is free."""
        self.cti.detach(self)
        try:
            await self.recording.stop_all()
        except Exception:  # noqa: BLE001 - the call's record must still be written
            log.exception("recording stop failed call=%s", self.id)
        keep = self.customer if self.outcome.requeue else None
        for leg in self._legs():
            if leg is not keep:
                await _hangup(leg)
        self._close_hold()
        for agent in [self.agent, self.third_agent, self.consult_agent]:
            self._leaves(agent, transfer=("queue:" + self.outcome.requeue)
                         if self.outcome.requeue else None)
        for agent in list(self.busy):
            self._leaves(agent)
        if self.queue_agent is not None:
            self._leaves(self.queue_agent)

    # -- state and engine -----------------------------------------------------------------
    def _fire(self, event: str) -> None:
        self.state = CALL.fire(self.state, event, subject=self.id, log=log)

    def require(self, *states: str, what: str) -> None:
        if self.state not in states:
            raise ApiError(f"{what}: the call is {self.state}", status=409, field="state",
                           state=self.state, call=self.id)

    def _joins(self, agent: str | None) -> None:
        if agent and agent not in self.busy and agent != self.queue_agent \
                and self.ctx.acd.knows(agent):
            self.ctx.acd.busy(agent, self.id)
            self.busy.add(agent)
        if agent and agent not in self.agents_seen:
            self.agents_seen.append(agent)

    def _leaves(self, agent: str | None, transfer: str | None = None) -> None:
        if not agent:
            return
        if agent == self.queue_agent:
            self.queue_agent = None
            self.ctx.acd.call_ended(self.id, agent, hold=round(self.hold_s, 3),
                                    transfer=transfer)
            self.cti.wrapping(agent, self.id)
        elif agent in self.busy:
            self.busy.discard(agent)
            wrap = float(self.queue.wrapup_s) if self.queue is not None else None
            self.ctx.acd.free(agent, self.id, wrap)
            self.cti.wrapping(agent, self.id)

    def _publish(self, kind: str, **data: Any) -> None:
        self.ctx.bus.publish(kind, call=self.id, agent=self.agent or "",
                             queue=self.queue.name if self.queue else "", **data)

    # -- hold -------------------------------------------------------------------------------
    async def hold(self) -> None:
        self.require(TALKING, what="hold")
        await self.customer.hold(self.cti.moh_for(self.queue))
        self._fire("hold")
        self._held_at = self.ctx.clock.now()
        self._publish("call.held")

    async def resume(self) -> None:
        self.require(HELD, what="resume")
        await self.customer.resume()
        self._fire("resume")
        self._close_hold()
        self._publish("call.resumed")

    def _close_hold(self) -> None:
        if self._held_at is not None:
            self.hold_s += self.ctx.clock.now() - self._held_at
            self._held_at = None

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

    async def hangup_agent(self) -> None:
        """The agent ends the call from the desk (as if the phone hung up)."""
        if self.agent_leg is None:
            raise ApiError("the call has no agent leg", status=409, call=self.id)
        await _hangup(self.agent_leg)
        self.kick()


def _user_part(uri: str) -> str:
    """``<sip:202@192.0.2.1;transport=udp>`` -> ``202``."""
    inner = uri.strip().strip("<>")
    inner = inner.split(":", 1)[1] if ":" in inner else inner
    return inner.split("@", 1)[0].split(";", 1)[0]


async def _hangup(leg: Leg | None) -> None:
    if leg is None or leg.ended.done():
        return
    try:
        await leg.hangup()
    except MediaError as exc:
        log.warning("hangup failed leg=%s error=%s", leg.id, exc)

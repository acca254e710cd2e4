"""The state every part of a live call shares: who is on it, what the engine was told.

``CallCore`` holds a conversation's parties, its state (``CALL``, a table), the
agents the engine was told about, and the small operations every part uses
(state changes, engine feeds, events, hold). ``TransferParts``
(``transfer.py``) and ``SupervisorParts`` (``supervise.py``) build on it, and
``LiveCall`` (``live.py``) puts them together with the run loop.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acd_core.fsm import StateTable
from firmware.cti.recording import CallRecording
from firmware.errors import ApiError, MediaError
from firmware.media.leg import Leg
from firmware.store import CallRecord, Queue

if TYPE_CHECKING:
    from firmware.cti.service import Cti
    from firmware.cti.supervise import Supervision

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



class CallCore:
    def __init__(self, cti: "Cti", rec: CallRecord, customer: Leg, agent: str | None,
                 agent_leg: Leg | None, *, queue: Queue | None = None, direction: str = "in",
                 queue_agent: str | None = None, busy_already: bool = False,
                 acd_id: str | None = None) -> None:
        self.cti = cti
        self.ctx = cti.ctx
        self.id = rec.id
        # the engine's id of the call: the record's, except for a callback, which the
        # engine knows by the id of the call that asked for it
        self.acd_id = acd_id or rec.id
        # the customer stays on the line when the agent hangs up (a post-call survey)
        self.keep_customer = False
        self.rec = rec
        self.customer = customer
        self.agent = agent
        self.agent_leg = agent_leg
        self.queue = queue
        self.direction = direction
        self.state = TALKING
        self.consult: Leg | None = None
        self.consult_agent: str | None = None     # the seat being consulted, if a seat
        self.consult_mode = ""                    # blind | attended | conference
        self.consult_deadline: float | None = None
        self.consult_up = False                   # its answer has been acted on
        self.third: Leg | None = None
        self.third_agent: str | None = None
        self.sup: "Supervision | None" = None
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
        return f"<Call {self.id} {self.state} agent={self.agent}>"

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
            self.ctx.acd.busy(agent, self.acd_id)
            self.busy.add(agent)
        if agent and agent not in self.agents_seen:
            self.agents_seen.append(agent)

    def _leaves(self, agent: str | None, transfer: str | None = None) -> None:
        if not agent:
            return
        if agent == self.queue_agent:
            self.queue_agent = None
            self.ctx.acd.call_ended(self.acd_id, agent, hold=round(self.hold_s, 3),
                                    transfer=transfer)
            self.cti.wrapping(agent, self.id)
        elif agent in self.busy:
            self.busy.discard(agent)
            wrap = float(self.queue.wrapup_s) if self.queue is not None else None
            self.ctx.acd.free(agent, self.acd_id, wrap)
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

    async def hangup_agent(self) -> None:
        """The agent ends the call from the desk (as if the phone hung up)."""
        if self.agent_leg is None:
            raise ApiError("the call has no agent leg", status=409, call=self.id)
        await hangup(self.agent_leg)
        self.kick()

    async def _end(self) -> None:
        if self.state != ENDED:
            self._fire("end")
        for leg in self._legs():
            if leg is not self._kept():
                await hangup(leg)

    def _kept(self) -> Leg | None:
        """The customer's leg when the call ends without hanging the customer up: a blind
        transfer to a queue, or the agent leaving a call with a survey after it."""
        if self.outcome.requeue or (self.keep_customer and self.outcome.hangup_by == "agent"):
            return self.customer
        return None

    async def rewire_supervisor(self) -> None:
        """The agent changed; the supervision part moves its paths (``supervise.py``)."""


async def hangup(leg: Leg | None) -> None:
    if leg is None or leg.ended.done():
        return
    try:
        await leg.hangup()
    except MediaError as exc:
        log.warning("hangup failed leg=%s error=%s", leg.id, exc)

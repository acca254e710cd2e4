"""``Cti``: the desk's view of the live box, and every agent and supervisor action.

One per daemon, on the loop, built with the flows' ``FlowContext`` (which
holds it as ``ctx.cti``). It keeps the connected conversations (``LiveCall``,
by call and by agent), the seats' ringing offers (for pickup), and which call
each agent still owes a disposition. Each action takes the principal asking
and checks its permission against ``ACTIONS`` here, so the web desk
(``firmware.api_desk``) and a seat's feature code (``codes.py``) are one code
path with one check; an agent acts on its own seat's call, a supervisor on any
agent's. Agent log-in, pause and wrap-up are the ACD engine's
(``AcdRunner``); the last state set is kept in ``agent_sessions`` and restored
at start.
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware.crm.permissions import BUILTIN_ROLES, Principal
from firmware.cti.agents import AgentStates
from firmware.cti.live import LiveCall
from firmware.cti.transfer import Target
from firmware.clock import first
from firmware.errors import ApiError
from firmware.media.leg import Leg
from firmware.store import Queue
from firmware.store.agentdesk import DeskStore
from firmware.store.campaigns import Campaigns
from firmware.timers import TIMERS

if TYPE_CHECKING:
    from firmware.cti.call import CallCore
    from firmware.flows.context import FlowContext
    from firmware.media.client import NodeLink

log = logging.getLogger("callbox.cti")

#: action -> the permission it needs (the API's endpoints use the same names)
ACTIONS: dict[str, str] = {
    "login": "desk.agent", "logout": "desk.agent", "pause": "desk.agent",
    "available": "desk.agent", "wrapup": "desk.agent", "hold": "desk.agent",
    "resume": "desk.agent", "hangup": "desk.agent", "transfer": "desk.agent",
    "consult": "desk.agent", "complete": "desk.agent", "cancel": "desk.agent",
    "conference": "desk.agent", "pickup": "desk.agent", "answer": "desk.agent",
    "outbound": "desk.outbound", "record": "recordings.control",
    "listen": "supervise", "whisper": "supervise", "barge": "supervise",
    "intercept": "supervise", "force": "supervise", "leave": "supervise",
}
_NUMBER = re.compile(r"^\+?[0-9]{2,20}$")
NOTICE_TEXT = "This call is recorded for quality and training."


@dataclass(eq=False)
class RingingOffer:
    """A queue call ringing a seat; a pickup resolves ``picked`` with (seat, leg)."""
    agent: str
    call: str
    queue: str
    caller: Leg
    leg: Leg
    since: float
    picked: "asyncio.Future[tuple[str, Leg]]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class Cti(AgentStates):
    def __init__(self, ctx: "FlowContext") -> None:
        self.ctx = ctx
        self.store = DeskStore(ctx.store.db)
        self.campaigns = Campaigns(ctx.store.db)
        self.calls: dict[str, LiveCall] = {}
        self.offers: dict[str, RingingOffer] = {}
        self.owed: dict[str, str] = {}            # agent -> call still without a disposition
        self._crm: Any = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self.dialer: Any = None

    async def start(self) -> None:
        """Prompts, agents' stored states, campaign records a dead daemon left dialling."""
        from firmware.cti import codes
        from firmware.cti.dialer import Dialer
        prompts_dir = Path(self.ctx.cfg.prompts_dir)
        codes.write_tones(prompts_dir)
        notice = prompts_dir / "recording-notice.wav"
        if not notice.exists():
            from firmware import prompts
            try:
                await asyncio.to_thread(prompts.speak, NOTICE_TEXT, notice)
            except prompts.PromptError as exc:
                log.error("recording notice not generated error=%s", exc)
        await self.restore_sessions()
        recovered = await self.campaigns.recover()
        if recovered:
            log.warning("campaign records left dialling by the last run are due again n=%d",
                        recovered)
        self.dialer = Dialer(self)
        self.dialer.start()

    async def stop(self) -> None:
        if self.dialer is not None:
            await self.dialer.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def track(self, task: "asyncio.Future[Any]") -> None:
        """A call the desk started (click-to-call, a campaign call) runs until it is done."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- registry ---------------------------------------------------------------------------
    def attach(self, live: LiveCall) -> None:
        self.calls[live.id] = live

    def detach(self, live: LiveCall) -> None:
        if self.calls.get(live.id) is live:
            del self.calls[live.id]

    def call_of(self, agent: str) -> LiveCall | None:
        """The call ``agent`` is on (as its agent, or consulting/in conference)."""
        for live in self.calls.values():
            if agent in (live.agent, live.third_agent):
                return live
        for live in self.calls.values():
            if agent == live.consult_agent:
                return live
        return None

    def wrapping(self, agent: str, call: str) -> None:
        self.owed[agent] = call
        self.ctx.bus.publish("agent.wrapup_due", agent=agent, call=call)

    def offer_ringing(self, agent: str, call: str, queue: str, caller: Leg, leg: Leg
                      ) -> RingingOffer:
        offer = RingingOffer(agent, call, queue, caller, leg, self.ctx.clock.now())
        self.offers[agent] = offer
        return offer

    def offer_done(self, offer: RingingOffer) -> None:
        if self.offers.get(offer.agent) is offer:
            del self.offers[offer.agent]
        if not offer.picked.done():
            offer.picked.cancel()

    # -- helpers ----------------------------------------------------------------------------
    def moh_for(self, queue: Queue | None) -> str:
        cfg = self.ctx.cfg
        if queue is not None and queue.moh_file:
            return str(cfg.prompts_dir / queue.moh_file)
        return str(self.ctx.moh_path)

    def prompt(self, name: str) -> str:
        return str(Path(self.ctx.cfg.prompts_dir) / f"{name}.wav")

    async def presented(self, live: "CallCore | None", target: Target
                        ) -> tuple[str | None, str | None]:
        """What a party rung for ``live`` sees: a seat sees the customer; an outside number
        sees the queue's outbound caller ID."""
        if target.kind == "seat":
            if live is None:
                return None, None
            number = live.rec.caller_number or live.rec.dialed_number
            name = live.rec.caller_name or number
            return (number if _SIP_USER.match(number or "") else None), (name or None)
        queue = live.queue.name if live is not None and live.queue else ""
        cid, name = await self.store.queue_caller_id(queue) if queue else ("", "")
        return cid or None, name or None

    async def resolve(self, text: str) -> Target:
        """``queue:NAME``, a seat's extension, a queue's name, or an outside number."""
        if not isinstance(text, str) or not text:
            raise ApiError("a transfer target is needed", status=400, field="target")
        if text.startswith("queue:"):
            name = text[6:]
            if await self.ctx.store.config.queue(name) is None:
                raise ApiError(f"no queue {name!r}", status=404, field="target")
            return Target("queue", name)
        if await self.ctx.store.config.seat(text) is not None:
            return Target("seat", text)
        if await self.ctx.store.config.queue(text) is not None:
            return Target("queue", text)
        if _NUMBER.match(text):
            return Target("number", text)
        raise ApiError(f"{text!r} is neither a seat, a queue nor a number", status=400,
                       field="target", expected="a seat extension, queue:NAME or digits")

    # -- who is asking ------------------------------------------------------------------------
    def check(self, p: Principal, action: str) -> None:
        p.require(ACTIONS[action], action)

    def own_seat(self, p: Principal, action: str) -> str:
        self.check(p, action)
        if not p.seat:
            raise ApiError(f"{p.user} has no seat to {action} from", status=409, field="seat")
        return p.seat

    async def principal_for_seat(self, seat: str) -> Principal:
        """The user whose seat this is (the first enabled one), else an agent of that seat."""
        row = await self.ctx.store.db.fetchone(
            "SELECT username FROM users WHERE seat = ? AND disabled = 0 ORDER BY id LIMIT 1",
            (seat,))
        if row is not None:
            p = await self._crm_service().principal_for_username(row[0])
            if p is not None:
                return Principal(p.user, p.role, p.permissions, p.user_id, p.team, p.team_id,
                                 seat, "seat")
        return Principal(f"seat:{seat}", "agent", BUILTIN_ROLES["agent"], seat=seat, via="seat")

    def _crm_service(self) -> Any:
        if self._crm is None:
            from firmware.crm.service import Crm
            self._crm = Crm(self.ctx.store, bus=self.ctx.bus)
        return self._crm

    def my_call(self, p: Principal, action: str) -> LiveCall:
        seat = self.own_seat(p, action)
        live = self.call_of(seat)
        if live is None:
            raise ApiError(f"seat {seat} is not on a call", status=409, seat=seat)
        return live

    def agent_call(self, p: Principal, agent: str, action: str) -> LiveCall:
        self.check(p, action)
        live = self.call_of(agent)
        if live is None:
            raise ApiError(f"agent {agent} is not on a call", status=409, agent=agent)
        return live

    # -- agent call actions -----------------------------------------------------------------------
    async def act(self, p: Principal, action: str, **kw: Any) -> dict[str, Any]:
        """hold, resume, hangup, transfer (target, attended), complete, cancel, conference
        (target), record (on) on the principal's own call."""
        live = self.my_call(p, action)
        async with live.lock:
            if action == "hold":
                await live.hold()
            elif action == "resume":
                await live.resume()
            elif action == "hangup":
                await live.hangup_agent()
            elif action == "transfer":
                target = await self.resolve(kw["target"])
                if kw.get("attended"):
                    await live.attended(target)
                else:
                    await live.blind(target)
            elif action == "conference":
                target = await self.resolve(kw["target"])
                if live.state == "consulting":
                    await live.join()
                else:
                    await live.attended(target, join=True)
            elif action == "complete":
                await live.complete()
            elif action == "cancel":
                await live.cancel_consult()
            elif action == "record":
                if kw.get("on", True):
                    await live.recording.start("on_demand")
                else:
                    await live.recording.stop()
            else:
                raise KeyError(action)
        live.kick()
        return live.describe()

    async def answer(self, p: Principal) -> dict[str, Any]:
        """Answer the offer ringing the principal's seat, if its phone can be asked to."""
        seat = self.own_seat(p, "answer")
        offer = self.offers.get(seat)
        if offer is None:
            raise ApiError(f"no call is ringing seat {seat}", status=409, seat=seat)
        if not await self.store.remote_answer(seat):
            raise ApiError(f"seat {seat}'s phone cannot be answered from the desk (its remote "
                           "answer is not enabled in the seat's options); pick up the phone",
                           status=501, seat=seat)
        await offer.leg.talk()
        self.ctx.bus.publish("call.answer_requested", call=offer.call, agent=seat)
        return {"call": offer.call, "seat": seat, "asked": True}

    async def pickup(self, p: Principal, leg: Leg | None = None) -> dict[str, Any]:
        """Take a call ringing another seat of one of this seat's queues. ``leg``: the
        picker's own call (a feature code), else the picker's seat is rung."""
        seat = self.own_seat(p, "pickup")
        offer = await self.pickable(seat)
        if offer is None:
            raise ApiError(f"no call is ringing in seat {seat}'s queues", status=409,
                           seat=seat)
        if leg is None:
            self.ctx.pool.ensure_room(offer.caller, 1, "pickup")
            leg = await self.ctx.seats.dial(offer.caller, seat, caller_name="pickup")
            self.track(asyncio.ensure_future(self._picker_answers(offer, seat, leg)))
            return {"call": offer.call, "picked_from": offer.agent, "ringing": seat}
        if leg.node != offer.caller.node:
            raise ApiError("pickup refused: no room on the conversation's node", status=409,
                           reason="no room on the conversation's node")
        self._picked(offer, seat, leg)
        return {"call": offer.call, "picked_from": offer.agent}

    def _picked(self, offer: RingingOffer, seat: str, leg: Leg) -> None:
        offer.picked.set_result((seat, leg))
        self.ctx.bus.publish("call.pickup", call=offer.call, agent=seat, ringing=offer.agent)

    async def _picker_answers(self, offer: RingingOffer, seat: str, leg: Leg) -> None:
        """The picker's seat rings beside the offered one: the first to answer has the call."""
        answered = asyncio.ensure_future(leg.answered.wait())
        try:
            await first(self.ctx.clock, {answered, leg.ended, offer.picked},
                        TIMERS["desk.seat_ring"])
        finally:
            answered.cancel()
        if leg.answered.is_set() and not offer.picked.done():
            self._picked(offer, seat, leg)
        elif not leg.ended.done():
            await leg.hangup()

    async def pickable(self, seat: str) -> RingingOffer | None:
        me = await self.ctx.store.config.seat(seat)
        if me is None:
            return None
        mine = set(me.queues)
        offers = [o for o in self.offers.values()
                  if o.agent != seat and o.queue in mine and not o.picked.done()]
        return min(offers, key=lambda o: o.since) if offers else None

    def placement_hint(self, did: str, seat: str | None) -> "NodeLink | None":
        """Where a seat's feature-code call should be placed: on the node of the call it
        will supervise or pick up (legs can only be joined within one node)."""
        from firmware.cti.codes import target_of
        live_or_offer = target_of(self, did, seat)
        return None if live_or_offer is None else live_or_offer.link

    # -- supervision ------------------------------------------------------------------------------
    async def supervise(self, p: Principal, agent: str, mode: str,
                        leg: Leg | None = None) -> dict[str, Any]:
        live = self.agent_call(p, agent, mode if mode in ACTIONS else "listen")
        if not p.seat and leg is None:
            raise ApiError(f"{p.user} has no seat to {mode} from", status=409, field="seat")
        async with live.lock:
            await live.supervise(p.seat or "", p.user, mode, leg)
        live.kick()
        return live.describe()

    async def leave(self, p: Principal, agent: str) -> dict[str, Any]:
        live = self.agent_call(p, agent, "leave")
        async with live.lock:
            await live.leave_supervision(p.seat)
        return live.describe()

    def live_calls(self, p: Principal) -> list[dict[str, Any]]:
        everyone = p.can("supervise")
        return [c.describe() for c in self.calls.values()
                if everyone or (p.seat and p.seat in (c.agent, c.third_agent))]


_SIP_USER = re.compile(r"^[0-9A-Za-z+*#._-]{1,64}$")

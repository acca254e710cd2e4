"""Calls the desk places: click-to-call, campaign calls, and every call a seat dials.

Click-to-call and campaign calls have no leg yet, so they open a conversation
on a node first (``MediaPool.open_conversation``: room for the agent and the
customer), ring the agent's seat, and only once the agent answers dial the
customer through the trunks with the queue's outbound caller ID. A call a seat
dials (``seat_call``) arrives on a node already: a feature code (``codes.py``),
another seat (an internal call), or an outside number through the trunks.

Each call has its record from its first moment and one CDR at the end:
direction ``out``, ``dialed_number`` in E.164 (the CRM's country settings),
``caller_number`` the agent's seat; an unanswered one is ``failed`` with the
reason (busy, no answer, invalid number, no trunk).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from firmware.clock import first
from firmware.crm.phone import try_normalise
from firmware.cti import codes
from firmware.cti.live import LiveCall
from firmware.cti.trunks import disposition_of_error, outcome_of_code, outcome_of_error
from firmware.errors import ApiError, CallboxError, MediaError
from firmware.media.leg import Leg
from firmware.store import CallRecord, Queue
from firmware.timers import TIMERS

if TYPE_CHECKING:
    from firmware.cti.service import Cti
    from firmware.flows.context import FlowContext
    from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.cti.outbound")


@dataclass
class Result:
    call: str
    result: str            # answered | busy | no-answer | invalid | failed | agent-no-answer
    detail: str = ""


async def _new_record(cti: "Cti", agent: str, number: str, queue: Queue | None,
                      trunk: str = "") -> CallRecord:
    ctx = cti.ctx
    settings = await cti._crm_service().phone_settings()
    rec = CallRecord(caller_number=agent, direction="out", agent=agent,
                     dialed_number=try_normalise(number, settings) or
                     (number if number.lstrip("+").isdigit() else ""),
                     queue=queue.name if queue else "", trunk=trunk,
                     started_at=ctx.clock.wall())
    ctx.bus.publish("call.started", call=rec.id, caller=agent, did="", trunk=trunk,
                    direction="out", dialed=rec.dialed_number)
    await ctx.records.stage(rec, "started")
    return rec


async def _finish(cti: "Cti", rec: CallRecord) -> None:
    ctx = cti.ctx
    if not rec.ended_at:
        rec.ended_at = max(ctx.clock.wall(), rec.started_at)
    await ctx.records.finish(rec)
    ctx.bus.publish("call.ended", call=rec.id, disposition=rec.disposition, queue=rec.queue,
                    agent=rec.agent, direction="out")


async def _talk(cti: "Cti", rec: CallRecord, customer: Leg, agent: str, agent_leg: Leg,
                queue: Queue | None, adopt: bool = False) -> None:
    """Both answered: bridge, then the conversation is a ``LiveCall`` like any other."""
    ctx = cti.ctx
    rec.answered_at = rec.agent_answered_at = ctx.clock.wall()
    rec.disposition = "answered"
    await ctx.records.stage(rec, "connected")
    live = LiveCall(cti, rec, customer, agent, agent_leg, queue=queue, direction="out",
                    busy_already=adopt)
    await live.prepare()
    await ctx.pool.bridge(customer, agent_leg)
    ctx.bus.publish("call.connected", call=rec.id, queue=rec.queue, agent=agent,
                    direction="out")
    started = ctx.clock.now()
    outcome = await live.run()
    rec.talk_s = round(ctx.clock.now() - started, 3)
    rec.agent = live.agent or (live.agents_seen[-1] if live.agents_seen else agent)
    rec.hangup_by = "agent" if outcome.hangup_by == "agent" else \
        ("system" if outcome.node_failed else "caller")
    if outcome.node_failed:
        rec.disposition, rec.failure_reason = "failed", "media node failed"
    rec.recording = live.recording.first
    rec.ended_at = ctx.clock.wall()
    await ctx.records.stage(rec, "ended")


async def call_out(cti: "Cti", agent: str, number: str, queue: Queue | None, *,
                   ring_s: float, customer_ring_s: float | None = None) -> Result:
    """Ring ``agent``'s seat, then ``number``; run the conversation; one CDR."""
    ctx = cti.ctx
    caller_id, caller_name = await cti.store.queue_caller_id(queue.name if queue else "")
    rec = await _new_record(cti, agent, number, queue)
    conv = None
    legs: list[Leg] = []
    result = Result(rec.id, "failed")
    busy = ctx.acd.knows(agent)
    if busy:                                  # no queue call may ring the seat meanwhile
        ctx.acd.busy(agent, rec.id)
    try:
        conv = await ctx.pool.open_conversation(2)
        agent_leg = await conv.dial(ctx.seats.uri(agent), caller_id=number.lstrip("+")
                                    if number.lstrip("+").isdigit() else None,
                                    caller_name=f"Calling {number}"[:64])
        legs.append(agent_leg)
        rec.ring_started_at = ctx.clock.wall()
        await ctx.records.stage(rec, "queued")
        if not await _answered(ctx, agent_leg, ring_s):
            result = Result(rec.id, "agent-no-answer", f"seat {agent} did not answer")
            rec.failure_reason = result.detail
            return result
        await agent_leg.play(cti.prompt("ringback"), loop=True)
        try:
            customer = await ctx.trunks.dial(agent_leg, number, caller_id=caller_id or None)
        except CallboxError as exc:
            result = Result(rec.id, outcome_of_error(exc), str(exc)[:200])
            rec.failure_reason = result.detail
            rec.disposition, rec.hangup_by = disposition_of_error(exc), "system"
            return result
        legs.append(customer)
        rec.trunk = str(customer.info.get("trunk") or rec.trunk)
        if not await _answered(ctx, customer, customer_ring_s or 60.0, also=agent_leg.ended):
            code = customer.ended.result()[0] if customer.ended.done() else 0
            result = Result(rec.id, "no-answer" if agent_leg.ended.done() and
                            not customer.ended.done() else outcome_of_code(code),
                            f"{number}: {code or 'no answer'}")
            rec.failure_reason = result.detail[:200]
            return result
        await agent_leg.stop_play()
        await _talk(cti, rec, customer, agent, agent_leg, queue, adopt=busy)
        busy = False                          # the LiveCall has freed the agent
        result = Result(rec.id, "answered")
        return result
    except (MediaError, CallboxError) as exc:
        log.warning("outbound call failed call=%s error=%s", rec.id, exc)
        rec.failure_reason = str(exc)[:200]
        result = Result(rec.id, "failed", str(exc)[:200])
        return result
    finally:
        for leg in legs:
            if not leg.ended.done():
                try:
                    await leg.hangup()
                except MediaError:
                    pass
        if conv is not None:
            await conv.close()
        if busy:
            ctx.acd.free(agent, rec.id, 0.0)
        if rec.disposition not in ("answered", "blocked"):
            rec.disposition, rec.hangup_by = "failed", "system"
        await _finish(cti, rec)
        ctx.bus.publish("call.outbound_result", call=rec.id, agent=agent,
                        result=result.result)


async def _answered(ctx: "FlowContext", leg: Leg, seconds: float,
                    also: "asyncio.Future[Any] | None" = None) -> bool:
    answered = asyncio.ensure_future(leg.answered.wait())
    waits: set[asyncio.Future[Any]] = {answered, leg.ended}
    if also is not None:
        waits.add(also)
    try:
        await first(ctx.clock, waits, seconds)
    finally:
        answered.cancel()
    return leg.answered.is_set() and not leg.ended.done() and \
        (also is None or not also.done())


async def click_to_call(cti: "Cti", p: Any, number: str, queue_name: str | None = None
                        ) -> dict[str, Any]:
    """The agent's seat rings first, then ``number`` with the queue's caller ID."""
    seat = cti.own_seat(p, "outbound")
    if not isinstance(number, str) or not number.lstrip("+").isdigit() or \
            not 2 <= len(number.lstrip("+")) <= 20:
        raise ApiError("a number of 2-20 digits (optional leading +) is needed", status=400,
                       field="number")
    if await cti.campaigns.is_dnc(number, cti.ctx.clock.wall()):
        raise ApiError(f"{number} is on the do-not-call list", status=409, field="number")
    if cti.call_of(seat) is not None:
        raise ApiError(f"seat {seat} is on a call", status=409, seat=seat)
    queue = await _queue_for(cti, seat, queue_name)
    async def run() -> None:
        res = await call_out(cti, seat, number, queue, ring_s=TIMERS["desk.seat_ring"])
        log.info("click-to-call done seat=%s result=%s", seat, res.result)

    cti.track(asyncio.ensure_future(run()))
    return {"seat": seat, "number": number, "queue": queue.name if queue else ""}


async def _queue_for(cti: "Cti", seat: str, name: str | None) -> Queue | None:
    """The queue whose caller ID an agent's outbound call shows: the one named (the seat
    must serve it), else the seat's first queue (lowest penalty)."""
    me = await cti.ctx.store.config.seat(seat)
    if name:
        q = await cti.ctx.store.config.queue(name)
        if q is None:
            raise ApiError(f"no queue {name!r}", status=404, field="queue")
        if me is not None and name not in me.queues:
            raise ApiError(f"seat {seat} does not serve queue {name!r}", status=403,
                           field="queue")
        return q
    if me is None or not me.queues:
        return None
    first_q = min(me.queues.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return await cti.ctx.store.config.queue(first_q)


async def seat_call(cti: "Cti", channel: "Channel") -> None:
    """A call a seat dialled: a feature code, another seat, or an outside number."""
    ctx = cti.ctx
    leg = channel.media_leg
    seat = str(leg.info.get("seat") or "")
    dialled = channel.info.did
    if dialled.startswith("*"):
        await codes.run(cti, channel, seat, dialled)
        return
    target = await ctx.store.config.seat(dialled)
    if target is not None:
        await _internal(cti, channel, seat, dialled)
        return
    p = await cti.principal_for_seat(seat)
    try:
        cti.check(p, "outbound")
        queue = await _queue_for(cti, seat, None)
    except CallboxError as exc:
        log.info("outbound refused seat=%s number=%s error=%s", seat, dialled, exc)
        await channel.reject(403)
        return
    await _outbound_from_seat(cti, channel, seat, dialled, queue)


async def _outbound_from_seat(cti: "Cti", channel: "Channel", seat: str, number: str,
                              queue: Queue | None) -> None:
    ctx = cti.ctx
    leg = channel.media_leg
    caller_id, _ = await cti.store.queue_caller_id(queue.name if queue else "")
    rec = await _new_record(cti, seat, number, queue)
    busy = ctx.acd.knows(seat)
    if busy:
        ctx.acd.busy(seat, rec.id)
    customer = None
    try:
        if await cti.campaigns.is_dnc(number, ctx.clock.wall()):
            rec.failure_reason = "on the do-not-call list"
            await channel.reject(403)
            return
        await channel.answer()
        await leg.play(cti.prompt("ringback"), loop=True)
        try:
            customer = await ctx.trunks.dial(leg, number, caller_id=caller_id or None)
        except CallboxError as exc:
            rec.failure_reason = str(exc)[:200]
            rec.disposition, rec.hangup_by = disposition_of_error(exc), "system"
            await channel.hangup()
            return
        rec.trunk = str(customer.info.get("trunk") or rec.trunk)
        if not await _answered(ctx, customer, 120.0, also=leg.ended):
            code = customer.ended.result()[0] if customer.ended.done() else 0
            rec.failure_reason = f"{outcome_of_code(code)} ({code})"
            return
        await leg.stop_play()
        await _talk(cti, rec, customer, seat, leg, queue, adopt=busy)
        busy = False
    except MediaError as exc:
        rec.failure_reason = str(exc)[:200]
    finally:
        for x in (customer, leg):
            if x is not None and not x.ended.done():
                try:
                    await x.hangup()
                except MediaError:
                    pass
        if busy:
            ctx.acd.free(seat, rec.id, 0.0)
        if rec.disposition not in ("answered", "blocked"):
            rec.disposition, rec.hangup_by = "failed", "system"
        await _finish(cti, rec)


async def _internal(cti: "Cti", channel: "Channel", seat: str, callee: str) -> None:
    """Seat to seat: the callee rings showing the caller's seat; a ``LiveCall`` once up."""
    ctx = cti.ctx
    leg = channel.media_leg
    rec = CallRecord(caller_number=seat, did=callee, trunk=channel.info.trunk, agent=seat,
                     started_at=ctx.clock.wall())
    ctx.bus.publish("call.started", call=rec.id, caller=seat, did=callee, trunk=rec.trunk,
                    channel=channel.id)
    await ctx.records.stage(rec, "started")
    other = None
    try:
        other = await ctx.seats.dial(leg, callee, caller_id=seat, caller_name=f"seat {seat}")
        if not await _answered(ctx, other, TIMERS["desk.seat_ring"], also=leg.ended):
            rec.failure_reason = f"seat {callee} did not answer"
            if not leg.ended.done():
                await channel.reject(480)
            return
        await channel.answer()
        rec.answered_at = rec.agent_answered_at = ctx.clock.wall()
        await ctx.pool.bridge(leg, other)
        rec.disposition = "answered"
        live = LiveCall(cti, rec, other, seat, leg)
        live._joins(callee)
        await live.prepare()
        started = ctx.clock.now()
        outcome = await live.run()
        rec.talk_s = round(ctx.clock.now() - started, 3)
        rec.hangup_by = "agent" if outcome.hangup_by == "agent" else "caller"
        rec.recording = live.recording.first
    except MediaError as exc:
        rec.failure_reason = str(exc)[:200]
    finally:
        for x in (other, leg):
            if x is not None and not x.ended.done():
                try:
                    await x.hangup()
                except MediaError:
                    pass
        if rec.disposition != "answered":
            rec.disposition, rec.hangup_by = "failed", "system"
        rec.ended_at = max(ctx.clock.wall(), rec.started_at)
        await ctx.records.finish(rec)
        ctx.bus.publish("call.ended", call=rec.id, disposition=rec.disposition, agent=seat)

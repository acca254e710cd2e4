"""A caller waiting in a queue, offered to agents, connected and recorded.

The ACD engine decides; this coroutine carries one call through it: music on
hold while waiting, dial the seat the engine picked (in the caller's media
node, through Kamailio), bridge once the seat answers, and the queue-log lines
an Asterisk-trained supervisor expects (ENTERQUEUE, RINGNOANSWER, CONNECT,
TRANSFER, COMPLETECALLER / COMPLETEAGENT, ABANDON). While it rings, another
seat of the queue may pick the call up; once connected, the conversation is a
``firmware.cti.live.LiveCall`` (hold, transfers, conference, supervision,
recording by rule or on demand) until it ends or a blind transfer sends the
caller to another queue, which this flow then waits in.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from acd_core import acd

from firmware.clock import first
from firmware.errors import MediaError
from firmware.flows.context import FlowContext
from firmware.store import CallRecord, Queue, QueueEvent
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.queue")


async def _queue_log(ctx: FlowContext, event: str, rec: CallRecord, *,
                     wait: float | None = None, talk: float | None = None,
                     ring: float | None = None, info: str = "") -> None:
    ctx.bus.publish(f"queue.{event.lower()}", call=rec.id, queue=rec.queue, agent=rec.agent,
                    wait=wait, talk=talk, ring=ring)
    await ctx.records.queue_event(QueueEvent(
        ts=ctx.clock.wall(), call_id=rec.id, queue=rec.queue, event=event, agent=rec.agent,
        wait_s=wait, talk_s=talk, ring_s=ring, info=info))


_SIP_USER = re.compile(r"^[0-9A-Za-z+*#._-]{1,64}$")


def _caller_user(rec: CallRecord) -> str:
    """The caller's number as the user part of the From the seat's phone shows."""
    return rec.caller_number if _SIP_USER.match(rec.caller_number) else "anonymous"


def _moh_path(ctx: FlowContext, queue: Queue) -> str:
    return str(ctx.cfg.prompts_dir / queue.moh_file) if queue.moh_file else str(ctx.moh_path)


async def wait_and_connect(ctx: FlowContext, channel: Channel, queue: Queue,
                           rec: CallRecord) -> None:
    """Runs until the call ends; fills ``rec`` (the caller owns writing it)."""
    while True:
        nxt = await _wait_and_connect(ctx, channel, queue, rec)
        if nxt is None:
            return
        found = await ctx.store.config.queue(nxt)
        if found is None:
            log.error("transfer to a missing queue call=%s queue=%s", rec.id, nxt)
            await channel.hangup()
            rec.disposition, rec.hangup_by = "failed", "system"
            rec.failure_reason = f"transferred to a missing queue {nxt!r}"
            return
        queue = found


async def _wait_and_connect(ctx: FlowContext, channel: Channel, queue: Queue,
                            rec: CallRecord) -> str | None:
    """One stay in ``queue``; the queue a blind transfer sent the caller to, else None."""
    rec.queue = queue.name
    entered = ctx.clock.now()
    waiting = ctx.acd.enqueue(rec.id, rec.queue)
    await _queue_log(ctx, "ENTERQUEUE", rec, info=rec.caller_number)
    await ctx.records.stage(rec, "queued")
    moh = _moh_path(ctx, queue)
    ended = channel.ended
    try:
        await channel.play(moh, loop=True)
    except MediaError:
        if not ended.done():
            raise
        await _abandon(ctx, rec, entered)          # gone while we were queueing them
        return None
    ctx.bus.publish("media.play", call=rec.id, path=moh, loop=True)
    while True:
        offer_task = asyncio.ensure_future(waiting.offers.get())
        done = await first(ctx.clock, {offer_task, ended})
        if ended in done:
            offer_task.cancel()
            await _abandon(ctx, rec, entered)
            return None
        decision = offer_task.result()
        if not isinstance(decision, acd.Offer):
            log.info("acd decision call=%s %s", rec.id, type(decision).__name__)
            continue
        agent = decision.agent
        rec.agent = agent
        rec.ring_started_at = ctx.clock.wall()
        ring_start = ctx.clock.now()
        try:
            agent_leg = await ctx.seats.dial(
                channel.media_leg, agent, caller_id=_caller_user(rec),
                caller_name=queue.display_for(rec.caller_number, rec.caller_name))
        except MediaError as exc:
            log.warning("dial failed call=%s agent=%s error=%s", rec.id, agent, exc)
            ctx.acd.offer_failed(rec.id, agent, timed_out=False)
            await _queue_log(ctx, "RINGNOANSWER", rec, ring=0.0, info=str(exc)[:200])
            rec.agent, rec.ring_started_at = "", None
            continue
        answered = asyncio.ensure_future(agent_leg.answered.wait())
        offer = ctx.cti.offer_ringing(agent, rec.id, queue.name, channel.media_leg, agent_leg)
        try:
            done, cancelled = await _ring(ctx, waiting, agent, queue,
                                          {answered, agent_leg.ended, ended, offer.picked})
        finally:
            ctx.cti.offer_done(offer)
        if answered in done:
            return await _connect(ctx, channel, agent_leg, rec, entered, queue)
        answered.cancel()
        await agent_leg.hangup()
        if offer.picked in done and not offer.picked.cancelled():
            picker, leg = offer.picked.result()     # another seat of the queue took it
            ctx.acd.abandon(rec.id)                  # the ringing agent is released, no penalty
            rec.agent = picker
            return await _connect(ctx, channel, leg, rec, entered, queue, offered=False,
                                  info="pickup")
        if cancelled:                                # the engine withdrew the offer
            await _queue_log(ctx, "RINGNOANSWER", rec, ring=round(ctx.clock.now() - ring_start, 3),
                             info=f"cancelled: {cancelled}")
            rec.agent, rec.ring_started_at = "", None
            continue
        ring = round(ctx.clock.now() - ring_start, 3)
        ctx.acd.offer_failed(rec.id, agent, timed_out=not done)
        await _queue_log(ctx, "RINGNOANSWER", rec, ring=ring,
                         info="timeout" if not done else "declined or unreachable")
        rec.agent, rec.ring_started_at = "", None
        if ended in done:
            await _abandon(ctx, rec, entered)
            return None


async def _ring(ctx: FlowContext, waiting: Any, agent: str, queue: Queue,
                waits: set[Any]) -> tuple[set[Any], str]:
    """Wait while ``agent`` rings: until one of ``waits``, the ring timeout, or the engine
    cancelling this offer (the agent logged out or took another call): its reason."""
    deadline = ctx.clock.now() + float(queue.ring_timeout_s)
    while True:
        decision = asyncio.ensure_future(waiting.offers.get())
        try:
            done = await first(ctx.clock, waits | {decision},
                               max(0.0, deadline - ctx.clock.now()))
        finally:
            if not decision.done():
                decision.cancel()
        if decision in done:
            d = decision.result()
            if isinstance(d, acd.OfferCancelled) and d.agent == agent:
                return set(), d.why
            log.info("acd decision while ringing call=%s %s", waiting.call, type(d).__name__)
            if done == {decision}:
                continue
        return done - {decision}, ""


async def _abandon(ctx: FlowContext, rec: CallRecord, entered: float) -> None:
    ctx.acd.abandon(rec.id)
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    rec.disposition = "abandoned"
    rec.hangup_by = "caller"
    await _queue_log(ctx, "ABANDON", rec, wait=rec.wait_s)


async def _connect(ctx: FlowContext, channel: Channel, agent_leg: Any, rec: CallRecord,
                   entered: float, queue: Queue, offered: bool = True,
                   info: str = "") -> str | None:
    """The seat answered (or picked the call up): a ``LiveCall`` until the call is over;
    the queue a blind transfer sent the caller to, else None."""
    from firmware.cti.live import LiveCall
    agent = rec.agent
    if offered:
        ctx.acd.offer_accepted(rec.id, agent)
    rec.agent_answered_at = rec.agent_answered_at or ctx.clock.wall()
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    talk_started = ctx.clock.now()
    await _queue_log(ctx, "CONNECT", rec, wait=rec.wait_s, info=info)
    await ctx.records.stage(rec, "connected")
    live = LiveCall(ctx.cti, rec, channel.media_leg, agent, agent_leg, queue=queue,
                    queue_agent=agent if offered else None)
    await live.prepare()                # the recording rule, before anyone talks
    try:
        await channel.stop_play()
        await ctx.pool.bridge(channel.media_leg, agent_leg)
    except MediaError as exc:
        log.error("connect failed call=%s error=%s", rec.id, exc)
    ctx.bus.publish("call.connected", call=rec.id, queue=rec.queue, agent=agent)
    outcome = await live.run()          # the seat is free whatever the disk does
    rec.talk_s = round(rec.talk_s + ctx.clock.now() - talk_started, 3)
    rec.recording = rec.recording or live.recording.first
    for target in outcome.transfers:
        await _queue_log(ctx, "TRANSFER", rec, wait=rec.wait_s, info=target)
    if live.agent or live.agents_seen:
        rec.agent = live.agent or live.agents_seen[-1]
    if outcome.requeue:
        return outcome.requeue
    if outcome.node_failed:
        rec.disposition, rec.hangup_by = "failed", "system"
        rec.failure_reason = "media node failed"
        event, info = "INTERRUPTED", "media node failed"
    else:
        caller_first = outcome.hangup_by == "caller"
        rec.disposition = "answered"
        rec.hangup_by = outcome.hangup_by or "system"
        event, info = ("COMPLETECALLER" if caller_first else "COMPLETEAGENT"), ""
    rec.ended_at = ctx.clock.wall()
    await ctx.records.stage(rec, "ended")
    await _queue_log(ctx, event, rec, wait=rec.wait_s, talk=rec.talk_s, info=info)
    return None

"""A caller waiting in a queue, offered to agents, connected and recorded.

The ACD engine decides; this coroutine carries one call through it: music on
hold while waiting, dial the seat the engine picked (in the caller's media
node, through Kamailio), bridge and record once the seat answers, and the
queue-log lines an Asterisk-trained supervisor expects (ENTERQUEUE,
RINGNOANSWER, CONNECT, COMPLETECALLER / COMPLETEAGENT, ABANDON).
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from pathlib import Path
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


def _recording_paths(ctx: FlowContext, rec: CallRecord) -> tuple[Path, Path]:
    incoming = ctx.cfg.recordings_dir / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    day = time.strftime("%Y/%m/%d", time.gmtime(ctx.clock.wall()))
    return incoming / f"{rec.id}.wav", ctx.cfg.recordings_dir / day / f"{rec.id}.wav"


_SIP_USER = re.compile(r"^[0-9A-Za-z+*#._-]{1,64}$")


def _caller_user(rec: CallRecord) -> str:
    """The caller's number as the user part of the From the seat's phone shows."""
    return rec.caller_number if _SIP_USER.match(rec.caller_number) else "anonymous"


def _moh_path(ctx: FlowContext, queue: Queue) -> str:
    return str(ctx.cfg.prompts_dir / queue.moh_file) if queue.moh_file else str(ctx.moh_path)


async def wait_and_connect(ctx: FlowContext, channel: Channel, queue: Queue,
                           rec: CallRecord) -> None:
    """Runs until the call ends; fills ``rec`` (the caller owns writing it)."""
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
        return
    ctx.bus.publish("media.play", call=rec.id, path=moh, loop=True)
    while True:
        offer_task = asyncio.ensure_future(waiting.offers.get())
        done = await first(ctx.clock, {offer_task, ended})
        if ended in done:
            offer_task.cancel()
            await _abandon(ctx, rec, entered)
            return
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
        done = await first(ctx.clock, {answered, agent_leg.ended, ended},
                           float(queue.ring_timeout_s))
        if answered in done:
            await _connect(ctx, channel, agent_leg, rec, entered)
            return
        answered.cancel()
        await agent_leg.hangup()
        ring = round(ctx.clock.now() - ring_start, 3)
        ctx.acd.offer_failed(rec.id, agent, timed_out=not done)
        await _queue_log(ctx, "RINGNOANSWER", rec, ring=ring,
                         info="timeout" if not done else "declined or unreachable")
        rec.agent, rec.ring_started_at = "", None
        if ended in done:
            await _abandon(ctx, rec, entered)
            return


async def _abandon(ctx: FlowContext, rec: CallRecord, entered: float) -> None:
    ctx.acd.abandon(rec.id)
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    rec.disposition = "abandoned"
    rec.hangup_by = "caller"
    await _queue_log(ctx, "ABANDON", rec, wait=rec.wait_s)


async def _connect(ctx: FlowContext, channel: Channel, agent_leg: Any, rec: CallRecord,
                   entered: float) -> None:
    agent = rec.agent
    ctx.acd.offer_accepted(rec.id, agent)
    rec.agent_answered_at = ctx.clock.wall()
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    talk_started = ctx.clock.now()
    await _queue_log(ctx, "CONNECT", rec, wait=rec.wait_s)
    await ctx.records.stage(rec, "connected")
    incoming, final = _recording_paths(ctx, rec)
    recording = False
    try:
        await channel.stop_play()
        await ctx.pool.bridge(channel.media_leg, agent_leg)
        if ctx.records.recording_allowed:
            await ctx.pool.record(channel.media_leg, agent_leg, str(incoming))
            recording = True
        else:
            log.error("call not recorded: the disk is full call=%s", rec.id)
            ctx.bus.publish("recording.skipped", call=rec.id, reason="disk full")
    except MediaError as exc:
        log.error("connect failed call=%s error=%s", rec.id, exc)
    ctx.bus.publish("call.connected", call=rec.id, queue=rec.queue, agent=agent)
    caller_ended, agent_ended = channel.ended, agent_leg.ended
    done = await first(ctx.clock, {caller_ended, agent_ended})
    caller_first = caller_ended in done
    await (agent_leg.hangup() if caller_first else channel.hangup())
    rec.talk_s = round(ctx.clock.now() - talk_started, 3)
    node_failed = any(f.done() and f.result()[1] == "node_failed"
                      for f in (caller_ended, agent_ended))
    ctx.acd.call_ended(rec.id, agent)     # the seat is free whatever the disk does
    if node_failed:
        rec.disposition, rec.hangup_by = "failed", "system"
        rec.failure_reason = "media node failed"
        event, info = "INTERRUPTED", "media node failed"
    else:
        rec.disposition = "answered"
        rec.hangup_by = "caller" if caller_first else "agent"
        event, info = ("COMPLETECALLER" if caller_first else "COMPLETEAGENT"), ""
    rec.ended_at = ctx.clock.wall()
    await ctx.records.stage(rec, "ended")
    await _queue_log(ctx, event, rec, wait=rec.wait_s, talk=rec.talk_s, info=info)
    if recording:   # after a node crash the pool has salvaged what was written
        rec.recording = await _finish_recording(ctx, rec, incoming, final) or ""


async def _finish_recording(ctx: FlowContext, rec: CallRecord, incoming: Path,
                            final: Path) -> str | None:
    """Publish the file only once it is complete: stop, move into place, index."""
    try:
        seconds = await ctx.pool.stop_record(str(incoming))
    except MediaError as exc:
        log.error("recording did not finish call=%s error=%s", rec.id, exc)
        return None
    if not incoming.exists():
        log.error("recording missing after stop call=%s path=%s", rec.id, incoming)
        return None
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(incoming, final)
    relative = str(final.relative_to(ctx.cfg.recordings_dir))
    await ctx.records.recording(relative, rec.id, float(seconds or 0.0))
    ctx.bus.publish("recording.ready", call=rec.id, path=relative)
    return relative

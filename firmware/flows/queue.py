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
import time
from pathlib import Path
from typing import Any

from firmware.flows.call_record import CallRecord
from firmware.flows.context import FlowContext
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.queue")

DEFAULT_RING_TIMEOUT = 20.0


async def _race(*aws: "asyncio.Future[Any]", timeout: float | None = None) -> set[Any]:
    done, _ = await asyncio.wait(set(aws), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    return done


async def _queue_log(ctx: FlowContext, event: str, rec: CallRecord, **data: Any) -> None:
    ctx.bus.publish(f"queue.{event.lower()}", call=rec.id, queue=rec.queue, agent=rec.agent, **data)
    await ctx.store.queue_log.append(event=event, call_id=rec.id, queue=rec.queue or "",
                                     agent=rec.agent, ts=ctx.clock.wall(), data=data)


def _recording_paths(ctx: FlowContext, rec: CallRecord) -> tuple[Path, Path]:
    incoming = ctx.cfg.recordings_dir / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    day = time.strftime("%Y/%m/%d", time.gmtime(ctx.clock.wall()))
    return incoming / f"{rec.id}.wav", ctx.cfg.recordings_dir / day / f"{rec.id}.wav"


async def wait_and_connect(ctx: FlowContext, channel: Channel, queue: dict[str, Any],
                           rec: CallRecord) -> None:
    """Runs until the call ends; fills ``rec`` (the caller owns writing it)."""
    rec.queue = queue["name"]
    ring_timeout = float(queue.get("ring_timeout") or DEFAULT_RING_TIMEOUT)
    entered = ctx.clock.mono()
    rec.queued_at = ctx.clock.wall()
    waiting = ctx.acd.enqueue(rec.id, rec.queue)
    await _queue_log(ctx, "ENTERQUEUE", rec, caller=rec.caller)
    moh = str(queue.get("moh") or ctx.moh_path)
    await channel.play(moh, loop=True)
    ctx.bus.publish("media.play", call=rec.id, path=moh, loop=True)
    ended = channel.ended
    while True:
        offer_task = asyncio.ensure_future(waiting.offers.get())
        done = await _race(offer_task, ended)
        if ended in done:
            offer_task.cancel()
            ctx.acd.abandon(rec.id)
            rec.wait_seconds = round(ctx.clock.mono() - entered, 3)
            rec.disposition = "abandoned"
            rec.hangup_by = "caller"
            await _queue_log(ctx, "ABANDON", rec, wait=rec.wait_seconds)
            return
        offer = offer_task.result()
        agent = offer.agent
        rec.agent = agent
        rec.ring_started_at = ctx.clock.wall()
        try:
            agent_leg = await ctx.pool.dial(channel.media_leg, ctx.seat_uri(agent))
        except Exception as exc:  # the node refused: count as a failed offer
            log.warning("dial failed call=%s agent=%s error=%s", rec.id, agent, exc)
            ctx.acd.offer_failed(rec.id, agent, timed_out=False)
            await _queue_log(ctx, "RINGNOANSWER", rec, ring=0.0, reason=str(exc))
            rec.agent = None
            continue
        answered = asyncio.ensure_future(agent_leg.answered.wait())
        done = await _race(answered, agent_leg.ended, ended, timeout=ring_timeout)
        if answered not in done:
            answered.cancel()
            if not agent_leg.ended.done():
                await agent_leg.hangup()
            ring = round(ctx.clock.mono() - entered, 3)
            if ended in done:
                ctx.acd.offer_failed(rec.id, agent, timed_out=False)
                ctx.acd.abandon(rec.id)
                rec.wait_seconds = ring
                rec.disposition = "abandoned"
                rec.hangup_by = "caller"
                await _queue_log(ctx, "ABANDON", rec, wait=rec.wait_seconds)
                return
            ctx.acd.offer_failed(rec.id, agent, timed_out=not done)
            await _queue_log(ctx, "RINGNOANSWER", rec, timeout=not done)
            rec.agent = None
            continue
        await _connect(ctx, channel, agent_leg, rec, entered)
        return


async def _connect(ctx: FlowContext, channel: Channel, agent_leg: Any, rec: CallRecord,
                   entered: float) -> None:
    agent = rec.agent or ""
    ctx.acd.offer_accepted(rec.id, agent)
    rec.agent_answered_at = ctx.clock.wall()
    rec.wait_seconds = round(ctx.clock.mono() - entered, 3)
    talk_started = ctx.clock.mono()
    await _queue_log(ctx, "CONNECT", rec, wait=rec.wait_seconds)
    await channel.stop_play()
    await ctx.pool.bridge(channel.media_leg, agent_leg)
    incoming, final = _recording_paths(ctx, rec)
    recording = True
    try:
        await ctx.pool.record(channel.media_leg, agent_leg, str(incoming))
    except Exception as exc:
        recording = False
        log.error("recording failed to start call=%s error=%s", rec.id, exc)
    ctx.bus.publish("call.connected", call=rec.id, queue=rec.queue, agent=agent)
    caller_ended, agent_ended = channel.ended, agent_leg.ended
    done = await _race(caller_ended, agent_ended)
    caller_first = caller_ended in done
    if caller_first and not agent_ended.done():
        await agent_leg.hangup()
    elif not caller_first and not caller_ended.done():
        await channel.hangup()
    rec.talk_seconds = round(ctx.clock.mono() - talk_started, 3)
    node_failed = any(f.done() and not f.cancelled() and f.result()[1] == "node_failed"
                      for f in (caller_ended, agent_ended))
    rec.hangup_by = "system" if node_failed else ("caller" if caller_first else "agent")
    rec.disposition = "failed" if node_failed else "answered"
    if node_failed:
        rec.failure = "media node failed"
    await _queue_log(ctx, "COMPLETECALLER" if caller_first else "COMPLETEAGENT", rec,
                     wait=rec.wait_seconds, talk=rec.talk_seconds)
    ctx.acd.call_ended(rec.id, agent)
    if recording:
        rec.recording = await _finish_recording(ctx, rec, incoming, final)


async def _finish_recording(ctx: FlowContext, rec: CallRecord, incoming: Path,
                            final: Path) -> str | None:
    """Publish the file only once it is complete: stop, move into place, index."""
    try:
        seconds = await ctx.pool.stop_record(str(incoming))
    except Exception as exc:
        log.error("recording did not finish call=%s error=%s", rec.id, exc)
        return None
    if not incoming.exists():
        return None
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(incoming, final)
    relative = str(final.relative_to(ctx.cfg.recordings_dir))
    await ctx.store.recordings.add(path=relative, call_id=rec.id,
                                   seconds=float(seconds or 0.0),
                                   size=final.stat().st_size, created_at=ctx.clock.wall())
    ctx.bus.publish("recording.ready", call=rec.id, path=relative)
    return relative

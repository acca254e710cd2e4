"""A caller waiting in a queue, offered to agents, connected and recorded.

The ACD engine decides; this coroutine carries one call through it and carries out
every decision about it: ``Offer`` (dial the seat the engine picked, in the caller's
media node, through Kamailio; while it rings another seat of the queue may pick the call
up), ``Announce`` and ``OfferCallback`` (``flows.waiting``: what the caller hears
meanwhile), ``Overflow`` (max wait, max length, join- and leave-when-empty: into the next
queue of the engine, or out to the queue's overflow target, which ``wait_and_connect``
returns to ``flows.inbound.follow``), and the caller's exit key. Once connected, the
conversation is a ``firmware.cti.live.LiveCall`` (hold, transfers, conference,
supervision, recording by rule or on demand) until it ends or a blind transfer sends the
caller to another queue, which this flow then waits in; the queue's whisper, agent
number and survey run around it (``ConnectHooks``). The queue-log lines an
Asterisk-trained supervisor expects are written on the way (ENTERQUEUE, RINGNOANSWER,
CONNECT, TRANSFER, COMPLETECALLER / COMPLETEAGENT, ABANDON, EXITWITHTIMEOUT, EXITEMPTY,
JOINEMPTY, FULL, EXITWITHKEY, CALLBACK).
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from acd_core import acd

from firmware import speech
from firmware.clock import first
from firmware.errors import MediaError
from firmware.flows import callback as callback_flow, screenpop
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.flows.waiting import Hold
from firmware.store import CallRecord, Queue, QueueEvent
from firmware.store.inbound import QueueRules
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.queue")

#: the queue-log event for each reason the engine makes a call leave a queue
EXIT_EVENTS = {"max-wait": "EXITWITHTIMEOUT", "leave-empty": "EXITEMPTY",
               "join-empty": "JOINEMPTY", "full": "FULL"}


async def _queue_log(ctx: FlowContext, event: str, rec: CallRecord, *,
                     wait: float | None = None, talk: float | None = None,
                     ring: float | None = None, info: str = "",
                     position: int | None = None) -> None:
    ctx.bus.publish(f"queue.{event.lower()}", call=rec.id, queue=rec.queue, agent=rec.agent,
                    wait=wait, talk=talk, ring=ring)
    await ctx.records.queue_event(QueueEvent(
        ts=ctx.clock.wall(), call_id=rec.id, queue=rec.queue, event=event, agent=rec.agent,
        position=position, wait_s=wait, talk_s=talk, ring_s=ring, info=info))


_SIP_USER = re.compile(r"^[0-9A-Za-z+*#._-]{1,64}$")


def _caller_user(rec: CallRecord) -> str:
    """The caller's number as the user part of the From the seat's phone shows."""
    return rec.caller_number if _SIP_USER.match(rec.caller_number) else "anonymous"


def _moh_path(ctx: FlowContext, queue: Queue) -> str:
    return str(ctx.cfg.prompts_dir / queue.moh_file) if queue.moh_file else str(ctx.moh_path)


@dataclass
class ConnectHooks:
    """What a feature adds around a connected call: ``before_bridge(agent_leg)`` (agent ID
    to the caller, whisper to the agent) and ``after_agent()`` (the survey, while the
    caller is still on the line after the agent hung up)."""
    before_bridge: Callable[[Any], Awaitable[None]] | None = None
    after_agent: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True)
class _Requeue:
    queue: str                       # a blind transfer sent the caller to this queue


async def wait_and_connect(ctx: FlowContext, channel: Channel, queue: Queue,
                           rec: CallRecord, state: CallState | None = None) -> str | None:
    """Runs until the call ends (None) or leaves the queue for another target (its text;
    '' = the default: no agent, hang up). Fills ``rec``; the caller owns writing it."""
    state = state or CallState()
    while True:
        nxt = await _wait_and_connect(ctx, channel, queue, rec, state)
        if not isinstance(nxt, _Requeue):
            return nxt
        found = await ctx.store.config.queue(nxt.queue)
        if found is None:
            log.error("transfer to a missing queue call=%s queue=%s", rec.id, nxt.queue)
            await channel.hangup()
            rec.disposition, rec.hangup_by = "failed", "system"
            rec.failure_reason = f"transferred to a missing queue {nxt.queue!r}"
            return None
        queue = found


async def _wait_and_connect(ctx: FlowContext, channel: Channel, queue: Queue,
                            rec: CallRecord, state: CallState) -> "str | _Requeue | None":
    """One stay in ``queue``: None (the call is over), a target it leaves for, or the
    queue a blind transfer sent it to."""
    rec.queue = queue.name
    rules = await ctx.store.inbound.queue_rules(queue.name)
    entered = ctx.clock.now()
    waiting = ctx.acd.enqueue(rec.id, rec.queue, priority=state.priority)
    await _queue_log(ctx, "ENTERQUEUE", rec, info=rec.caller_number,
                     position=ctx.acd.position(rec.id) or None)
    await ctx.records.stage(rec, "queued")
    card = await screenpop.lookup(ctx, rec, state)
    hold = Hold(ctx, channel, rec, state, queue, rules)
    ended = channel.ended
    pending: list[Any] = []
    while not waiting.offers.empty():         # what the engine decided as the call joined
        pending.append(waiting.offers.get_nowait())
    try:
        if not any(isinstance(d, acd.Overflow) for d in pending):   # join-empty, full: no music
            try:
                await hold.start()
            except MediaError:
                if not ended.done():
                    raise
                await _abandon(ctx, rec, entered)        # gone while we were queueing them
                return None
        while True:
            if pending:
                offer_task: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                offer_task.set_result(pending.pop(0))
                done = {offer_task}
            else:
                offer_task = asyncio.ensure_future(waiting.offers.get())
                done = await first(ctx.clock, {offer_task, ended} | hold.waits())
            if ended in done:
                offer_task.cancel()
                await _abandon(ctx, rec, entered)
                return None
            asked = await hold.handle(done)
            if asked == "exit" and hold.rules.exit_target == "callback":
                asked = "callback"
            if asked == "callback":
                if await callback_flow.request(ctx, channel, rec, state, hold.queue,
                                               hold.rules, entered):
                    offer_task.cancel()
                    return None               # the callback runner has the call now
                await hold.resume()           # no number to call back: still in line
            elif asked == "exit":
                offer_task.cancel()
                return await _exit_key(ctx, rec, hold, entered)
            if not offer_task.done():         # (a decision may have come in meanwhile)
                offer_task.cancel()
                continue
            decision = offer_task.result()
            if isinstance(decision, acd.Offer):
                result = await _offer(ctx, channel, rec, state, hold, waiting, decision, card,
                                      entered)
                if result is not _RINGING_FAILED:
                    return result
                if ended.done():
                    await _abandon(ctx, rec, entered)
                    return None
            elif isinstance(decision, acd.Announce):
                await hold.announce(decision)
            elif isinstance(decision, acd.OfferCallback):
                await hold.offer_callback(decision)
            elif isinstance(decision, acd.Overflow):
                target = await _overflow(ctx, rec, hold, decision, entered)
                if target is not None:
                    return target
            else:
                log.info("acd decision call=%s %s", rec.id, type(decision).__name__)
    finally:
        hold.close()


_RINGING_FAILED = object()


async def _offer(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                 hold: Hold, waiting: Any, decision: acd.Offer, card: dict[str, Any] | None,
                 entered: float) -> Any:
    """Ring the offered seat: the call's result once connected, or ``_RINGING_FAILED``."""
    queue = hold.queue
    agent = decision.agent
    rec.agent = agent
    rec.ring_started_at = ctx.clock.wall()
    ring_start = ctx.clock.now()
    hold.stop_keys()
    await screenpop.offered(ctx, rec, state, agent, card)
    try:
        agent_leg = await ctx.seats.dial(
            channel.media_leg, agent, caller_id=_caller_user(rec),
            caller_name=queue.display_for(rec.caller_number, rec.caller_name))
    except MediaError as exc:
        log.warning("dial failed call=%s agent=%s error=%s", rec.id, agent, exc)
        ctx.acd.offer_failed(rec.id, agent, timed_out=False)
        await _queue_log(ctx, "RINGNOANSWER", rec, ring=0.0, info=str(exc)[:200])
        rec.agent, rec.ring_started_at = "", None
        return _RINGING_FAILED
    ended = channel.ended
    answered = asyncio.ensure_future(agent_leg.answered.wait())
    offer = ctx.cti.offer_ringing(agent, rec.id, queue.name, channel.media_leg, agent_leg)
    try:
        done, cancelled = await _ring(ctx, waiting, agent, queue, hold,
                                      {answered, agent_leg.ended, ended, offer.picked})
    finally:
        ctx.cti.offer_done(offer)
    hooks = _hooks(ctx, channel, rec, state, hold.rules, queue.name)
    if answered in done:
        return await _connect(ctx, channel, agent_leg, rec, entered, queue, hooks=hooks)
    answered.cancel()
    await agent_leg.hangup()
    if offer.picked in done and not offer.picked.cancelled():
        picker, leg = offer.picked.result()     # another seat of the queue took it
        ctx.acd.abandon(rec.id)                  # the ringing agent is released, no penalty
        rec.agent = picker
        return await _connect(ctx, channel, leg, rec, entered, queue, offered=False,
                              info="pickup", hooks=hooks)
    if cancelled:                                # the engine withdrew the offer
        await _queue_log(ctx, "RINGNOANSWER", rec, ring=round(ctx.clock.now() - ring_start, 3),
                         info=f"cancelled: {cancelled}")
        rec.agent, rec.ring_started_at = "", None
        await hold.resume()
        return _RINGING_FAILED
    ring = round(ctx.clock.now() - ring_start, 3)
    ctx.acd.offer_failed(rec.id, agent, timed_out=not done)
    await _queue_log(ctx, "RINGNOANSWER", rec, ring=ring,
                     info="timeout" if not done else "declined or unreachable")
    rec.agent, rec.ring_started_at = "", None
    if not ended.done() and hold.speaking is None:
        await hold.resume()
    return _RINGING_FAILED


async def _ring(ctx: FlowContext, waiting: Any, agent: str, queue: Queue, hold: Hold,
                waits: set[Any]) -> tuple[set[Any], str]:
    """Wait while ``agent`` rings: until one of ``waits``, the ring timeout, or the engine
    cancelling this offer (the agent logged out or took another call): its reason. An
    announcement that ends meanwhile gives the music back."""
    deadline = ctx.clock.now() + float(queue.ring_timeout_s)
    while True:
        decision = asyncio.ensure_future(waiting.offers.get())
        speaking = hold.speaking
        try:
            done = await first(ctx.clock, waits | {decision} | ({speaking} if speaking else set()),
                               max(0.0, deadline - ctx.clock.now()))
        finally:
            if not decision.done():
                decision.cancel()
        if speaking is not None and speaking in done:
            await hold.handle({speaking})             # music again
            done.discard(speaking)
            if not done:
                continue
        if decision in done:
            d = decision.result()
            if isinstance(d, acd.OfferCancelled) and d.agent == agent:
                return set(), d.why
            log.info("acd decision while ringing call=%s %s", waiting.call, type(d).__name__)
            if done == {decision}:
                continue
        return done - {decision}, ""


async def _overflow(ctx: FlowContext, rec: CallRecord, hold: Hold, d: acd.Overflow,
                    entered: float) -> str | None:
    """Log the exit; into the next queue of the engine (None: keep waiting) or out."""
    from firmware.flows.inbound import note
    wait = round(ctx.clock.now() - entered, 3)
    await _queue_log(ctx, EXIT_EVENTS.get(d.why, "EXITEMPTY"), rec, wait=wait, info=d.why)
    note(rec, f"overflow:{d.why}")
    ctx.bus.publish("queue.overflow", call=rec.id, queue=d.queue, target=d.target, why=d.why,
                    waited=round(d.waited, 3))
    if d.target is not None and ctx.acd.waiting(rec.id) is not None:   # next engine queue
        queue = await ctx.store.config.queue(d.target)
        if queue is not None:
            rec.queue = queue.name
            hold.switch(queue, await ctx.store.inbound.queue_rules(queue.name))
            await _queue_log(ctx, "ENTERQUEUE", rec, info=rec.caller_number,
                             position=ctx.acd.position(rec.id) or None)
            await hold.resume()
            return None
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    return d.target or ""


async def _exit_key(ctx: FlowContext, rec: CallRecord, hold: Hold, entered: float) -> str:
    """The caller pressed the queue's exit key: out of the queue to its exit target."""
    from firmware.flows.inbound import note
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    target = hold.rules.exit_target
    ctx.acd.abandon(rec.id)
    await _queue_log(ctx, "EXITWITHKEY", rec, wait=rec.wait_s,
                     info=f"{hold.rules.exit_key}>{target}")
    note(rec, "exit-key")
    return target


def _hooks(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
           rules: QueueRules, queue: str) -> ConnectHooks:
    from firmware.flows import survey

    async def before_bridge(leg: Any) -> None:
        await whisper_and_announce(ctx, channel, rec, state, rules, queue, leg)

    async def after_agent() -> None:
        await survey.run(ctx, channel, rec, state, rules.survey)
    return ConnectHooks(before_bridge if rules.whisper or rules.announce_agent else None,
                        after_agent if rules.survey else None)


async def whisper_and_announce(ctx: FlowContext, channel: Channel, rec: CallRecord,
                               state: CallState, rules: QueueRules, queue: str,
                               agent_leg: Any) -> None:
    """The queue's name (and VIP) to the agent, the agent's number to the caller; both at
    once, each on its own leg, before the two are bridged."""
    plays = []
    if rules.whisper:
        text = speech.phrase("whisper_vip" if state.vip else "whisper", rules.language,
                             queue=queue)
        path = await ctx.prompts.text(text, rules.language)
        agent_leg.play_done.clear()
        await agent_leg.play(str(path))
        plays.append(asyncio.ensure_future(agent_leg.play_done.wait()))
        ctx.bus.publish("queue.whisper", call=rec.id, queue=queue, agent=rec.agent,
                        vip=state.vip)
    if rules.announce_agent:
        path = await ctx.prompts.phrase("agent", state.lang,
                                        agent=speech.digits(rec.agent, state.lang))
        await channel.play(str(path))
        plays.append(asyncio.ensure_future(channel.wait_play_done()))
        ctx.bus.publish("queue.agent_announced", call=rec.id, queue=queue, agent=rec.agent)
    from firmware.timers import TIMERS
    deadline = ctx.clock.now() + TIMERS["flow.prompt_max"]
    try:
        for p in plays:
            left = deadline - ctx.clock.now()
            await first(ctx.clock, {p, channel.ended, agent_leg.ended}, max(0.0, left))
            if channel.ended.done() or agent_leg.ended.done():
                break
    finally:
        for p in plays:
            p.cancel()


async def _abandon(ctx: FlowContext, rec: CallRecord, entered: float) -> None:
    ctx.acd.abandon(rec.id)
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    rec.disposition = "abandoned"
    rec.hangup_by = "caller"
    await _queue_log(ctx, "ABANDON", rec, wait=rec.wait_s)


async def _connect(ctx: FlowContext, channel: Channel, agent_leg: Any, rec: CallRecord,
                   entered: float, queue: Queue | None, offered: bool = True,
                   info: str = "", *, hooks: ConnectHooks | None = None,
                   in_acd: bool = True, acd_call: str | None = None) -> "_Requeue | None":
    """The seat answered (or picked the call up): a ``LiveCall`` until the call is over;
    the queue a blind transfer sent the caller to, else None. ``in_acd``: a queue call
    (False: a call routed straight to a seat or outside, which the engine only sees as
    its agent being busy); ``acd_call``: the engine's id of the call when it is not the
    record's (a callback)."""
    from firmware.cti.live import LiveCall
    agent = rec.agent
    engine_id = acd_call or rec.id
    offered = offered and in_acd
    if offered:
        ctx.acd.offer_accepted(engine_id, agent)
    rec.agent_answered_at = rec.agent_answered_at or ctx.clock.wall()
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    if in_acd:
        await _queue_log(ctx, "CONNECT", rec, wait=rec.wait_s, info=info)
    await ctx.records.stage(rec, "connected")
    live = LiveCall(ctx.cti, rec, channel.media_leg, agent or None, agent_leg, queue=queue,
                    queue_agent=agent if offered else None, acd_id=engine_id)
    survey = hooks is not None and hooks.after_agent is not None
    live.keep_customer = survey            # the survey needs the caller after the agent
    await live.prepare()                # the recording rule, before anyone talks
    if hooks is not None and hooks.before_bridge is not None:
        try:
            await hooks.before_bridge(agent_leg)
        except Exception as exc:             # a prompt that fails must not lose the call
            log.error("before-bridge prompts failed call=%s error=%s", rec.id, exc)
    talk_started = ctx.clock.now()
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
        return _Requeue(outcome.requeue)
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
    if in_acd:
        await _queue_log(ctx, event, rec, wait=rec.wait_s, talk=rec.talk_s, info=info)
    if survey and not channel.ended.done():   # the agent hung up; the caller is still on
        if not outcome.node_failed:
            try:
                await hooks.after_agent()    # type: ignore[union-attr,misc]
            except Exception as exc:
                log.error("after-call step failed call=%s error=%s", rec.id, exc)
        if not channel.ended.done():
            await channel.hangup()
    return None

"""Callbacks: the caller hangs up, keeps the place in line, and is called back.

``request`` (the caller pressed the key of the callback offer or a queue's exit key
that leads to a callback): the engine turns the caller into a virtual one that keeps
its join time (``CallbackRequested``), the promise is written to the ``callbacks``
table, the caller hears the number we will call and the call ends (``CALLBACK`` in the
queue log, CDR ``no-agent`` / outcome ``callback``). A task then waits for the engine to
reserve an agent (``CallbackDue``: exactly one agent, whatever the strategy) and:

1. opens a conversation on a media node (``MediaPool.open_conversation``) and rings the
   reserved agent's seat; no answer: ``OfferTimedOut``/``OfferFailed``, the callback
   goes back to its place;
2. tells the agent what this is (whisper) and dials the customer on the same kind of
   line the call came in on (``Trunks.dial(..., route_hint=<the call's trunk>)``);
3. answered: ``OfferAccepted``, bridged and recorded like any call, with a CDR of its own
   (direction ``out``, outcome ``callback:<the first call's id>``); no answer: the agent
   is released (``CallAbandoned``) and after ``callback_retry_s`` the callback enters the
   queue again with its original join time, up to ``callback_attempts`` tries.

Waiting callbacks are re-entered at the next start (``restore``), so a promise survives
a restart of the daemon.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from acd_core import acd
from firmware import speech
from firmware.clock import first, sleep
from firmware.cti.trunks import NoTrunks
from firmware.errors import CallboxError, FlowError, MediaError
from firmware.flows import screenpop
from firmware.flows.acd_runner import WaitingCall
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.flows.say import play_through
from firmware.store import CallRecord, Queue
from firmware.store.inbound import QueueRules
from firmware.store.voicemail import Callback
from firmware.telephony.channel import Channel
from firmware.telephony.sip import SipChannel
from firmware.timers import TIMERS

log = logging.getLogger("callbox.flows.callback")

_DIALABLE = re.compile(r"^\+?[0-9]{3,20}$")


def available(ctx: FlowContext) -> bool:
    """Can this box call anybody back (a pool that opens conversations, trunks)?"""
    return ctx.trunks is not None and not isinstance(ctx.trunks, NoTrunks) \
        and hasattr(ctx.pool, "open_conversation")


async def request(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                  queue: Queue, rules: QueueRules, entered: float) -> bool:
    """Promise a callback; False (the caller stays in line) when there is no number, or
    when this box cannot dial out (no promise it cannot keep)."""
    from firmware.flows.inbound import note
    from firmware.flows.queue import _queue_log
    if not available(ctx):
        await play_through(ctx.clock, channel,
                           await ctx.prompts.phrase("callback_unavailable", state.lang))
        return False
    waiting = ctx.acd.waiting(rec.id)
    if not _DIALABLE.match(rec.caller_number) or waiting is None:
        await play_through(ctx.clock, channel,
                           await ctx.prompts.phrase("callback_no_number", state.lang))
        return False
    ctx.acd.request_callback(rec.id)
    joined_wall = ctx.clock.wall() - (ctx.clock.now() - waiting.joined)
    cb = Callback(rec.id, queue.name, rec.caller_number, rec.trunk, joined_wall)
    try:
        await ctx.store.voicemail.put_callback(cb)
    except CallboxError as exc:          # the promise holds in memory until the next start
        log.error("callback not stored call=%s error=%s", rec.id, exc)
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    await _queue_log(ctx, "CALLBACK", rec, wait=rec.wait_s, info=rec.caller_number)
    note(rec, "callback")
    ctx.bus.publish("queue.callback_requested", call=rec.id, queue=queue.name,
                    number=rec.caller_number)
    rec.disposition, rec.hangup_by = "no-agent", "system"
    await play_through(ctx.clock, channel, await ctx.prompts.phrase(
        "callback_confirm", state.lang, number=speech.digits(rec.caller_number, state.lang)))
    if not channel.ended.done():
        await channel.hangup()
    ctx.tasks.spawn(run(ctx, cb, waiting, rules), name=f"callback {rec.id}")
    return True


async def restore(ctx: FlowContext) -> int:
    """Re-enter the callbacks a previous run promised (at their original places)."""
    restored = 0
    for cb in await ctx.store.voicemail.callbacks("waiting"):
        if await ctx.store.config.queue(cb.queue) is None:
            await _finish(ctx, cb, "failed", "queue deleted")
            continue
        joined = ctx.clock.now() - max(0.0, ctx.clock.wall() - cb.joined_at)
        waiting = ctx.acd.enqueue(cb.call_id, cb.queue, joined=joined, callback=True)
        rules = await ctx.store.inbound.queue_rules(cb.queue)
        ctx.tasks.spawn(run(ctx, cb, waiting, rules), name=f"callback {cb.call_id}")
        restored += 1
    return restored


async def run(ctx: FlowContext, cb: Callback, waiting: WaitingCall, rules: QueueRules) -> None:
    """Wait for the agent the engine reserves, call back, retry on no answer."""
    attempts = cb.attempts
    joined = waiting.joined
    while True:
        decision = await waiting.offers.get()
        if isinstance(decision, acd.Overflow) and ctx.acd.waiting(cb.call_id) is None:
            await _finish(ctx, cb, "failed", f"left the queue: {decision.why}")
            return
        if not isinstance(decision, acd.CallbackDue):
            continue
        try:
            outcome = await _attempt(ctx, cb, decision.agent, rules, joined)
        except (FlowError, MediaError, CallboxError) as exc:
            log.error("callback attempt failed call=%s error=%s", cb.call_id, exc)
            ctx.acd.abandon(cb.call_id)
            await _finish(ctx, cb, "failed", str(exc)[:100])
            return
        if outcome == "connected":
            await _finish(ctx, cb, "done", "connected", attempts + 1)
            return
        if outcome == "agent-missed":
            continue                       # the engine put the callback back in its place
        attempts += 1
        ctx.acd.abandon(cb.call_id)        # releases the agent
        if attempts >= rules.callback_attempts:
            await _finish(ctx, cb, "failed", "no answer", attempts)
            return
        await ctx.store.voicemail.put_callback(
            Callback(cb.call_id, cb.queue, cb.number, cb.trunk, cb.joined_at, "waiting",
                     attempts, "no answer"))
        ctx.bus.publish("queue.callback_retry", call=cb.call_id, queue=cb.queue,
                        attempts=attempts, retry_in_s=rules.callback_retry_s)
        await sleep(ctx.clock, float(rules.callback_retry_s))
        waiting = ctx.acd.enqueue(cb.call_id, cb.queue, joined=joined, callback=True)


async def _finish(ctx: FlowContext, cb: Callback, state: str, outcome: str,
                  attempts: int | None = None) -> None:
    ctx.bus.publish("queue.callback_" + ("done" if state == "done" else "failed"),
                    call=cb.call_id, queue=cb.queue, outcome=outcome)
    try:
        await ctx.store.voicemail.put_callback(
            Callback(cb.call_id, cb.queue, cb.number, cb.trunk, cb.joined_at, state,
                     cb.attempts if attempts is None else attempts, outcome))
    except CallboxError as exc:
        log.error("callback state not stored call=%s error=%s", cb.call_id, exc)


async def _attempt(ctx: FlowContext, cb: Callback, agent: str, rules: QueueRules,
                   joined: float) -> str:
    """One try: ring the reserved agent, then the customer. Returns ``connected``,
    ``agent-missed`` or ``customer-missed``."""
    from firmware.flows.queue import _connect
    if not available(ctx):
        raise FlowError("a callback needs MediaPool.open_conversation and firmware.trunks"
                        " (docs/design/call-features.md section 4), which this build lacks",
                        call=cb.call_id, step="callback")
    queue = await ctx.store.config.queue(cb.queue)
    if queue is None:
        raise FlowError("the callback's queue was deleted", call=cb.call_id, step="callback",
                        queue=cb.queue)
    await screenpop.offered(ctx, _as_record(cb), CallState(), agent,
                            await screenpop.lookup(ctx, _as_record(cb), CallState()),
                            callback=True)
    conv = await ctx.pool.open_conversation(2)
    rec: CallRecord | None = None
    try:
        agent_leg = await conv.dial(ctx.seats.uri(agent), caller_id=cb.number,
                                    caller_name=f"callback {cb.queue}"[:64])
        if not await _answered(ctx, agent_leg, TIMERS["flow.callback_agent_ring"]):
            await agent_leg.hangup()
            ctx.acd.offer_failed(cb.call_id, agent, timed_out=not agent_leg.ended.done())
            return "agent-missed"
        text = speech.phrase("whisper_callback", rules.language, queue=cb.queue)
        await _play_on(ctx, agent_leg, await ctx.prompts.text(text, rules.language))
        rec = CallRecord(caller_number=cb.number, trunk=cb.trunk, queue=cb.queue, agent=agent,
                         started_at=ctx.clock.wall(), direction="out",
                         outcome=f"callback:{cb.call_id}"[:64])
        rec.dialed_number = await _e164(ctx, cb.number)
        await ctx.records.stage(rec, "started")
        try:
            customer = await ctx.trunks.dial(agent_leg, cb.number, caller_id=None,
                                             route_hint=cb.trunk or None)
        except CallboxError as exc:           # RouteError, TrunksBusy, a media failure
            await agent_leg.hangup()
            rec.disposition, rec.hangup_by = "no-agent", "system"
            rec.failure_reason = f"callback not dialled: {exc}"[:200]
            return "customer-missed"
        if not await _answered(ctx, customer, TIMERS["flow.callback_customer_ring"]):
            await customer.hangup()
            await agent_leg.hangup()
            rec.disposition, rec.hangup_by = "no-agent", "system"
            rec.failure_reason = "the customer did not answer the callback"
            return "customer-missed"
        rec.answered_at = ctx.clock.wall()
        channel = SipChannel(customer)
        await play_through(ctx.clock, channel, await ctx.prompts.phrase("callback_intro",
                                                                         rules.language))
        await _connect(ctx, channel, agent_leg, rec, joined, queue, acd_call=cb.call_id)
        return "connected"
    finally:
        await conv.close()
        if rec is not None:
            if not rec.ended_at:
                rec.ended_at = max(ctx.clock.wall(), rec.started_at)
            await ctx.records.finish(rec)


def _as_record(cb: Callback) -> CallRecord:
    return CallRecord(id=cb.call_id, caller_number=cb.number, queue=cb.queue, trunk=cb.trunk)


async def _answered(ctx: FlowContext, leg: Any, timeout: float) -> bool:
    answered = asyncio.ensure_future(leg.answered.wait())
    try:
        done = await first(ctx.clock, {answered, leg.ended}, timeout)
        return answered in done
    finally:
        answered.cancel()


async def _play_on(ctx: FlowContext, leg: Any, path: Any) -> None:
    leg.play_done.clear()
    await leg.play(str(path))
    done = asyncio.ensure_future(leg.play_done.wait())
    try:
        await first(ctx.clock, {done, leg.ended}, TIMERS["flow.prompt_max"])
    finally:
        done.cancel()


async def _e164(ctx: FlowContext, number: str) -> str:
    if number.startswith("+"):
        return number
    snap = await ctx.router.snapshot()
    forms = [f for f in snap.caller_forms(number) if f.startswith("+")]
    return forms[0] if forms else ""

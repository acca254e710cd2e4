"""Every inbound call starts here, whatever line it came in on.

The route (``flows.routing``: DID and line, caller lists, schedule) names where the call
goes first; ``follow`` carries targets out one after the other (an IVR leads to a queue,
a queue overflows to a voicemail box ...) until one ends the call. The call's record
exists from its first moment (stage ``started``) and follows it (``answered``, then the
queue's stages); the CDR replaces it exactly once, in ``finally``, so a call that fails
half-way (node crash, bad config, a bug) still leaves its record, and a daemon killed
mid-call leaves the live row its next start turns into a CDR.
"""
from __future__ import annotations

import logging

from firmware.errors import FlowError
from firmware.flows import admission, forward, ivr, queue as queue_flow, seat, voicemail
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.flows.say import play_through
from firmware.store import CallRecord
from firmware.store.targets import ROUTABLE, Target
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.inbound")

MAX_HOPS = 12          # targets one call may pass through (a loop of overflows ends here)


async def handle(ctx: FlowContext, channel: Channel) -> CallRecord:
    info = channel.info
    rec = CallRecord(caller_number=info.caller.number, caller_name=info.caller.name,
                     did=info.did, trunk=info.trunk, category=info.category,
                     started_at=ctx.clock.wall())
    ctx.bus.publish("call.started", call=rec.id, caller=rec.caller_number, did=rec.did,
                    trunk=rec.trunk, channel=channel.id)
    await ctx.records.stage(rec, "started")
    try:
        await _route(ctx, channel, rec)
    except Exception as exc:
        rec.disposition = "failed"
        rec.hangup_by = "system"
        rec.failure_reason = f"{type(exc).__name__}: {exc}"[:200]
        log.exception("call flow failed call=%s", rec.id)
        if not channel.ended.done():
            try:
                await channel.hangup()
            except Exception:
                log.exception("hangup after failure failed call=%s", rec.id)
    finally:
        if not rec.ended_at:                 # the queue sets it when the talk ends
            rec.ended_at = max(ctx.clock.wall(), rec.started_at)
        await ctx.records.finish(rec)
        ctx.bus.publish("call.ended", call=rec.id, disposition=rec.disposition,
                        queue=rec.queue, agent=rec.agent, outcome=rec.outcome)
    return rec


def note(rec: CallRecord, what: str) -> None:
    """Add a step to the CDR's outcome ('overflow:max-wait>voicemail:sales')."""
    rec.outcome = (f"{rec.outcome}>{what}" if rec.outcome else what)[-64:]


async def _route(ctx: FlowContext, channel: Channel, rec: CallRecord) -> None:
    decision = await ctx.router.decide(rec.trunk, rec.did, rec.caller_number, ctx.clock.wall())
    if decision is None:
        log.info("no route call=%s did=%s trunk=%s", rec.id, rec.did, rec.trunk)
        rec.disposition = "rejected"
        rec.failure_reason = f"no route for DID {rec.did!r} from trunk {rec.trunk!r}"
        await channel.reject(404, "Not Found")
        return
    state = CallState(lang=await _language(ctx, decision.target))
    if decision.blocked is not None:
        note(rec, "blocked")
        ctx.bus.publish("call.blocked", call=rec.id, caller=rec.caller_number,
                        entry=decision.blocked.id, target=decision.target)
        if decision.target == "hangup":
            rec.disposition, rec.hangup_by = "rejected", "system"
            rec.failure_reason = f"blocked caller {decision.blocked.note}".strip()[:200]
            await channel.reject(603, "Decline")
            return
    if decision.vip is not None:
        state.vip = True
        state.priority += decision.vip.priority
        ctx.bus.publish("call.vip", call=rec.id, entry=decision.vip.id,
                        priority=state.priority, target=decision.target)
    if decision.closed:
        note(rec, decision.closed)
        ctx.bus.publish("call.closed_hours", call=rec.id, why=decision.closed,
                        schedule=decision.route.schedule, target=decision.target)
    if decision.target == "hangup":
        rec.disposition, rec.hangup_by = "rejected", "system"
        rec.failure_reason = "the route hangs up" + (" while closed" if decision.closed else "")
        await channel.reject(603, "Decline")
        return
    refused = await admission.refusal(ctx, decision.target)
    if refused is not None:
        await _refuse(ctx, channel, rec, refused)
        return
    await channel.answer()
    rec.answered_at = ctx.clock.wall()
    await ctx.records.stage(rec, "answered")
    await follow(ctx, channel, rec, state, decision.target)


async def _refuse(ctx: FlowContext, channel: Channel, rec: CallRecord,
                  refused: admission.Refusal) -> None:
    """Nobody would take the call: refuse it unanswered with the queue's signal
    (``flows.admission``), leaving a ``rejected`` CDR that names the queue and why."""
    log.info("refused before answer call=%s queue=%s why=%s signal=%s", rec.id,
             refused.queue, refused.why, refused.signal)
    note(rec, f"refused:{refused.why}")
    rec.queue = refused.queue
    rec.disposition, rec.hangup_by = "rejected", "system"
    rec.failure_reason = refused.describe()[:200]
    ctx.bus.publish("call.refused", call=rec.id, queue=refused.queue, why=refused.why,
                    signal=refused.signal, code=refused.code, via=list(refused.via))
    await channel.reject(refused.code, refused.reason)


async def _language(ctx: FlowContext, target: str) -> str:
    """A call speaks the language of the first IVR or queue it meets (else English)."""
    t = Target.parse(target)
    if t.kind == "queue":
        return (await ctx.store.inbound.queue_rules(t.name)).language
    if t.kind == "voicemail":
        box = await ctx.store.voicemail.box(t.name)
        return box.language if box else "en"
    if t.kind == "ivr":
        tree = await ctx.store.inbound.ivr_tree(t.name)
        return tree.language if tree else "en"
    return "en"


async def follow(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                 target: str | None) -> None:
    """Carry out ``target`` and whatever it leads to, until the call is over."""
    while True:
        if channel.ended.done():
            if rec.disposition == "failed" and not rec.failure_reason:
                rec.disposition, rec.hangup_by = "abandoned", "caller"
            return
        if not target:
            rec.disposition, rec.hangup_by = "no-choice", "system"
            await channel.hangup()
            return
        state.hops += 1
        if state.hops > MAX_HOPS:
            raise FlowError("the call went through too many targets (a loop in the"
                            " configuration?)", call=rec.id, step="follow", target=target)
        t = Target.parse(target, "target", ROUTABLE)
        ctx.bus.publish("call.target", call=rec.id, target=str(t), hop=state.hops)
        if t.kind == "ivr":
            target = await ivr.run(ctx, channel, rec, state, t.name)
            if target is None and not channel.ended.done():
                rec.disposition, rec.hangup_by = "no-choice", "system"
                await channel.hangup()
                return
        elif t.kind == "queue":
            queue = await ctx.store.config.queue(t.name)
            if queue is None:
                raise FlowError(f"target names a missing queue {t.name!r}", call=rec.id,
                                step="queue", queue=t.name)
            target = await queue_flow.wait_and_connect(ctx, channel, queue, rec, state)
            if target == "":
                await _message(ctx, channel, rec, state, phrase="no_agent")
                return
        elif t.kind == "seat":
            await seat.connect(ctx, channel, rec, state, t.name)
            return
        elif t.kind == "voicemail":
            await voicemail.leave(ctx, channel, rec, state, t.name)
            return
        elif t.kind == "number":
            await forward.forward(ctx, channel, rec, state, t.name)
            return
        elif t.kind == "message":
            await _message(ctx, channel, rec, state, prompt=f"prompt:{t.name}")
            return
        else:                                           # hangup
            if rec.disposition not in ("no-choice", "answered"):
                rec.disposition = "no-agent"
            rec.hangup_by = "system"
            await channel.hangup()
            return


async def _message(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                   prompt: str = "", phrase: str = "") -> None:
    """Say one thing, then hang up (closed hours, a blocked caller, no agent)."""
    path = (await ctx.prompts.spec(prompt, state.lang) if prompt
            else await ctx.prompts.phrase(phrase, state.lang))
    await play_through(ctx.clock, channel, path)
    if channel.ended.done():
        rec.disposition, rec.hangup_by = "no-agent", "caller"
        return
    rec.disposition, rec.hangup_by = "no-agent", "system"
    await channel.hangup()


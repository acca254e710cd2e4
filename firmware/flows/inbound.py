"""Every inbound call starts here, whatever line it came in on.

Route by DID -> IVR menu -> queue. The call's record exists from its first
moment (stage ``started``) and follows it (``answered``, then the queue's
stages); the CDR replaces it exactly once, in ``finally``, so a call that fails
half-way (node crash, bad config, a bug) still leaves its record, and a daemon
killed mid-call leaves the live row its next start turns into a CDR.
"""
from __future__ import annotations

import logging

from firmware.errors import FlowError
from firmware.flows import ivr, queue as queue_flow
from firmware.flows.context import FlowContext
from firmware.store import CallRecord
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.inbound")


async def handle(ctx: FlowContext, channel: Channel) -> CallRecord:
    info = channel.info
    rec = CallRecord(caller_number=info.caller.number, caller_name=info.caller.name,
                     did=info.did, trunk=info.trunk, started_at=ctx.clock.wall())
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
                        queue=rec.queue, agent=rec.agent)
    return rec


async def _route(ctx: FlowContext, channel: Channel, rec: CallRecord) -> None:
    did = await ctx.store.config.did(rec.did) if rec.did else None
    if did is not None and did.trunk is not None and did.trunk != rec.trunk:
        did = None
    if did is None or did.target_kind not in ("ivr", "queue"):
        log.info("no route call=%s did=%s trunk=%s", rec.id, rec.did, rec.trunk)
        rec.disposition = "rejected"
        rec.failure_reason = f"no route for DID {rec.did!r} from trunk {rec.trunk!r}"
        await channel.reject(404, "Not Found")
        return
    await channel.answer()
    rec.answered_at = ctx.clock.wall()
    await ctx.records.stage(rec, "answered")
    target: str | None
    if did.target_kind == "ivr":
        row = await ctx.store.config.ivr_menu(did.target)
        if row is None:
            raise FlowError(f"DID {did.number} points at a missing IVR menu", call=rec.id,
                            step="ivr", menu=did.target)
        menu = ivr.Menu(name=row.name, prompt=str(ctx.cfg.prompts_dir / row.prompt_file),
                        options=dict(row.options), timeout=float(row.timeout_s),
                        retries=int(row.retries))
        target = await ivr.run_menu(ctx.clock, channel, menu)
    else:
        target = did.target
    if channel.ended.done():
        rec.disposition = "abandoned"
        rec.hangup_by = "caller"
        return
    if target is None:
        rec.disposition = "no-choice"
        rec.hangup_by = "system"
        await channel.hangup()
        return
    queue = await ctx.store.config.queue(target)
    if queue is None:
        raise FlowError(f"IVR option leads to a missing queue {target!r}", call=rec.id,
                        step="queue", queue=target)
    await queue_flow.wait_and_connect(ctx, channel, queue, rec)

"""Every inbound call starts here, whatever line it came in on.

Route by DID -> IVR menu -> queue; the CDR is written exactly once in
``finally``, so a call that fails half-way (node crash, bad config, a bug)
still leaves its record.
"""
from __future__ import annotations

import logging
from typing import Any

from firmware.flows import ivr, queue as queue_flow
from firmware.flows.call_record import CallRecord
from firmware.flows.context import FlowContext
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.inbound")


async def handle(ctx: FlowContext, channel: Channel) -> CallRecord:
    info = channel.info
    rec = CallRecord(caller=info.caller.number, caller_name=info.caller.name, did=info.did,
                     trunk=info.trunk, started_at=ctx.clock.wall())
    ctx.bus.publish("call.started", call=rec.id, caller=rec.caller, did=rec.did,
                    trunk=rec.trunk, channel=channel.id)
    try:
        await _route(ctx, channel, rec)
    except Exception as exc:
        rec.disposition = "failed"
        rec.failure = f"{type(exc).__name__}: {exc}"
        log.exception("call flow failed call=%s", rec.id)
        if not channel.ended.done():
            try:
                await channel.hangup()
            except Exception:
                log.exception("hangup after failure failed call=%s", rec.id)
    finally:
        rec.ended_at = ctx.clock.wall()
        await ctx.store.cdr.insert(rec.as_row())
        ctx.bus.publish("call.ended", call=rec.id, disposition=rec.disposition,
                        queue=rec.queue, agent=rec.agent)
    return rec


async def _route(ctx: FlowContext, channel: Channel, rec: CallRecord) -> None:
    route = await ctx.store.config.route_for_did(rec.did)
    if route is None:
        log.info("no route call=%s did=%s", rec.id, rec.did)
        rec.disposition = "rejected"
        rec.failure = f"no route for DID {rec.did!r}"
        await channel.reject(404, "Not Found")
        return
    await channel.answer()
    rec.answered_at = ctx.clock.wall()
    target: str | None
    if route["kind"] == "ivr":
        menu_row: dict[str, Any] = route["menu"]
        menu = ivr.Menu(name=menu_row["name"], prompt=str(menu_row["prompt_path"]),
                        options=dict(menu_row["options"]), timeout=float(menu_row["timeout"]),
                        retries=int(menu_row["retries"]))
        target = await ivr.run_menu(channel, menu)
    else:
        target = route["queue"]
    if channel.ended.done():
        rec.disposition = "abandoned"
        rec.hangup_by = "caller"
        return
    if target is None:
        rec.disposition = "no-choice"
        rec.hangup_by = "system"
        await channel.hangup()
        return
    queue = await ctx.store.config.get_queue(target)
    await queue_flow.wait_and_connect(ctx, channel, queue, rec)

"""A call forwarded to an outside number (a closed route's "forward to the duty
phone", an IVR choice): out through the trunks, bridged and recorded.

The far end is reached through ``ctx.trunks`` (``firmware.trunks``, call-features.md
§4: the outbound route table picks the trunk group; ``route_hint`` asks for the kind
of line the call came in on). A route that matches nothing, every trunk busy, or no
answer within ``flow.forward_ring_timeout``: the caller hears so and the call ends as
``no-agent`` with the reason. The CDR keeps the number in ``outcome``
(``forwarded:<number>``).
"""
from __future__ import annotations

import asyncio
import logging

from firmware.clock import first
from firmware.cti.trunks import NoTrunks
from firmware.errors import CallboxError
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.flows.say import play_through
from firmware.store import CallRecord
from firmware.telephony.channel import Channel
from firmware.timers import TIMERS

log = logging.getLogger("callbox.flows.forward")


async def forward(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                  number: str) -> None:
    from firmware.flows.inbound import note
    from firmware.flows.queue import _caller_user, _connect
    note(rec, f"forwarded:{number}")
    entered = ctx.clock.now()
    ctx.bus.publish("call.forwarding", call=rec.id, number=number)
    far = None
    reason = ""
    if ctx.trunks is None or isinstance(ctx.trunks, NoTrunks):
        reason = "forwarding needs firmware.trunks, which this build lacks"
    else:
        await channel.play(str(ctx.moh_path), loop=True)
        try:
            far = await ctx.trunks.dial(channel.media_leg, number, caller_id=_caller_user(rec),
                                        route_hint=rec.trunk or None)
        except CallboxError as exc:                   # RouteError, TrunksBusy, MediaError
            reason = f"forward to {number} failed: {exc}"
    if far is not None:
        answered = asyncio.ensure_future(far.answered.wait())
        try:
            done = await first(ctx.clock, {answered, far.ended, channel.ended},
                               TIMERS["flow.forward_ring_timeout"])
        finally:
            answered.cancel()
        if answered in done:
            rec.agent = ""
            await _connect(ctx, channel, far, rec, entered, None, in_acd=False)
            return
        await far.hangup()
        reason = f"{number} did not answer"
    log.warning("forward failed call=%s reason=%s", rec.id, reason)
    rec.failure_reason = reason[:200]
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    if channel.ended.done():
        rec.disposition, rec.hangup_by = "abandoned", "caller"
        return
    rec.disposition, rec.hangup_by = "no-agent", "system"
    await play_through(ctx.clock, channel, await ctx.prompts.phrase("forward_failed",
                                                                    state.lang))
    if not channel.ended.done():
        await channel.hangup()

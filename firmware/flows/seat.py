"""A call routed straight to one seat (a DID, a VIP's own agent, an IVR choice).

The caller hears music while the seat rings for ``flow.seat_ring_timeout``; answered,
the call is bridged and recorded like a queue call (the ACD is not involved: the seat
was not offered the call by the engine). No answer, a busy seat or one that is not
registered: the caller hears so and the call ends as ``no-agent``.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from firmware.clock import first
from firmware.errors import MediaError
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.flows.say import play_through
from firmware.store import CallRecord
from firmware.telephony.channel import Channel
from firmware.timers import TIMERS

log = logging.getLogger("callbox.flows.seat")


async def connect(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                  extension: str) -> None:
    from firmware.flows.queue import _caller_user, _connect
    rec.agent = extension
    rec.ring_started_at = ctx.clock.wall()
    entered = ctx.clock.now()
    await channel.play(str(ctx.moh_path), loop=True)
    ctx.bus.publish("call.offered", call=rec.id, queue="", agent=extension,
                    caller=rec.caller_number, vip=state.vip, priority=state.priority,
                    data=dict(state.data), callback=False, screen_pop=None)
    try:
        leg = await ctx.seats.dial(channel.media_leg, extension, caller_id=_caller_user(rec),
                                   caller_name=(rec.caller_name or rec.caller_number)[:64])
    except MediaError as exc:
        log.warning("seat dial failed call=%s seat=%s error=%s", rec.id, extension, exc)
        leg = None
    answered: asyncio.Future[Any] | None = None
    done: set[asyncio.Future[Any]] = set()
    if leg is not None:
        answered = asyncio.ensure_future(leg.answered.wait())
        try:
            done = await first(ctx.clock, {answered, leg.ended, channel.ended},
                               TIMERS["flow.seat_ring_timeout"])
        finally:
            if not answered.done():
                answered.cancel()
    if leg is not None and answered in done:
        await _connect(ctx, channel, leg, rec, entered, None, in_acd=False)
        return
    if leg is not None:
        await leg.hangup()
    rec.wait_s = round(ctx.clock.now() - entered, 3)
    rec.agent, rec.ring_started_at = "", None
    if channel.ended.done():
        rec.disposition, rec.hangup_by = "abandoned", "caller"
        return
    rec.disposition, rec.hangup_by = "no-agent", "system"
    rec.failure_reason = f"seat {extension} did not answer"
    await play_through(ctx.clock, channel, await ctx.prompts.phrase("no_answer", state.lang))
    if not channel.ended.done():
        await channel.hangup()

"""The caller's card for the agent: looked up once when the call is queued, masked per
agent and attached to every offer (docs/design/crm-webui.md §7).

The card comes from ``firmware.crm.screenpop.ScreenPop`` (the caller's number, or the
customer or ticket number keyed in the IVR); for each offer it is masked with the
permissions of the user working at the offered seat (``users.seat``), or with the
built-in ``agent`` role when no user is bound to the seat, and published with the
offer as ``call.offered`` (``screen_pop``). Without a CRM (a box built without one)
the offer goes out without a card.
"""
from __future__ import annotations

import logging
from typing import Any

from firmware.crm.masking import mask_tree
from firmware.crm.permissions import BUILTIN_ROLES, Principal
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.store import CallRecord

log = logging.getLogger("callbox.flows.screenpop")


async def lookup(ctx: FlowContext, rec: CallRecord, state: CallState) -> dict[str, Any] | None:
    if ctx.crm is None:
        return None
    try:
        return await ctx.crm.screen_pop.lookup(rec.caller_number, dict(state.entered))
    except Exception as exc:                 # a card is a help, never a reason to drop a call
        log.warning("screen pop lookup failed call=%s error=%s", rec.id, exc)
        return None


async def principal_for_seat(ctx: FlowContext, seat: str) -> Principal:
    crm = ctx.crm
    if crm is not None:
        row = await ctx.store.db.fetchone(
            "SELECT username FROM users WHERE seat = ? AND disabled = 0 ORDER BY id LIMIT 1",
            (seat,))
        if row is not None:
            p = await crm.principal_for_username(row[0])
            if p is not None:
                return p
    return Principal(f"seat:{seat}", "agent", BUILTIN_ROLES["agent"], seat=seat)


async def offered(ctx: FlowContext, rec: CallRecord, state: CallState, agent: str,
                  card: dict[str, Any] | None, callback: bool = False) -> None:
    """Publish the offer with the card as the agent at ``agent`` may see it."""
    shown = None
    if card is not None:
        shown = mask_tree(card, await principal_for_seat(ctx, agent))
    ctx.bus.publish("call.offered", call=rec.id, queue=rec.queue, agent=agent,
                    caller=rec.caller_number, vip=state.vip, priority=state.priority,
                    data=dict(state.data), callback=callback, screen_pop=shown)

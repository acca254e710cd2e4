"""Voicemail: the caller leaves a message in a box (closed hours, a queue's exit key or
overflow, an IVR choice).

The box's greeting (its named prompt, or the built-in one in the box's language; a key
skips it), a beep, then the caller's leg alone is recorded until the caller hangs up,
presses ``#`` or reaches the box's ``max_s``. The WAV is written the way call recordings
are (``var/recordings/.incoming/`` while it grows, moved to ``YYYY/MM/DD/<call>-vm.wav``
once final) and indexed in ``recordings``, so retention, backup and privacy requests
cover it; the ``voicemails`` row says which box and who called. A box with a
``ticket_type`` opens a ticket for every message (the caller's customer when the number
is known). The CDR: ``no-agent``, outcome ``voicemail:<box>``, its recording the message.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from firmware.clock import first
from firmware.crm.phone import mask
from firmware.errors import CallboxError, FlowError, MediaError
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.flows.say import play_through
from firmware.store import CallRecord
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.voicemail")

MIN_SECONDS = 0.5       # shorter than this (a hang-up on the beep) is not kept


async def leave(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                box_name: str) -> None:
    from firmware.flows.inbound import note
    box = await ctx.store.voicemail.box(box_name)
    if box is None:
        raise FlowError(f"target names a missing voicemail box {box_name!r}", call=rec.id,
                        step="voicemail", box=box_name)
    note(rec, f"voicemail:{box.name}")
    rec.disposition, rec.hangup_by = "no-agent", "caller"
    lang = box.language
    greeting = await (ctx.prompts.spec(f"prompt:{box.greeting}", lang) if box.greeting
                      else ctx.prompts.phrase("voicemail", lang))
    await play_through(ctx.clock, channel, greeting, barge_in=True)
    if channel.ended.done():
        return
    await play_through(ctx.clock, channel, await ctx.prompts.tone("beep"))
    if channel.ended.done():
        return
    incoming, final = _recording_paths(ctx, rec)
    if not ctx.records.recording_allowed:
        log.error("voicemail not recorded: the disk is full call=%s", rec.id)
        rec.failure_reason = "voicemail not recorded: disk full"
        await channel.hangup()
        rec.hangup_by = "system"
        return
    try:
        await ctx.pool.record(channel.media_leg, None, str(incoming))
    except MediaError as exc:
        if channel.ended.done():
            return
        raise FlowError(f"voicemail recording did not start: {exc}", call=rec.id,
                        step="voicemail") from exc
    started = ctx.clock.now()
    ctx.bus.publish("voicemail.recording", call=rec.id, box=box.name)
    key = asyncio.ensure_future(_hash_key(channel))
    try:
        done = await first(ctx.clock, {key, channel.ended}, float(box.max_s))
    finally:
        key.cancel()
    seconds = round(ctx.clock.now() - started, 3)
    path = await _finish_recording(ctx, rec, incoming, final)
    if not channel.ended.done():
        rec.hangup_by = "system" if not done else "caller"
        await play_through(ctx.clock, channel, await ctx.prompts.phrase("voicemail_saved",
                                                                        lang))
        if not channel.ended.done():
            await channel.hangup()
    if path is None:
        rec.failure_reason = "voicemail recording lost"
        return
    rec.recording = path
    if seconds < MIN_SECONDS:
        log.info("voicemail too short call=%s seconds=%.2f", rec.id, seconds)
    vm = await ctx.store.voicemail.add(box.name, rec.id, rec.caller_number, rec.caller_name,
                                       path, seconds)
    ctx.bus.publish("voicemail.new", id=vm.id, call=rec.id, box=box.name,
                    caller=rec.caller_number, seconds=seconds, path=path)
    if box.ticket_type and ctx.crm is not None:
        await _ticket(ctx, rec, box.name, box.ticket_type, vm.id, seconds)


def _recording_paths(ctx: FlowContext, rec: CallRecord) -> tuple[Path, Path]:
    incoming = ctx.cfg.recordings_dir / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    day = time.strftime("%Y/%m/%d", time.gmtime(ctx.clock.wall()))
    name = f"{rec.id}-vm.wav"
    return incoming / name, ctx.cfg.recordings_dir / day / name


async def _finish_recording(ctx: FlowContext, rec: CallRecord, incoming: Path,
                            final: Path) -> str | None:
    """Publish the message only once its file is complete: stop, move into place, index
    (as call recordings are: firmware/cti/recording.py)."""
    try:
        seconds = await ctx.pool.stop_record(str(incoming))
    except MediaError as exc:
        log.error("voicemail recording did not finish call=%s error=%s", rec.id, exc)
        return None
    if not incoming.exists():
        log.error("voicemail recording missing after stop call=%s path=%s", rec.id, incoming)
        return None
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(incoming, final)
    relative = str(final.relative_to(ctx.cfg.recordings_dir))
    await ctx.records.recording(relative, rec.id, float(seconds or 0.0))
    ctx.bus.publish("recording.ready", call=rec.id, path=relative)
    return relative


def voicemail_subject(box: str, caller: str) -> str:
    """A ticket's subject names the caller masked: subjects are free text, which the
    masking of read paths does not scan (the full number is on the linked call)."""
    return f"Voicemail in {box} from {mask(caller) if caller else 'an unknown caller'}"[:200]


async def _hash_key(channel: Channel) -> str:
    while True:
        if await channel.next_digit() == "#":
            return "#"


async def _ticket(ctx: FlowContext, rec: CallRecord, box: str, ticket_type: str, vid: int,
                  seconds: float) -> int | None:
    """Open a ticket for a message (also used by the API's 'make a ticket' button)."""
    crm = ctx.crm
    assert crm is not None
    try:
        customer = await crm.customer_for_number(rec.caller_number)
        t = await crm.tickets.create(
            type_=ticket_type, subject=voicemail_subject(box, rec.caller_number),
            actor="system:voicemail", customer_id=customer, call_id=rec.id,
            description=f"Message of {seconds:.0f} s: {rec.recording}")
        await ctx.store.voicemail.set_ticket(vid, int(t["id"]))
        ctx.bus.publish("voicemail.ticket", id=vid, call=rec.id, ticket=t["id"])
        return int(t["id"])
    except CallboxError as exc:
        log.error("voicemail ticket not created call=%s error=%s", rec.id, exc)
        return None

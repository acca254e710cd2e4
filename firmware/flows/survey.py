"""The post-call survey: when the agent hangs up, the caller is asked and answers with
a key.

The queue's rules name the survey (``queue_rules.survey``); its questions are spoken in
the survey's language (espeak-ng, cached; keys pressed during the conversation are
dropped first, so they do not answer), each waits ``flow.survey_digit_timeout`` for
one of its digits (a key that is not a choice, or silence, asks once more), and each
answer is stored through the CRM (``Crm.record_survey_answer``: against the call and the
caller's customer), so it shows on the timeline and in ``csat``. The caller may hang up
at any time; what was answered is kept. An inactive or deleted survey is skipped.
"""
from __future__ import annotations

import asyncio
import logging

from firmware.clock import first
from firmware.errors import CallboxError
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.flows.say import play_through
from firmware.store import CallRecord
from firmware.telephony.channel import Channel
from firmware.timers import TIMERS

log = logging.getLogger("callbox.flows.survey")

ATTEMPTS = 2


async def run(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
              name: str) -> int:
    """Ask the survey's questions; returns how many were answered."""
    from firmware.flows.inbound import note
    if ctx.crm is None or not name:
        return 0
    try:
        survey = await ctx.crm.surveys.get(name)
    except CallboxError:
        log.warning("survey missing call=%s survey=%s", rec.id, name)
        return 0
    if not survey["active"]:
        return 0
    lang = survey.get("language", "en")
    channel.drop_digits()                    # keys pressed while talking are not answers
    note(rec, "survey")
    ctx.bus.publish("survey.started", call=rec.id, survey=name)
    await play_through(ctx.clock, channel, await ctx.prompts.phrase("survey_intro", lang))
    answered = 0
    for position, q in enumerate(survey["questions"]):
        digit = None
        for _ in range(ATTEMPTS):
            if channel.ended.done():
                return answered
            key = await play_through(ctx.clock, channel, await ctx.prompts.text(q["text"], lang),
                                     barge_in=True)
            if key is None and not channel.ended.done():
                key = await _key(ctx, channel)
            if key in q["choices"]:
                digit = key
                break
        if digit is None:
            continue
        await ctx.crm.record_survey_answer(name, position, rec.id, rec.caller_number, digit)
        answered += 1
        ctx.bus.publish("survey.answer", call=rec.id, survey=name, question=position,
                        digit=digit, answer=q["choices"][digit])
    if not channel.ended.done():
        await play_through(ctx.clock, channel, await ctx.prompts.phrase("survey_thanks", lang))
    return answered


async def _key(ctx: FlowContext, channel: Channel) -> str | None:
    task = asyncio.ensure_future(channel.next_digit())
    try:
        done = await first(ctx.clock, {task, channel.ended}, TIMERS["flow.survey_digit_timeout"])
        return task.result() if task in done else None
    finally:
        task.cancel()

"""An IVR menu: play the prompt, take one digit, map it to a target.

Digits are accepted while the prompt plays (barge-in), from RFC 4733 events
or in-band tones alike: the channel merges both. Invalid digits and silence
replay the prompt up to ``retries`` times. The digit timeout runs on the
injected clock, so tests step through retries without waiting.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from acd_core.clock import Clock
from firmware.clock import first
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.ivr")


@dataclass(frozen=True)
class Menu:
    name: str
    prompt: str                      # WAV path
    options: dict[str, str] = field(default_factory=dict)   # digit -> queue name
    timeout: float = 5.0
    retries: int = 2


async def _first_digit_or_prompt_end(clock: Clock, channel: Channel,
                                     timeout_after_prompt: float) -> str | None:
    digit_task = asyncio.ensure_future(channel.next_digit())
    done_task = asyncio.ensure_future(channel.wait_play_done())
    ended = channel.ended
    try:
        done = await first(clock, {digit_task, done_task, ended})
        if digit_task in done:
            return digit_task.result()
        if ended in done:
            return None
        # Prompt finished: give the caller the menu timeout to press a key.
        done = await first(clock, {digit_task, ended}, timeout_after_prompt)
        return digit_task.result() if digit_task in done else None
    finally:
        for task in (digit_task, done_task):
            if not task.done():
                task.cancel()


async def run_menu(clock: Clock, channel: Channel, menu: Menu) -> str | None:
    """Returns the chosen target, or None if the caller chose nothing or left."""
    for attempt in range(menu.retries + 1):
        if channel.ended.done():
            return None
        await channel.play(menu.prompt)
        digit = await _first_digit_or_prompt_end(clock, channel, menu.timeout)
        if digit is not None and not channel.ended.done():
            await channel.stop_play()
        if digit in menu.options:
            log.info("ivr menu=%s call=%s digit=%s target=%s", menu.name, channel.id,
                     digit, menu.options[digit])
            return menu.options[digit]
        log.info("ivr menu=%s call=%s attempt=%d digit=%s no-match", menu.name,
                 channel.id, attempt + 1, digit)
    return None

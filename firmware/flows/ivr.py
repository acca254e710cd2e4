"""An IVR menu: play the prompt, take one digit, map it to a target.

Digits are accepted while the prompt plays (barge-in), from RFC 4733 events
or in-band tones alike: the channel merges both. Invalid digits and silence
replay the prompt up to ``retries`` times.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.ivr")


@dataclass(frozen=True)
class Menu:
    name: str
    prompt: str                      # WAV path
    options: dict[str, str] = field(default_factory=dict)   # digit -> queue name
    timeout: float = 5.0
    retries: int = 2


async def _first_digit_or_prompt_end(channel: Channel, timeout_after_prompt: float) -> str | None:
    digit_task = asyncio.ensure_future(channel.next_digit(timeout=3600.0))
    done_task = asyncio.ensure_future(channel.wait_play_done())
    ended = channel.ended
    try:
        done, _ = await asyncio.wait({digit_task, done_task, ended},
                                     return_when=asyncio.FIRST_COMPLETED)
        if digit_task in done:
            return digit_task.result()
        if ended in done:
            return None
        # Prompt finished: give the caller the menu timeout to press a key.
        done, _ = await asyncio.wait({digit_task, ended}, timeout=timeout_after_prompt,
                                     return_when=asyncio.FIRST_COMPLETED)
        return digit_task.result() if digit_task in done else None
    finally:
        for task in (digit_task, done_task):
            if not task.done():
                task.cancel()


async def run_menu(channel: Channel, menu: Menu) -> str | None:
    """Returns the chosen target, or None if the caller chose nothing or left."""
    for attempt in range(menu.retries + 1):
        if channel.ended.done():
            return None
        await channel.play(menu.prompt)
        digit = await _first_digit_or_prompt_end(channel, menu.timeout)
        if digit is not None and not channel.ended.done():
            await channel.stop_play()
        if digit in menu.options:
            log.info("ivr menu=%s call=%s digit=%s target=%s", menu.name, channel.id,
                     digit, menu.options[digit])
            return menu.options[digit]
        log.info("ivr menu=%s call=%s attempt=%d digit=%s no-match", menu.name,
                 channel.id, attempt + 1, digit)
    return None

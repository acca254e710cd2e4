"""What a caller hears and may do while waiting in a queue.

Music on hold loops; announcements interrupt it and it starts again when they end:

- **position and expected wait** when the engine says so (``Announce``, every
  ``announce_every_s``): the place in line and the wait from ``acd_core.ewt`` (the live
  state of the queue's agents), in the call's language;
- a **periodic message** (a named prompt every ``periodic_every_s``), on the flow's
  own timer;
- the **callback offer** once the caller has waited ``callback_offer_after_s``
  (``OfferCallback``): "press 1 (the exit key when it leads to a callback) to be called
  back"; the key counts for ``flow.callback_offer_window`` seconds.

A key the caller presses is read here: the queue's **exit key** leaves the queue for its
exit target (a voicemail box, another queue, a callback ...). ``Hold.waits()`` are the
futures the queue's loop waits on beside the engine's decisions; ``Hold.handle(done)``
reacts to those that finished and returns what the caller asked for, if anything.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from acd_core import acd
from acd_core.clock import TimerHandle
from firmware import speech
from firmware.errors import MediaError
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.store import CallRecord, Queue
from firmware.store.inbound import QueueRules
from firmware.telephony.channel import Channel
from firmware.timers import TIMERS

log = logging.getLogger("callbox.flows.waiting")


class Hold:
    def __init__(self, ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                 queue: Queue, rules: QueueRules) -> None:
        self.ctx, self.channel, self.rec, self.state = ctx, channel, rec, state
        self.queue, self._rules = queue, rules
        self.speaking: asyncio.Future[Any] | None = None
        self.digit: asyncio.Future[str] | None = None
        self.periodic: asyncio.Future[None] | None = None
        self._periodic_timer: TimerHandle | None = None
        self.callback_key = ""                  # the key of an open callback offer
        self._offer_until = 0.0
        self.announcements = 0

    @property
    def rules(self) -> QueueRules:
        """The queue's rules as the engine runs them now: an admin's edit reaches callers
        already waiting (``AcdRunner.apply_queues``); those read at join otherwise."""
        return self.ctx.acd.rules(self.queue.name) or self._rules

    @property
    def moh(self) -> str:
        q = self.queue
        return str(self.ctx.cfg.prompts_dir / q.moh_file) if q.moh_file else \
            str(self.ctx.moh_path)

    async def start(self) -> None:
        await self.channel.play(self.moh, loop=True)
        self.ctx.bus.publish("media.play", call=self.rec.id, path=self.moh, loop=True)
        self._arm_periodic()

    def switch(self, queue: Queue, rules: QueueRules) -> None:
        """The call overflowed into another queue of the engine: its rules from now on."""
        self.queue, self._rules = queue, rules
        self._arm_periodic()

    # -- what the loop waits on ---------------------------------------------------------
    def waits(self) -> set["asyncio.Future[Any]"]:
        if self.digit is None or self.digit.done() and self.digit.cancelled():
            self.digit = asyncio.ensure_future(self.channel.next_digit())
        out: set[asyncio.Future[Any]] = {self.digit}
        if self.speaking is not None:
            out.add(self.speaking)
        if self.periodic is not None:
            out.add(self.periodic)
        return out

    async def handle(self, done: set["asyncio.Future[Any]"]) -> str | None:
        """React to finished waits; returns ``"exit"`` (the exit key) or ``"callback"``."""
        if self.speaking is not None and self.speaking in done:
            self.speaking = None
            await self.resume()
        if self.periodic is not None and self.periodic in done:
            self.periodic = None
            if self.rules.periodic_prompt:
                await self.say(await self.ctx.prompts.spec(f"prompt:{self.rules.periodic_prompt}",
                                                           self.state.lang))
                self.ctx.bus.publish("queue.periodic", call=self.rec.id, queue=self.queue.name)
            self._arm_periodic()
        if self.digit is not None and self.digit in done:
            key = self.digit.result()
            self.digit = None
            if self.callback_key and key == self.callback_key \
                    and self.ctx.clock.now() <= self._offer_until:
                self.callback_key = ""
                return "callback"
            if self.rules.exit_key and key == self.rules.exit_key:
                return "exit"
            log.info("key ignored in queue call=%s key=%s", self.rec.id, key)
        return None

    def stop_keys(self) -> None:
        """No more keys for the queue (a seat is ringing or answered): the caller's keys
        are left for whatever comes next (the survey)."""
        if self.digit is not None and not self.digit.done():
            self.digit.cancel()
        self.digit = None

    # -- speaking over the music ---------------------------------------------------------
    async def say(self, path: Any) -> None:
        if self.channel.ended.done():
            return
        if self.speaking is not None:
            self.speaking.cancel()
        await self.channel.play(str(path))
        self.speaking = asyncio.ensure_future(self.channel.wait_play_done())

    async def resume(self) -> None:
        if self.channel.ended.done():
            return
        try:
            await self.channel.play(self.moh, loop=True)
        except MediaError:
            if not self.channel.ended.done():
                raise

    async def announce(self, d: acd.Announce) -> None:
        """Position and expected wait, as the queue's rules ask."""
        lang, r = self.state.lang, self.rules
        parts = []
        if r.announce_position:
            parts.append(speech.phrase("position", lang,
                                       position=speech.ordinal_position(d.position, lang)))
        ewt = self.ctx.acd.estimate(self.rec.id) if r.announce_wait else None
        if ewt is not None:
            parts.append(speech.phrase("wait", lang, wait=speech.say_wait(ewt, lang)))
        self.ctx.bus.publish("queue.announce", call=self.rec.id, queue=d.queue,
                             position=d.position, waited=round(d.waited, 3),
                             ewt=None if ewt is None else round(ewt, 1),
                             asterisk_ewt=None if d.ewt is None else round(d.ewt, 1))
        if not parts:
            return
        self.announcements += 1
        await self.say(await self.ctx.prompts.text(" ".join(parts), lang))

    async def offer_callback(self, d: acd.OfferCallback) -> None:
        from firmware.flows.callback import available
        if not available(self.ctx):
            log.info("callback not offered: this build cannot dial out call=%s", self.rec.id)
            return
        key = self.rules.exit_key if self.rules.exit_target == "callback" else "1"
        self.callback_key = key
        self._offer_until = self.ctx.clock.now() + TIMERS["flow.callback_offer_window"]
        self.ctx.bus.publish("queue.callback_offered", call=self.rec.id, queue=d.queue,
                             position=d.position, waited=round(d.waited, 3), key=key)
        await self.say(await self.ctx.prompts.phrase("callback_offer", self.state.lang,
                                                     key=speech.digits(key, self.state.lang)))

    # -- timers ----------------------------------------------------------------------------
    def _arm_periodic(self) -> None:
        if self._periodic_timer is not None:
            self._periodic_timer.cancel()
            self._periodic_timer = None
        if not self.rules.periodic_every_s:
            self.periodic = None
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def fire() -> None:
            if not fut.done():
                fut.set_result(None)
        self.periodic = fut
        self._periodic_timer = self.ctx.clock.call_later(float(self.rules.periodic_every_s),
                                                         fire)

    def close(self) -> None:
        for fut in (self.speaking, self.digit, self.periodic):
            if fut is not None and not fut.done():
                fut.cancel()
        if self._periodic_timer is not None:
            self._periodic_timer.cancel()

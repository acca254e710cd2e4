"""Ticket escalation driven by an injected clock.

``Escalator`` keeps one timer, set for the earliest ``next_escalation_at`` of
any ticket; when it fires it escalates every ticket due by then and sets the
timer again. Changes to tickets call ``poke()`` so a sooner deadline is
noticed. Ticket times are wall-clock epoch seconds (``Clock.wall()``); the
delay until the next one is computed from them and the waiting is left to the
clock's timer, so tests drive both with one ``ManualClock``.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from acd_core.clock import Clock, TimerHandle

from firmware.events import EventBus
from firmware.store.tickets import Tickets

log = logging.getLogger("callbox.crm.escalation")


class Escalator:
    def __init__(self, tickets: Tickets, clock: Clock, bus: EventBus | None = None) -> None:
        self._tickets = tickets
        self._clock = clock
        self._wall = clock.wall
        self._bus = bus
        self._timer: TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None
        self._deadline: float | None = None
        self.escalated = 0

    async def start(self) -> None:
        await self.run_due()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def run_due(self) -> list[dict[str, Any]]:
        """Escalate everything due now; then arm the timer for the next deadline."""
        done = await self._tickets.escalate_due(self._wall())
        self.escalated += len(done)
        for e in done:
            log.info("ticket %d escalated level %d -> %d notify=%s", e["ticket"],
                     e["from_level"], e["to_level"], e["notify"])
            if self._bus is not None:
                self._bus.publish("crm.ticket_escalated", **e)
        await self.poke()
        return done

    async def poke(self) -> None:
        """Re-arm the timer for the earliest pending escalation (after ticket changes)."""
        nxt = await self._tickets.next_escalation_at()
        if nxt == self._deadline and self._timer is not None:
            return
        self.stop()
        self._deadline = nxt
        if nxt is None:
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timer = None
            self._deadline = None
            self._task = loop.create_task(self.run_due())
        self._timer = self._clock.call_later(max(0.0, nxt - self._wall()), fire)

    async def settled(self) -> None:
        """Wait for an escalation run the timer started (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

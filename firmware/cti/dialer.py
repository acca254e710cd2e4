"""The progressive campaign dialer: one call per available agent, within calling hours.

Every ``desk.dialer_tick`` (or at once when woken: a campaign started, an agent
became available) it looks at each running campaign inside its hours (box
local time, its weekdays) and, for every agent of the campaign's queue who is
available and not on or ringing for another call, takes the next due record:
a number on the do-not-call list is closed as ``dnc``; otherwise the call goes
out as a click-to-call does (``outbound.call_out``: the agent's seat first,
then the customer with the queue's caller ID), and its result is written to
the record. A busy, unanswered or failed attempt is retried after
``retry_s * backoff ** (attempts - 1)`` until ``max_attempts``; an invalid
number is closed at once; an agent who did not answer costs the record no
attempt. A campaign whose records are all done is ``finished``.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Callable

from firmware.clock import first
from firmware.cti.outbound import call_out
from firmware.store.campaigns import Campaign
from firmware.timers import TIMERS

if TYPE_CHECKING:
    from firmware.cti.service import Cti

log = logging.getLogger("callbox.cti.dialer")

RETRIED = ("busy", "no-answer", "failed")


def within_hours(c: Campaign, local: time.struct_time) -> bool:
    hhmm = f"{local.tm_hour:02d}:{local.tm_min:02d}"
    return str(local.tm_wday + 1) in c.days and c.hours_start <= hhmm < c.hours_end


def retry_delay(c: Campaign, attempts: int) -> float:
    return float(c.retry_s) * c.backoff ** max(0, attempts - 1)


class Dialer:
    def __init__(self, cti: "Cti",
                 local: Callable[[float], time.struct_time] = time.localtime) -> None:
        self.cti = cti
        self.local = local
        self.dialing: dict[str, str] = {}          # agent -> campaign it is calling for
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.results: list[tuple[str, int, str]] = []   # (campaign, record id, result)
        self._members: dict[str, set[str]] = {}            # queue -> its seats

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="campaign-dialer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        clock = self.cti.ctx.clock
        while True:
            try:
                await self.tick()
            except Exception:  # noqa: BLE001 - the dialer must outlive one bad tick
                log.exception("dialer tick failed")
            woken = asyncio.ensure_future(self._wake.wait())
            await first(clock, {woken}, TIMERS["desk.dialer_tick"])
            woken.cancel()
            self._wake.clear()

    def _free_agents(self, queue: str) -> list[str]:
        ctx, cti = self.cti.ctx, self.cti
        snap = ctx.acd.engine.snapshot()["agents"]
        out = []
        for agent, st in snap.items():
            if st["state"] != "available" or agent in self.dialing or cti.call_of(agent) \
                    or agent in cti.offers:
                continue
            out.append(agent)
        members = self._members.get(queue, set())
        return sorted(a for a in out if a in members)

    async def tick(self) -> int:
        """One pass over the running campaigns; how many calls it started."""
        cti = self.cti
        now = cti.ctx.clock.wall()
        started = 0
        self._members = {}
        for seat in await cti.ctx.store.config.seats():
            for q in seat.queues:
                self._members.setdefault(q, set()).add(seat.extension)
        for c in await cti.campaigns.listing():
            if c.state != "running":
                continue
            if not within_hours(c, self.local(now)):
                continue
            for agent in self._free_agents(c.queue):
                rec = await cti.campaigns.next_due(c.id, now)
                if rec is None:
                    break
                if await cti.campaigns.is_dnc(rec["number"], now):
                    await cti.campaigns.finish(rec["id"], "dnc", None)
                    self._note(c, rec, "dnc")
                    continue
                self.dialing[agent] = c.name
                await cti.campaigns.mark_dialing(rec["id"], agent, "", now)
                cti.track(asyncio.ensure_future(self._attempt(c, rec, agent)))
                started += 1
            counts = await cti.campaigns.counts(c.name)
            if counts["pending"] == 0 and counts["dialing"] == 0:
                await cti.campaigns.set_state(c.name, "finished")
                cti.ctx.bus.publish("campaign.finished", campaign=c.name, **{
                    k: v for k, v in counts.items() if k not in ("pending", "dialing")})
        return started

    async def _attempt(self, c: Campaign, rec: dict[str, Any], agent: str) -> None:
        cti = self.cti
        queue = await cti.ctx.store.config.queue(c.queue)
        try:
            res = await call_out(cti, agent, rec["number"], queue,
                                 ring_s=TIMERS["desk.seat_ring"],
                                 customer_ring_s=float(c.ring_timeout_s))
            attempts = rec["attempts"] + 1
            if res.result == "agent-no-answer":
                await cti.campaigns.release(rec["id"])
                outcome = "pending"
            elif res.result in RETRIED and attempts < c.max_attempts:
                retry_at = cti.ctx.clock.wall() + retry_delay(c, attempts)
                await cti.campaigns.finish(rec["id"], res.result, retry_at)
                outcome = res.result
            else:
                await cti.campaigns.finish(rec["id"], res.result, None)
                outcome = res.result
            await cti.campaigns.set_call(rec["id"], res.call)
            self._note(c, rec, outcome)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the record goes back, the dialer goes on
            log.exception("campaign attempt failed campaign=%s record=%s", c.name, rec["id"])
            await cti.campaigns.release(rec["id"])
        finally:
            self.dialing.pop(agent, None)
            self.wake()

    def _note(self, c: Campaign, rec: dict[str, Any], result: str) -> None:
        self.results.append((c.name, int(rec["id"]), result))
        self.cti.ctx.bus.publish("campaign.result", campaign=c.name, record=rec["id"],
                                 line=rec["line"], result=result)

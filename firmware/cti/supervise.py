"""Supervision of a ``LiveCall`` (mixed into it): listen, whisper, barge, intercept.

The supervisor's leg is one more leg of the conversation's node: rung from
there through ``SeatDialer`` when the action comes from the wallboard (the
node must have room, or the action is refused before anything is done), or
the supervisor's own call to a feature code, placed on that node by the edge's
placement. Modes are sets of one-way paths (node ``connect``), so the caller
never hears a whisper:

=========  =================================================================
listen     customer -> supervisor, agent -> supervisor (and a conference party)
whisper    listen + supervisor -> agent
barge      listen + supervisor -> agent, supervisor -> customer (everyone hears everyone)
=========  =================================================================

``intercept`` makes the supervisor the call's agent: the agent's leg is hung
up and the agent freed. When the agent changes (a transfer), the paths follow
the new agent leg.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from acd_core.fsm import StateTable
from firmware.cti.call import CallCore
from firmware.errors import ApiError, MediaError
from firmware.media.leg import Leg
from firmware.timers import TIMERS

log = logging.getLogger("callbox.cti")

MODES = ("listen", "whisper", "barge")
RINGING, LISTEN, WHISPER, BARGE, INTERCEPT, LEFT = (
    "ringing", "listen", "whisper", "barge", "intercept", "left")

# A supervisor on a call: rung (``ringing``: a mode asked meanwhile is the one it takes
# when it answers, ``answered:<mode>``), then in one mode; any mode may change to another;
# ``intercept`` and ``leave`` end it.
SUPERVISION = StateTable(
    "supervision", (RINGING, LISTEN, WHISPER, BARGE, INTERCEPT, LEFT),
    [
        *((RINGING, m, RINGING) for m in MODES), (RINGING, "intercept", RINGING),
        *((RINGING, f"answered:{m}", m) for m in MODES),
        (RINGING, "answered:intercept", INTERCEPT),
        *((s, m, m) for s in (LISTEN, WHISPER, BARGE) for m in MODES),
        *((s, "intercept", INTERCEPT) for s in (LISTEN, WHISPER, BARGE)),
        *((s, "leave", LEFT) for s in (RINGING, LISTEN, WHISPER, BARGE)),
    ],
    initial=(RINGING,), final=(INTERCEPT, LEFT))


@dataclass(eq=False)
class Supervision:
    seat: str
    user: str
    leg: Leg
    mode: str                          # wanted: listen | whisper | barge | intercept
    state: str = RINGING
    deadline: float | None = None      # while ringing
    paths: set[tuple[Leg, Leg]] = field(default_factory=set)


class SupervisorParts(CallCore):

    async def supervise(self, seat: str, user: str, mode: str,
                        leg: Leg | None = None) -> None:
        """Start or change supervision; ``leg`` is the supervisor's own call (a feature
        code), else the supervisor's seat is rung from the conversation's node."""
        if mode not in (*MODES, INTERCEPT):
            raise ApiError(f"unknown supervision mode {mode!r}", status=400, field="mode",
                           expected=", ".join((*MODES, INTERCEPT)))
        if mode == INTERCEPT:
            self.require("talking", "held", what=mode)
        else:
            self.require("talking", "held", "consulting", "conference", what=mode)
        if self.sup is not None:
            if self.sup.seat != seat:
                raise ApiError(f"the call is already supervised by seat {self.sup.seat}",
                               status=409, call=self.id, supervisor=self.sup.seat)
            await self._set_mode(mode)
            return
        if seat == self.agent:
            raise ApiError("an agent cannot supervise its own call", status=409, call=self.id)
        if leg is None:
            self.ctx.pool.ensure_room(self.customer, 1, mode)   # refused before anything
            leg = await self.ctx.seats.dial(self.customer, seat, caller_id=self.agent or None,
                                            caller_name=f"{mode} {self.agent or ''}".strip())
            self.sup = Supervision(seat, user, leg, mode,
                                   deadline=self.ctx.clock.now() + TIMERS["desk.seat_ring"])
        else:
            if leg.node != self.customer.node:
                raise MediaError(f"{mode} refused: no room on the conversation's node "
                                 f"(the supervisor's call is on node {leg.node}, the call on "
                                 f"node {self.customer.node})",
                                 reason="no room on the conversation's node", leg=leg.id)
            self.sup = Supervision(seat, user, leg, mode)
            try:
                await self._sup_answered()
            except BaseException:
                await self._undo_supervision()
                raise
        self.kick()

    async def _undo_supervision(self) -> None:
        """A supervision that could not be set up leaves no path behind."""
        sup, self.sup = self.sup, None
        if sup is None:
            return
        for a, b in list(sup.paths):
            if not a.ended.done() and not b.ended.done():
                try:
                    await self.ctx.pool.disconnect(a, b)
                except MediaError:
                    pass

    async def _sup_answered(self) -> None:
        sup = self.sup
        assert sup is not None
        sup.deadline = None
        sup.state = SUPERVISION.fire(sup.state, f"answered:{sup.mode}", subject=self.id,
                                     log=log)
        if sup.mode == INTERCEPT:
            await self._intercept()
            return
        await self._apply_paths()
        self._publish(f"supervisor.{sup.mode}", supervisor=sup.seat, user=sup.user)

    async def _set_mode(self, mode: str) -> None:
        sup = self.sup
        assert sup is not None
        if mode == INTERCEPT:
            sup.mode = mode
            if sup.state != RINGING:
                sup.state = SUPERVISION.fire(sup.state, "intercept", subject=self.id, log=log)
                await self._intercept()
            return
        sup.state = SUPERVISION.fire(sup.state, mode, subject=self.id, log=log)
        sup.mode = mode
        if sup.state != RINGING:
            await self._apply_paths()
            self._publish(f"supervisor.{mode}", supervisor=sup.seat, user=sup.user)

    def _wanted(self) -> set[tuple[Leg, Leg]]:
        sup = self.sup
        assert sup is not None
        s = sup.leg
        talkers = [x for x in (self.customer, self.agent_leg, self.third) if x is not None]
        paths = {(x, s) for x in talkers}
        if sup.mode in (WHISPER, BARGE):
            paths |= {(s, x) for x in (self.agent_leg, self.third) if x is not None}
        if sup.mode == BARGE:
            paths.add((s, self.customer))
        return {(a, b) for a, b in paths if not a.ended.done() and not b.ended.done()}

    async def _apply_paths(self) -> None:
        sup = self.sup
        assert sup is not None
        sup.paths = {(a, b) for a, b in sup.paths if not a.ended.done() and not b.ended.done()}
        wanted = self._wanted()
        for a, b in sup.paths - wanted:
            await self.ctx.pool.disconnect(a, b)
        for a, b in wanted - sup.paths:
            await self.ctx.pool.connect(a, b)
        sup.paths = wanted

    async def rewire_supervisor(self) -> None:
        """The agent changed: the supervisor's paths follow it."""
        if self.sup is not None and self.sup.state in (LISTEN, WHISPER, BARGE):
            await self._apply_paths()

    async def _intercept(self) -> None:
        sup = self.sup
        assert sup is not None
        for a, b in list(sup.paths):
            if not a.ended.done() and not b.ended.done():
                await self.ctx.pool.disconnect(a, b)
        leaving, old = self.agent, self.agent_leg
        self.agent, self.agent_leg = sup.seat, sup.leg
        self.sup = None
        self._leaves(leaving, transfer=f"intercept:{sup.seat}")
        self.outcome.transfers.append(f"intercept:{sup.seat}")
        if old is not None and not old.ended.done():
            try:
                await old.hangup()
            except MediaError as exc:
                log.warning("hangup failed leg=%s error=%s", old.id, exc)
        if self.state == "held":
            await self.resume()
        await self.ctx.pool.bridge(self.customer, self.agent_leg)
        self._joins(sup.seat)
        self._publish("supervisor.intercept", supervisor=sup.seat, user=sup.user,
                      agent_was=leaving or "")
        await self.recording.restart()

    async def leave_supervision(self, seat: str | None = None) -> None:
        if self.sup is None or (seat is not None and self.sup.seat != seat):
            raise ApiError("the call is not supervised" + (f" by seat {seat}" if seat else ""),
                           status=409, call=self.id)
        sup = self.sup
        sup.state = SUPERVISION.fire(sup.state, "leave", subject=self.id, log=log)
        if not sup.leg.ended.done():
            try:
                await sup.leg.hangup()
            except MediaError as exc:
                log.warning("hangup failed leg=%s error=%s", sup.leg.id, exc)
        self.kick()

    async def sup_tick(self) -> None:
        """From the run loop: the supervisor's seat answered, or rang too long."""
        sup = self.sup
        if sup is None or sup.state != RINGING:
            return
        if sup.leg.answered.is_set():
            try:
                await self._sup_answered()
            except MediaError as exc:
                log.error("supervision failed call=%s error=%s", self.id, exc)
                await self._undo_supervision()
                if not sup.leg.ended.done():
                    await sup.leg.hangup()
        elif sup.deadline is not None and self.ctx.clock.now() >= sup.deadline:
            sup.deadline = None
            await sup.leg.hangup()

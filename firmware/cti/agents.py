"""Agents' log-in, pause, availability and wrap-up (mixed into ``Cti``).

The ACD engine owns the state (``AcdRunner``: ``login``, ``logout``, ``pause``,
``unpause``, ``ready``); these methods check who may change it, say why in a
``agent.*`` event, and keep the last state in ``agent_sessions`` so a restart
of the daemon keeps it. ``available`` is what an agent means by "ready": it
logs in if needed, unpauses, and ends a wrap-up early. A pause or log-out
during a call takes effect when the call ends (the engine's rule).

Wrap-up: when an agent leaves a call it owes that call a disposition (code
from the configurable list, optional note); giving it ends the wrap-up unless
``ready=False``.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from firmware.crm.permissions import Principal
from firmware.errors import ApiError
from firmware.store.agentdesk import DeskStore

if TYPE_CHECKING:
    from firmware.flows.context import FlowContext

log = logging.getLogger("callbox.cti")

FORCE_STATES = ("paused", "available", "logged-out")


class AgentStates:
    """Mixed into ``Cti``, which provides these."""

    ctx: "FlowContext"
    store: DeskStore
    offers: dict[str, Any]
    owed: dict[str, str]
    call_of: Callable[[str], Any]
    own_seat: Callable[[Principal, str], str]
    check: Callable[[Principal, str], None]

    async def restore_sessions(self) -> None:
        """At start: agents are logged in (the engine's configure) unless stored otherwise."""
        for agent, (logged_in, paused) in (await self.store.sessions()).items():
            if not self.ctx.acd.knows(agent):
                continue
            if not logged_in:
                self.ctx.acd.logout(agent)
            elif paused:
                self.ctx.acd.pause(agent, paused)

    def state_of(self, agent: str) -> dict[str, Any]:
        if not self.ctx.acd.knows(agent):
            raise ApiError(f"no agent {agent}", status=404, table="seats", key=agent)
        state, reason = self.ctx.acd.agent_state(agent)
        live = self.call_of(agent)
        offer = self.offers.get(agent)
        return {"agent": agent, "state": state, "reason": reason,
                "call": None if live is None else live.describe(),
                "ringing": None if offer is None else {"call": offer.call, "queue": offer.queue},
                "wrapup_call": self.owed.get(agent)}

    async def _save(self, agent: str) -> None:
        state, reason = self.ctx.acd.agent_state(agent)
        snap = self.ctx.acd.engine.snapshot()["agents"].get(agent, {})
        await self.store.save_session(agent, bool(snap.get("logged_in", state != "logged-out")),
                                      snap.get("paused"), self.ctx.clock.wall())

    def _known(self, agent: str) -> None:
        if not self.ctx.acd.knows(agent):
            raise ApiError(f"no agent {agent}", status=404, table="seats", key=agent)

    def _logged_in(self, agent: str) -> bool:
        return bool(self.ctx.acd.engine.snapshot()["agents"][agent]["logged_in"])

    async def set_state(self, p: Principal, agent: str, state: str, reason: str = "",
                        by: str = "") -> dict[str, Any]:
        """Carry out ``state`` (logged-in, logged-out, paused, available) for ``agent``."""
        self._known(agent)
        acd = self.ctx.acd
        snap = acd.engine.snapshot()["agents"][agent]
        if state == "logged-in":
            if snap["logged_in"]:
                raise ApiError(f"agent {agent} is logged in already", status=409, agent=agent)
            acd.login(agent)
        elif state == "logged-out":
            if not snap["logged_in"]:
                raise ApiError(f"agent {agent} is logged out already", status=409, agent=agent)
            acd.logout(agent)
        elif state == "paused":
            code = await self.store.resolve("pause_reasons", reason)
            if not snap["logged_in"]:
                acd.login(agent, paused=code)
            else:
                acd.pause(agent, code)
            reason = code
        elif state == "available":
            if not snap["logged_in"]:
                acd.login(agent)
            if snap["paused"] is not None:
                acd.unpause(agent)
            if acd.agent_state(agent)[0] == "wrap-up":
                acd.ready(agent)
        else:
            raise ApiError(f"unknown agent state {state!r}", status=400, field="state",
                           expected="logged-in, logged-out, paused, available")
        await self._save(agent)
        self.ctx.bus.publish(f"agent.{state.replace('logged-', 'log')}", agent=agent,
                             reason=reason, by=by or p.user)
        return self.state_of(agent)

    async def agent_state_change(self, p: Principal, state: str, reason: str = ""
                                 ) -> dict[str, Any]:
        """The principal's own seat: login, logout, pause (reason), available."""
        action = {"logged-in": "login", "logged-out": "logout", "paused": "pause",
                  "available": "available"}.get(state, "available")
        seat = self.own_seat(p, action)
        return await self.set_state(p, seat, state, reason)

    async def force(self, p: Principal, agent: str, state: str, reason: str = ""
                    ) -> dict[str, Any]:
        """A supervisor sets another agent's state (paused, available, logged-out)."""
        self.check(p, "force")
        if state not in FORCE_STATES:
            raise ApiError(f"cannot force {state!r}", status=400, field="state",
                           expected=", ".join(FORCE_STATES))
        if state == "paused" and not reason:
            reason = "1"                       # the first reason of the list
        out = await self.set_state(p, agent, state, reason, by=f"supervisor:{p.user}")
        self.ctx.bus.publish("supervisor.force", agent=agent, state=state, user=p.user)
        return out

    async def wrapup(self, p: Principal, disposition: str, note: str = "",
                     call_id: str | None = None, ready: bool = True) -> dict[str, Any]:
        seat = self.own_seat(p, "wrapup")
        call = call_id or self.owed.get(seat)
        if call is None:
            raise ApiError(f"seat {seat} has no call to wrap up", status=409, seat=seat)
        row = await self.store.set_disposition(call, seat, disposition, note,
                                               self.ctx.clock.wall())
        if self.owed.get(seat) == call:
            del self.owed[seat]
        self.ctx.bus.publish("agent.disposition", agent=seat, call=call, code=row["code"])
        if ready and self.ctx.acd.agent_state(seat)[0] == "wrap-up":
            self.ctx.acd.ready(seat)
        return {**row, "agent_state": self.ctx.acd.agent_state(seat)[0]}

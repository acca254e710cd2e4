"""SIP trunks: settings to the edge, live state from it, calls through it.

A SIP trunk's calls leave from the media node of the conversation: the node
dials ``sip:<trunk>~<number>@<edge>`` and the edge (Kamailio) sends it
to the trunk with the trunk's domain, answers its digest challenge, and keeps
it in a tracked dialog. Kamailio also registers with the trunks that want it
(``uac``) and keeps every trunk alive with OPTIONS (``dispatcher``: down after
3 missed replies, up again after 2 good ones). ``SipTrunks`` writes the edge's
trunk tables from the store's ``Trunk`` rows and reads Kamailio's view every
``trunks.state_poll`` seconds into each group's two state tables below,
publishing ``trunk.down`` / ``trunk.up`` / ``trunk.registered`` /
``trunk.unregistered`` on each change.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from acd_core.clock import Clock
from acd_core.fsm import StateTable
from firmware.clock import sleep
from firmware.errors import EdgeError
from firmware.events import EventBus
from firmware.sipedge.tables import EdgeTrunk
from firmware.store.config import Trunk
from firmware.timers import TIMERS
from firmware.trunks.groups import GroupBusy
from firmware.trunks.trunks import Trunks

if TYPE_CHECKING:
    from firmware.media.leg import Leg

log = logging.getLogger("callbox.trunks.sip")

# Reachability, from the edge's OPTIONS keep-alive. "unknown": not probed (keep-alive
# off) or not heard of yet -- calls are tried; "down": 3 replies missed -- skipped.
UNKNOWN, UP, DOWN = "unknown", "up", "down"
REACH = StateTable(
    "trunk", (UNKNOWN, UP, DOWN),
    [(s, e, nxt) for s in (UNKNOWN, UP, DOWN)
     for e, nxt in (("alive", UP), ("lost", DOWN), ("unprobed", UNKNOWN))],
    initial=(UNKNOWN,))

# Registration, for a "sip-reg" trunk: "pending" until the registrar first accepts it,
# "lost" when a refresh fails; only "registered" carries calls.
PENDING, REGISTERED, LOST = "pending", "registered", "lost"
REGISTRATION = StateTable(
    "trunk-reg", (PENDING, REGISTERED, LOST),
    [(PENDING, "accepted", REGISTERED), (PENDING, "refused", PENDING),
     (REGISTERED, "accepted", REGISTERED), (REGISTERED, "refused", LOST),
     (LOST, "accepted", REGISTERED), (LOST, "refused", LOST)],
    initial=(PENDING,))

# A SIP leg that ends with one of these before ringing: the trunk could not carry the
# call (unreachable, overloaded, our credentials refused), so the route's next group is
# tried. Anything else (486 busy, 404, 480, 603) is the far end's answer and final.
FAILOVER_CODES = frozenset({401, 403, 407, 408, 500, 502, 503, 504})

DialOut = Callable[["Leg", str, "str | None"], Awaitable["Leg"]]


class TrunkEdge(Protocol):
    """What ``SipTrunks`` needs of the edge (``firmware.sipedge.KamailioEdge``)."""

    async def set_sip_trunks(self, trunks: Iterable[EdgeTrunk]) -> None: ...

    async def trunk_states(self) -> dict[str, dict[str, bool | None]]: ...


def edge_trunk(t: Trunk) -> EdgeTrunk:
    return EdgeTrunk(name=t.name, host=t.host, port=t.port, domain=t.domain,
                     username=t.username, password=t.secret, realm=t.realm,
                     register=t.kind == "sip-reg", expires=t.register_expires,
                     keepalive=t.keepalive)


class SipTrunkGroup:
    """One SIP trunk as a trunk group: ``available()`` from its live state and channels."""

    kind = "sip"

    def __init__(self, trunk: Trunk, dial: DialOut, edge: str, bus: EventBus) -> None:
        self.trunk = trunk
        self.name = trunk.name
        self._dial = dial
        self._edge = edge                   # "host:port" of the edge, as nodes reach it
        self._bus = bus
        self.reach = UNKNOWN
        self.registration: str | None = PENDING if trunk.kind == "sip-reg" else None
        self.active = 0                     # calls out on this trunk now

    def set_edge(self, edge: str) -> None:
        """The edge's new "host:port" (its listen address changed)."""
        self._edge = edge

    def reconfigure(self, trunk: Trunk) -> None:
        """New settings, same live state (unless it stops or starts registering)."""
        if (trunk.kind == "sip-reg") != (self.trunk.kind == "sip-reg"):
            self.registration = PENDING if trunk.kind == "sip-reg" else None
        self.trunk = trunk

    # -- state from the edge -----------------------------------------------------------
    def apply(self, reachable: bool | None, registered: bool | None) -> None:
        event = "unprobed" if reachable is None or not self.trunk.keepalive else \
            ("alive" if reachable else "lost")
        before = self.reach
        self.reach = REACH.fire(before, event, subject=self.name, log=log)
        if self.reach == DOWN and before != DOWN:
            log.warning("trunk %s is down: its OPTIONS keep-alive went unanswered", self.name)
            self._bus.publish("trunk.down", trunk=self.name, was=before)
        elif before == DOWN and self.reach != DOWN:
            self._bus.publish("trunk.up", trunk=self.name)
        if self.registration is not None:
            before_reg = self.registration
            self.registration = REGISTRATION.fire(
                before_reg, "accepted" if registered else "refused", subject=self.name, log=log)
            if self.registration == REGISTERED and before_reg != REGISTERED:
                self._bus.publish("trunk.registered", trunk=self.name)
            elif before_reg == REGISTERED and self.registration != REGISTERED:
                self._bus.publish("trunk.unregistered", trunk=self.name)

    # -- the group -----------------------------------------------------------------------
    def why_not(self) -> str | None:
        t = self.trunk
        if not t.enabled:
            return "disabled"
        if not t.host:
            return "no host: the trunk only takes calls"
        if self.reach == DOWN:
            return "down (OPTIONS not answered)"
        if self.registration is not None and self.registration != REGISTERED:
            return "not registered"
        if t.max_channels and self.active >= t.max_channels:
            return f"all {t.max_channels} channels busy"
        return None

    def available(self) -> bool:
        return self.why_not() is None

    def uri(self, number: str) -> str:
        """What the node dials: the trunk's name rides in the user part (``~`` is in no
        trunk name and no number), where the edge takes it off again."""
        return f"sip:{self.name}~{number}@{self._edge}"

    async def dial(self, near_leg: "Leg", number: str, caller_id: str | None = None) -> "Leg":
        reason = self.why_not()
        if reason is not None:
            raise GroupBusy(f"trunk {self.name} cannot take the call", group=self.name,
                            reason=reason)
        self.active += 1
        try:
            leg = await self._dial(near_leg, self.uri(number),
                                   caller_id or self.trunk.caller_id or None)
        except BaseException:
            self.active -= 1
            raise
        leg.ended.add_done_callback(self._leg_ended)
        # Until it rings, answers or ends; Kamailio's timers bound this (no reply at all
        # within 5 s: 408), so no timer of ours is needed.
        progressed = asyncio.ensure_future(leg.progressed.wait())
        waits: set[asyncio.Future[Any]] = {progressed, leg.ended}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            progressed.cancel()
        if not leg.progressed.is_set() and leg.ended.done():
            code, why = leg.ended.result()
            if code in FAILOVER_CODES:
                log.warning("trunk %s refused a call before ringing code=%s reason=%s",
                            self.name, code, why)
                raise GroupBusy(f"trunk {self.name} refused the call", group=self.name,
                                reason=f"{code} {why}".strip())
        return leg

    def _leg_ended(self, _fut: "asyncio.Future[Any]") -> None:
        self.active -= 1

    def describe(self) -> dict[str, Any]:
        """Live state for health; ``fault`` is what an admin must look at (a trunk that is
        merely full has none)."""
        fault = None
        if self.trunk.enabled and self.reach == DOWN:
            fault = "down"
        elif self.trunk.enabled and self.registration in (PENDING, LOST):
            fault = "not registered"
        return {"host": self.trunk.host, "reach": self.reach,
                "registration": self.registration, "active": self.active,
                "max_channels": self.trunk.max_channels, "fault": fault}


class SipTrunks:
    """Keeps the SIP trunk groups in ``trunks`` in step with the store and the edge."""

    def __init__(self, trunks: Trunks, edge: TrunkEdge, bus: EventBus, clock: Clock,
                 dial: DialOut, edge_address: str) -> None:
        self.trunks = trunks
        self.edge = edge
        self.bus = bus
        self.clock = clock
        self._dial = dial
        self._edge_address = edge_address
        self.groups: dict[str, SipTrunkGroup] = {}
        self._poller: asyncio.Task[None] | None = None
        self.poll_errors = 0

    async def configure(self, configured: Iterable[Trunk]) -> None:
        """Take the store's trunks: tables to the edge, groups into ``Trunks``. A trunk with
        no host or disabled is no outbound group (it may still take calls in)."""
        wanted = {t.name: t for t in configured if t.enabled and t.host}
        await self.edge.set_sip_trunks([edge_trunk(t) for t in wanted.values()])
        for name in set(self.groups) - set(wanted):
            del self.groups[name]
            self.trunks.unregister_group(name)
        for name, t in wanted.items():
            group = self.groups.get(name)
            if group is None:
                group = self.groups[name] = SipTrunkGroup(t, self._dial, self._edge_address,
                                                          self.bus)
            else:
                group.reconfigure(t)
            self.trunks.register_group(group)

    def set_edge_address(self, edge_address: str) -> None:
        """The edge moved (system page): trunk calls go out through its new address."""
        self._edge_address = edge_address
        for group in self.groups.values():
            group.set_edge(edge_address)

    async def poll_once(self) -> None:
        states = await self.edge.trunk_states()
        for name, group in self.groups.items():
            state = states.get(name, {})
            group.apply(state.get("reachable"), state.get("registered"))

    def start(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll(), name="sip-trunk-states")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    async def _poll(self) -> None:
        while True:
            try:
                await self.poll_once()
            except EdgeError as exc:          # Kamailio restarting: the next poll will do
                self.poll_errors += 1
                log.warning("trunk state poll failed error=%s", exc)
            await sleep(self.clock, TIMERS["trunks.state_poll"])

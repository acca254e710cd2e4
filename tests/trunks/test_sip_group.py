"""SIP trunk groups: their state tables driven by what the edge reports, the calls they
place (the URI the node dials, the caller ID), failover on a refusal before ringing."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from acd_core.clock import ManualClock
from acd_core.errors import IllegalTransition
from firmware.errors import TrunksBusy
from firmware.events import Event, EventBus
from firmware.sipedge.tables import EdgeTrunk
from firmware.store.config import Trunk
from firmware.store.outbound import OutboundRoute
from firmware.trunks import GroupBusy, SipTrunkGroup, SipTrunks, Trunks
from firmware.trunks.sip import REACH, REGISTRATION
from tests.trunks.fakes import FakeLeg

NEAR: Any = object()
ACME = Trunk("acme", ("192.0.2.0/24",), host="192.0.2.10", caller_id="+4930100")
REG = Trunk("reg", kind="sip-reg", host="198.51.100.7", port=5080, domain="voip.example",
            username="u1", secret="p1", max_channels=1)


class Dialler:
    """The media pool's ``dial`` as the group calls it; each call's leg is scripted."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.script: list[tuple[str, int]] = []     # ("ring", 0) or ("end", code)

    async def __call__(self, near: Any, uri: str, caller_id: str | None) -> FakeLeg:
        self.calls.append((uri, caller_id))
        leg = FakeLeg(uri, caller_id)
        what, code = self.script.pop(0) if self.script else ("ring", 0)
        loop = asyncio.get_running_loop()
        loop.call_soon(leg.ring if what == "ring" else (lambda: leg.end(code, "refused")))
        return leg


class Edge:
    def __init__(self) -> None:
        self.tables: list[list[EdgeTrunk]] = []
        self.states: dict[str, dict[str, bool | None]] = {}

    async def set_sip_trunks(self, trunks: Any) -> None:
        self.tables.append(list(trunks))

    async def trunk_states(self) -> dict[str, dict[str, bool | None]]:
        return self.states


def test_every_state_has_a_row() -> None:
    for table in (REACH, REGISTRATION):
        for state in table.states:
            assert table.events(state), (table.name, state)
    with pytest.raises(IllegalTransition):
        REACH.next("up", "registered")


def events_of(bus: EventBus) -> list[Event]:
    got: list[Event] = []
    bus.subscribe("trunk.", got.append)
    return got


async def test_keepalive_state_moves_the_group_down_and_up_with_one_event_each() -> None:
    bus = EventBus()
    got = events_of(bus)
    g = SipTrunkGroup(ACME, Dialler(), "127.0.0.1:5060", bus)
    assert (g.reach, g.available()) == ("unknown", True)       # not heard of yet: tried
    g.apply(True, None)
    g.apply(False, None)
    g.apply(False, None)
    assert (g.reach, g.available(), g.why_not()) == ("down", False,
                                                     "down (OPTIONS not answered)")
    assert g.describe()["fault"] == "down"
    g.apply(True, None)
    assert g.available()
    assert [(e.kind, e.data) for e in got] == [("trunk.down", {"trunk": "acme", "was": "up"}),
                                              ("trunk.up", {"trunk": "acme"})]


async def test_a_registering_trunk_carries_calls_only_while_registered() -> None:
    bus = EventBus()
    got = events_of(bus)
    g = SipTrunkGroup(REG, Dialler(), "127.0.0.1:5060", bus)
    assert g.why_not() == "not registered" and g.describe()["fault"] == "not registered"
    g.apply(True, True)
    assert g.available() and g.registration == "registered"
    g.apply(True, False)
    assert g.registration == "lost" and not g.available()
    g.apply(True, True)
    assert [e.kind for e in got] == ["trunk.registered", "trunk.unregistered",
                                     "trunk.registered"]


async def test_the_node_dials_the_edge_with_the_trunk_named_and_the_callers_id() -> None:
    dial = Dialler()
    g = SipTrunkGroup(ACME, dial, "10.0.0.1:5060", EventBus())
    leg = await g.dial(NEAR, "+49301234", "+4930555")
    assert dial.calls == [("sip:acme~+49301234@10.0.0.1:5060", "+4930555")]
    assert g.active == 1
    await g.dial(NEAR, "+49301235")                               # the trunk's own number
    assert dial.calls[1][1] == "+4930100"
    leg.end(200)
    await asyncio.sleep(0)
    assert g.active == 1


async def test_channels_are_counted_and_a_full_trunk_is_busy_not_faulty() -> None:
    dial = Dialler()
    g = SipTrunkGroup(REG, dial, "127.0.0.1:5060", EventBus())
    g.apply(True, True)
    leg = await g.dial(NEAR, "0301234")
    assert (g.available(), g.why_not(), g.describe()["fault"]) == \
        (False, "all 1 channels busy", None)
    with pytest.raises(GroupBusy):
        await g.dial(NEAR, "0301235")
    leg.end(200)
    await asyncio.sleep(0)
    assert g.available()


@pytest.mark.parametrize("code", [401, 403, 407, 408, 500, 502, 503, 504])
async def test_a_trunk_refusing_before_ringing_hands_the_call_to_the_next_group(code: int) -> None:
    bus = EventBus()
    dial = Dialler()
    dial.script = [("end", code), ("ring", 0)]
    trunks = Trunks(bus, [OutboundRoute("any", "", ("acme", "backup"))])
    trunks.register_group(SipTrunkGroup(ACME, dial, "127.0.0.1:5060", bus))
    trunks.register_group(SipTrunkGroup(Trunk("backup", ("192.0.2.0/24",), host="192.0.2.11"),
                                        dial, "127.0.0.1:5060", bus))
    leg = await trunks.dial(NEAR, "0301234")
    assert [u for u, _ in dial.calls] == ["sip:acme~0301234@127.0.0.1:5060",
                                          "sip:backup~0301234@127.0.0.1:5060"]
    assert leg.progressed.is_set()


@pytest.mark.parametrize("code", [486, 404, 480, 603])
async def test_the_far_ends_own_refusal_is_the_calls_answer_not_a_failover(code: int) -> None:
    bus = EventBus()
    dial = Dialler()
    dial.script = [("end", code)]
    trunks = Trunks(bus, [OutboundRoute("any", "", ("acme", "backup"))])
    trunks.register_group(SipTrunkGroup(ACME, dial, "127.0.0.1:5060", bus))
    leg = await trunks.dial(NEAR, "0301234")
    assert len(dial.calls) == 1 and leg.ended.result() == (code, "refused")


async def test_sip_trunks_writes_the_edge_tables_and_follows_the_edge_state() -> None:
    bus = EventBus()
    got = events_of(bus)
    edge = Edge()
    trunks = Trunks(bus, [OutboundRoute("any", "", ("acme", "reg"))])
    sip = SipTrunks(trunks, edge, bus, ManualClock(), Dialler(), "127.0.0.1:5060")
    inbound_only = Trunk("demo", ("127.0.0.0/8",))
    off = Trunk("off", ("192.0.2.0/24",), host="192.0.2.12", enabled=False)
    await sip.configure([ACME, REG, inbound_only, off])
    assert [t.name for t in edge.tables[-1]] == ["acme", "reg"]
    reg = edge.tables[-1][1]
    assert (reg.register, reg.domain, reg.port, reg.username, reg.password) == \
        (True, "voip.example", 5080, "u1", "p1")
    assert [g.name for g in trunks.groups()] == ["acme", "reg"]
    edge.states = {"acme": {"reachable": False, "registered": None},
                   "reg": {"reachable": True, "registered": True}}
    await sip.poll_once()
    assert trunks.health()["faults"] == ["acme"] and trunks.health()["status"] == "degraded"
    assert [e.kind for e in got] == ["trunk.down", "trunk.registered"]
    # a changed trunk keeps its live state; a removed one leaves Trunks
    await sip.configure([Trunk("acme", ("192.0.2.0/24",), host="192.0.2.20")])
    assert [g.name for g in trunks.groups()] == ["acme"]
    assert trunks.group("acme").reach == "down"                    # type: ignore[union-attr]
    with pytest.raises(TrunksBusy):
        await trunks.dial(NEAR, "0301234")

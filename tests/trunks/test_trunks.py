"""Trunks.dial over the route table with line groups and SIP trunk groups as stand-ins."""
from __future__ import annotations

from typing import Any

import pytest

from firmware.errors import RouteError, TrunksBusy
from firmware.events import Event, EventBus
from firmware.store.cdr import CallRecord
from firmware.store.outbound import OutboundRoute
from firmware.trunks import Trunks, blocked_record
from tests.trunks.fakes import LineGroup

NEAR: Any = object()     # the near leg: only passed through to the group


def trunks_with(*groups: LineGroup) -> tuple[Trunks, list[Event]]:
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe("trunk.", events.append)
    t = Trunks(bus, [OutboundRoute("national", "0", ("e1/1", "fxo", "sip-a"), strip=1,
                                   prepend="+49", caller_id="+4930100")])
    for g in groups:
        t.register_group(g)
    return t, events


async def test_the_first_available_group_of_the_route_carries_the_call() -> None:
    e1, fxo = LineGroup("e1/1", free=0), LineGroup("fxo", free=2, kind="fxo")
    t, events = trunks_with(e1, fxo)
    leg = await t.dial(NEAR, "0301234", caller_id="+4930555")
    assert leg.uri == "fxo/+49301234" and leg.caller_id == "+4930555"
    assert leg.info["trunk"] == "fxo"                      # the CDR's trunk
    assert fxo.dialled == [("+49301234", "+4930555")] and e1.dialled == []
    assert events == [] and t.dialled == 1


async def test_a_group_that_loses_a_race_for_its_channel_hands_over_to_the_next() -> None:
    e1, fxo = LineGroup("e1/1", free=1), LineGroup("fxo", free=1, kind="fxo")
    e1.raced = True
    t, _ = trunks_with(e1, fxo)
    leg = await t.dial(NEAR, "0301234")
    assert leg.uri == "fxo/+49301234" and leg.caller_id == "+4930100"
    assert leg.info["trunk"] == "fxo"


async def test_every_group_busy_or_missing_is_a_blocked_call_with_its_event() -> None:
    e1, fxo = LineGroup("e1/1", free=0), LineGroup("fxo", free=1, kind="fxo")
    fxo.raced = True
    t, events = trunks_with(e1, fxo)          # no group "sip-a" registered at all
    with pytest.raises(TrunksBusy) as err:
        await t.dial(NEAR, "0301234")
    tried = [("e1/1", "all channels busy"), ("fxo", "channel taken meanwhile"),
             ("sip-a", "no such trunk group")]
    assert err.value.tried == tried and err.value.number == "0301234"
    assert err.value.route == "national"
    assert [(e.kind, e.data) for e in events] == [("trunk.blocked", {
        "number": "0301234", "route": "national",
        "tried": [{"group": g, "why": w} for g, w in tried]})]
    assert t.blocked == 1 and t.health()["blocked"] == 1


async def test_a_number_without_a_route_raises_route_error_before_any_group() -> None:
    e1 = LineGroup("e1/1", free=5)
    t, events = trunks_with(e1)
    with pytest.raises(RouteError) as err:
        await t.dial(NEAR, "110")
    assert err.value.number == "110" and e1.dialled == [] and events == []


async def test_line_groups_register_and_leave_by_name() -> None:
    t, _ = trunks_with(LineGroup("e1/1", free=1))
    t.register_group(LineGroup("e1/1", free=0))            # replaced, not doubled
    assert [g.name for g in t.groups()] == ["e1/1"] and not t.group("e1/1").available()
    t.unregister_group("e1/1")
    assert t.groups() == []
    with pytest.raises(TypeError):
        t.register_group(object())  # type: ignore[arg-type]


def test_a_blocked_call_is_a_cdr_with_disposition_blocked() -> None:
    exc = TrunksBusy("busy", number="0301234", route="national",
                     tried=[("e1/1", "all channels busy"), ("fxo", "all channels busy")])
    rec = blocked_record(exc, started_at=1_800_000_000.0, ended_at=1_800_000_000.5,
                         caller_number="201", queue="sales")
    assert isinstance(rec, CallRecord)
    checked = rec.checked()
    assert (checked.disposition, checked.direction, checked.dialed_number, checked.trunk) == \
        ("blocked", "out", "0301234", "e1/1")
    assert checked.failure_reason == \
        "all lines busy: e1/1(all channels busy),fxo(all channels busy)"

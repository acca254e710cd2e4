"""Admission in front of placement: what may reach a media node at all."""
from __future__ import annotations

import asyncio
from typing import Any

from firmware.events import Event, EventBus
from firmware.sipedge.placer import Admission, PlaceAnswer, PlaceRequest


class Place:
    def __init__(self) -> None:
        self.asked: list[PlaceRequest] = []

    def __call__(self, request: PlaceRequest) -> PlaceAnswer:
        self.asked.append(request)
        return PlaceAnswer(200, "sip:127.0.0.1:5070")


def admit(requests: list[PlaceRequest], routes: Any) -> tuple[list[PlaceAnswer], Place,
                                                                list[Event]]:
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe("security.", events.append)
    place = Place()
    gate = Admission(place, routes, bus)

    async def run() -> list[PlaceAnswer]:
        return [await gate(r) for r in requests]
    return asyncio.run(run()), place, events


def test_a_trunk_call_is_placed_only_for_a_number_that_routes() -> None:
    async def routes(trunk: str, did: str) -> bool:          # the async form
        return (trunk, did) == ("acme", "100")
    answers, place, events = admit([
        PlaceRequest("c1", did="100", trunk="acme", source="192.0.2.7"),
        PlaceRequest("c2", did="101", trunk="acme", source="192.0.2.7"),
        PlaceRequest("c3", did="100", trunk="other", source="192.0.2.8"),
        PlaceRequest("c4", did="100%26200", trunk="acme", source="192.0.2.7"),
    ], routes)
    assert [a.status for a in answers] == [200, 404, 404, 404]
    assert [r.call_id for r in place.asked] == ["c1"]
    assert [(e.data["reason"], e.data["number"], e.data["ip"]) for e in events] == [
        ("no_route", "101", "192.0.2.7"), ("no_route", "100", "192.0.2.8"),
        ("bad_number", "100%26200", "192.0.2.7")]


def test_without_routing_no_trunk_call_is_admitted() -> None:
    answers, place, _ = admit([PlaceRequest("c1", did="100", trunk="acme")], None)
    assert [a.status for a in answers] == [404] and place.asked == []


def test_a_seat_may_dial_names_codes_and_numbers_but_no_uri_pieces() -> None:
    good = ["201", "*21", "+4930123", "support", "queue.sales"]
    bad = ["201;x=1", "201@evil", "a b", "", "0" * 33, "%40", "1,2", "x(y)"]
    answers, place, events = admit(
        [PlaceRequest(f"c{i}", did=d, seat="201") for i, d in enumerate(good + bad)],
        lambda trunk, did: True)
    assert [a.status for a in answers] == [200] * len(good) + [484] * len(bad)
    assert [r.did for r in place.asked] == good
    assert {e.data["reason"] for e in events} == {"bad_dial_string"}


def test_a_call_placed_again_after_a_node_failed_is_not_checked_twice() -> None:
    answers, place, _ = admit([PlaceRequest("c1", did="999", trunk="acme", failed_port=5070)],
                              lambda trunk, did: False)
    assert [a.status for a in answers] == [200] and len(place.asked) == 1

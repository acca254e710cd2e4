"""The outbound route table: longest prefix, strip/prepend, caller ID, no injection."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from firmware.errors import DialStringError, RouteError
from firmware.store.db import ValidationError
from firmware.store.outbound import OutboundRoute
from firmware.trunks.routes import RouteTable

TABLE = RouteTable([
    OutboundRoute("any", "", ("acme",), caller_id="+4930100"),
    OutboundRoute("national", "0", ("acme", "e1/1"), strip=1, prepend="+49"),
    OutboundRoute("mobile", "015", ("cheap", "acme")),
    OutboundRoute("premium", "0900", ("acme",), enabled=False),
    OutboundRoute("intl", "00", ("acme",), strip=2, prepend="+", caller_id_mode="fixed",
                  caller_id="+4930999"),
])


def test_the_longest_enabled_prefix_wins() -> None:
    assert TABLE.match("0301234").name == "national"
    assert TABLE.match("01511234567").name == "mobile"
    assert TABLE.match("0044201234").name == "intl"
    assert TABLE.match("110").name == "any"
    assert TABLE.match("09001234").name == "national"     # the 0900 route is disabled


def test_strip_and_prepend_make_the_number_the_trunk_gets() -> None:
    assert TABLE.plan("0301234").send == "+49301234"
    assert TABLE.plan("0044201234").send == "+44201234"
    assert TABLE.plan("01511234567").send == "01511234567"
    # a '+' the caller dialled and one the route prepends are not doubled
    assert RouteTable([OutboundRoute("e164", "+", ("acme",), prepend="+")]).plan(
        "+4930123").send == "+4930123"


def test_caller_id_pass_uses_the_calls_own_then_the_routes_then_the_trunks() -> None:
    assert TABLE.plan("110", caller_id="+4930555").caller_id == "+4930555"
    assert TABLE.plan("110").caller_id == "+4930100"
    assert TABLE.plan("0301234").caller_id is None           # the trunk's own default
    assert TABLE.plan("0044201234", caller_id="+4930555").caller_id == "+4930999"  # fixed


def test_route_hint_picks_a_route_by_name() -> None:
    assert TABLE.plan("0301234", route_hint="mobile").route.name == "mobile"
    with pytest.raises(RouteError, match="no such enabled outbound route") as err:
        TABLE.plan("0301234", route_hint="premium")
    assert err.value.route == "premium"


def test_no_route_is_a_route_error_naming_the_number() -> None:
    table = RouteTable([OutboundRoute("national", "0", ("acme",))])
    with pytest.raises(RouteError, match="no outbound route") as err:
        table.plan("110")
    assert err.value.number == "110"


def test_strip_longer_than_the_number_is_refused() -> None:
    with pytest.raises(RouteError, match="shorter than route intl's strip"):
        TABLE.plan("00")


@pytest.mark.parametrize("number, position", [
    ("030&1234", 3), ("030,1234", 3), ("030/1234", 3), ("030(1234", 3),
    ("030;user=phone", 3), ("030@evil", 3), ("0301234?X=1", 7), ("+49+30", 3), ("", None),
    ("0" * 33, None), (" 030", 0)])
def test_injection_characters_never_reach_a_dial_string(number: str, position: int | None) -> None:
    with pytest.raises(DialStringError) as err:
        TABLE.plan(number)
    assert err.value.position == position
    assert isinstance(err.value, RouteError)


def test_a_bad_caller_id_is_refused_naming_the_field() -> None:
    with pytest.raises(DialStringError) as err:
        TABLE.plan("110", caller_id="+49 30 100")
    assert err.value.field == "caller_id"


@given(st.text(max_size=40))
def test_whatever_is_dialled_what_is_sent_is_digits_with_an_optional_plus(number: str) -> None:
    try:
        plan = TABLE.plan(number)
    except RouteError:
        return
    assert plan.send.lstrip("+").isdigit() and plan.send.count("+") <= 1
    assert plan.send.isascii()


@pytest.mark.parametrize("route, field", [
    (OutboundRoute("x", "0a", ("acme",)), "route.prefix"),
    (OutboundRoute("x", "0", ()), "route.groups"),
    (OutboundRoute("x", "0", ("acme", "acme")), "route.groups"),
    (OutboundRoute("x", "0", ("ACME",)), "route.groups[0]"),
    (OutboundRoute("x", "0", ("acme",), strip=40), "route.strip"),
    (OutboundRoute("x", "0", ("acme",), prepend="+49;x"), "route.prepend"),
    (OutboundRoute("x", "0", ("acme",), caller_id_mode="fixed"), "route.caller_id"),
    (OutboundRoute("x", "0", ("acme",), caller_id_mode="always"), "route.caller_id_mode"),
    (OutboundRoute("X Y", "0", ("acme",)), "route.name"),
])
def test_a_bad_route_names_its_field(route: OutboundRoute, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        route.checked()
    assert err.value.field == field

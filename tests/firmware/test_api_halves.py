"""``Api`` is several halves mixed together; a name two halves define resolves to the first
in the MRO and silently hides the other (the trunks' and the inbound routes' ``put_route``
once did). Each public name lives in exactly one half."""
from __future__ import annotations

from collections import defaultdict

from firmware.api import Api

#: Private helpers two halves define on purpose, the first in the MRO being a superset.
SHARED_HELPERS = {
    "_changed",          # InboundApi's also invalidates the route table, then publishes
}


def test_no_two_halves_of_the_api_define_the_same_name() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    halves = [c for c in Api.__mro__[1:] if c.__module__.startswith("firmware.api")]
    assert len(halves) >= 5, halves
    for half in halves:
        for name, value in vars(half).items():
            if callable(value) and not name.startswith("__"):
                owners[name].append(half.__name__)
    twice = {n: o for n, o in owners.items() if len(o) > 1 and n not in SHARED_HELPERS}
    assert twice == {}

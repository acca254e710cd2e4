"""The fakes stay true to what they stand for: same public names and signatures."""
from __future__ import annotations

import inspect

from firmware.media.leg import Leg
from firmware.media.pool import MediaPool
from tests.flows.fakes import FakeLeg, FakePool


def _public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {n: inspect.signature(m) for n, m in inspect.getmembers(cls, callable)
            if not n.startswith("_")}


def test_fake_leg_has_every_method_flows_may_call_with_its_signature() -> None:
    """``on_*`` are the node link's entry points, not the flows'; the rest must match."""
    real, fake = _public_methods(Leg), _public_methods(FakeLeg)
    for name, sig in real.items():
        if name.startswith("on_"):
            continue
        assert name in fake, f"FakeLeg lacks {name}"
        assert list(fake[name].parameters) == list(sig.parameters), name


def test_fake_pool_has_the_call_api_of_media_pool() -> None:
    real, fake = _public_methods(MediaPool), _public_methods(FakePool)
    for name in ("dial", "bridge", "unbridge", "record", "record_legs", "stop_record", "connect",
                 "disconnect", "has_room", "ensure_room", "open_conversation"):
        assert list(fake[name].parameters) == list(real[name].parameters), name


async def test_fake_leg_has_the_attributes_flows_read() -> None:
    leg = FakeLeg("in")
    for attr in ("id", "number", "node", "direction", "info", "state", "digits", "play_done",
                 "answered", "ended", "dtmf_sources", "refers", "held"):
        assert hasattr(leg, attr), attr

"""Security lines (one per event, parseable, unforgeable), counts and bans for health."""
from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import given, strategies as st

from acd_core.clock import ManualClock
from firmware.events import EventBus
from firmware.security import SecurityControl, SecurityLine, SecurityLineError, SecurityMonitor
from firmware.store.db import ValidationError

KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(lambda k: k != "event")


@given(st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
       st.dictionaries(KEYS, st.text(max_size=30), max_size=6))
def test_every_event_makes_one_line_that_parses_back_to_itself(kind: str,
                                                               data: dict[str, str]) -> None:
    line = SecurityLine(kind, tuple(data.items()))
    text = str(line)
    assert "\n" not in text and "\r" not in text
    assert SecurityLine.parse(text) == line


def test_a_peer_chosen_value_cannot_add_a_field() -> None:
    line = SecurityLine("auth_failed", (("ip", "192.0.2.7"), ("user", "x ip=6.6.6.6\nsecurity")))
    text = str(line)
    assert text == "security event=auth_failed ip=192.0.2.7 user=x%20ip%3D6.6.6.6%0Asecurity"
    assert dict(SecurityLine.parse(text).fields)["ip"] == "192.0.2.7"


@pytest.mark.parametrize("text, field, offset", [
    ("event=banned ip=1", "event", 0),
    ("security event=banned ip=1 ip=2", "ip", 27),
    ("security event=banned ip 1", "ip", 22),
    ("security event=banned ip=a\"b", "ip", 22),
    ("security event= ip=1", "event", 9),
])
def test_what_is_not_a_security_line_is_refused_naming_where(text: str, field: str,
                                                              offset: int) -> None:
    with pytest.raises(SecurityLineError) as err:
        SecurityLine.parse(text)
    assert (err.value.field, err.value.offset) == (field, offset)


def test_the_monitor_logs_counts_and_forgets_expired_bans(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="callbox.security")
    clock = ManualClock()
    bus = EventBus(clock)
    monitor = SecurityMonitor(bus, clock)
    bus.publish("security.auth_failed", ip="192.0.2.7", port=5060, user="201", count=1)
    bus.publish("security.banned", ip="192.0.2.7", port=5060, reason="auth_failed", seconds=300)
    bus.publish("security.banned", ip="198.51.100.1", port=5060, reason="flood", seconds=300)
    bus.publish("call.started", id="x")                         # not a security event
    clock.advance(100)
    bus.publish("security.unbanned", ip="198.51.100.1", by="admin")
    assert monitor.bans() == {"192.0.2.7": {"reason": "auth_failed", "seconds_left": 200.0}}
    health = monitor.health()
    assert health["events"] == {"auth_failed": 1, "banned": 2, "unbanned": 1}
    assert (health["total"], health["bans_active"], health["status"]) == (4, 1, "ok")
    assert health["last"]["kind"] == "unbanned"
    clock.advance(200)
    assert monitor.bans() == {} and monitor.health()["bans_active"] == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "callbox.security"]
    assert lines[0] == "security event=auth_failed ip=192.0.2.7 port=5060 user=201 count=1"
    assert len(lines) == 4
    monitor.close()
    bus.publish("security.banned", ip="203.0.113.1", reason="flood", seconds=300)
    assert monitor.health()["total"] == 4


class BanList:
    def __init__(self) -> None:
        self.banned = {"192.0.2.7"}

    async def bans(self) -> list[str]:
        return sorted(self.banned)

    async def unban(self, address: str) -> bool:
        if address in self.banned:
            self.banned.discard(address)
            return True
        return False


def test_control_lists_the_edges_bans_and_lifts_one_with_an_event() -> None:
    async def body() -> None:
        clock = ManualClock()
        bus = EventBus(clock)
        seen: list[str] = []
        bus.subscribe("security.", lambda e: seen.append(e.kind))
        monitor = SecurityMonitor(bus, clock)
        bus.publish("security.banned", ip="192.0.2.7", reason="scanner", seconds=300)
        control = SecurityControl(BanList(), monitor, bus)
        assert await control.bans() == [{"ip": "192.0.2.7", "reason": "scanner",
                                         "seconds_left": 300.0}]
        with pytest.raises(ValidationError) as err:
            await control.unban("192.0.2.7; DROP")
        assert err.value.field == "ip"
        assert await control.unban("198.51.100.9") is False
        assert await control.unban("192.0.2.7") is True
        assert await control.bans() == [] and seen == ["security.banned", "security.unbanned"]
        monitor.close()
    asyncio.run(body())

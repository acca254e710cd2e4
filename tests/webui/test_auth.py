"""Cookie signing, origin checks and login throttling (no HTTP here)."""
from __future__ import annotations

import pytest

from acd_core.clock import ManualClock
from webui.auth import CookieSigner, LoginThrottle, same_origin

KEY = bytes(range(32))


def test_signed_cookie_round_trips_and_tampering_is_refused() -> None:
    s = CookieSigner(KEY)
    value = s.sign("tok123")
    assert s.unsign(value) == "tok123"
    assert s.unsign("tok124." + value.split(".")[1]) is None
    assert s.unsign(value + "x") is None
    assert s.unsign("tok123") is None and s.unsign(None) is None and s.unsign("a.b.c") is None
    assert CookieSigner(bytes(32)).unsign(value) is None          # another box's key
    with pytest.raises(ValueError):
        CookieSigner(b"short")


def test_login_csrf_is_bound_to_its_nonce() -> None:
    s = CookieSigner(KEY)
    n1, n2 = s.new_login_nonce(), s.new_login_nonce()
    assert n1 != n2
    assert s.check_login_csrf(n1, s.login_csrf(n1))
    assert not s.check_login_csrf(n2, s.login_csrf(n1))
    assert not s.check_login_csrf(None, s.login_csrf(n1))
    assert not s.check_login_csrf(n1, None)
    assert s.login_csrf(n1) != s.sign(n1).split(".")[1]          # purposes do not mix


@pytest.mark.parametrize("origin, referer, ok", [
    ("http://box.local:8080", None, True),
    (None, "http://box.local:8080/login", True),
    (None, None, True),
    ("http://evil.example", None, False),
    ("null", None, False),
    (None, "http://evil.example/box.local:8080", False),
    ("http://box.local:8080.evil.example", None, False),
])
def test_same_origin(origin: str | None, referer: str | None, ok: bool) -> None:
    assert same_origin("box.local:8080", origin, referer) is ok


def test_throttle_delays_then_locks_then_forgets() -> None:
    clock = ManualClock(1000.0)
    t = LoginThrottle(clock)
    for _ in range(LoginThrottle.FREE):
        assert t.retry_after("10.0.0.9", "admin") == 0
        t.failure("10.0.0.9", "admin")
    assert t.retry_after("10.0.0.9", "admin") == 1.0             # 1 s after the 3rd failure
    assert t.retry_after("10.0.0.7", "Admin") == 1.0             # per account, any address
    clock.advance(1.0)
    assert t.retry_after("10.0.0.9", "admin") == 0
    t.failure("10.0.0.9", "admin")
    assert t.retry_after("10.0.0.9", "admin") == 2.0             # doubling
    for _ in range(LoginThrottle.LOCK_AFTER - LoginThrottle.FREE - 1):
        clock.advance(60)
        t.failure("10.0.0.9", "admin")
    assert t.locked("admin")
    assert t.retry_after("10.0.0.9", "admin") == LoginThrottle.LOCK_S
    clock.advance(LoginThrottle.LOCK_S)
    assert t.retry_after("10.0.0.9", "admin") == 0
    assert t.retry_after("10.0.0.9", "someone-else") == 0        # the address has more room


def test_throttle_per_address_catches_spraying_many_accounts() -> None:
    clock = ManualClock(0.0)
    t = LoginThrottle(clock)
    for i in range(LoginThrottle.FREE * LoginThrottle.IP_FACTOR):
        t.failure("10.0.0.9", f"user{i}")
    assert t.retry_after("10.0.0.9", "fresh-name") == 1.0
    assert t.retry_after("10.0.0.8", "fresh-name") == 0


def test_success_clears_the_record() -> None:
    clock = ManualClock(0.0)
    t = LoginThrottle(clock)
    for _ in range(5):
        t.failure("10.0.0.9", "admin")
    t.success("10.0.0.9", "admin")
    assert t.retry_after("10.0.0.9", "admin") == 0 and not t.locked("admin")

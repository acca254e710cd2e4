"""Sessions, CSRF tokens and login throttling for the web UI.

The session cookie carries a random token (its sha256 is the server-side
session key, see ``firmware.store.users``) plus an HMAC of it made with a key
generated once on this box and kept in the database. Forged or damaged cookies
are thus turned away without a database query, and rotating the key ends
every session. The cookie is ``HttpOnly; SameSite=Strict; Path=/`` (and
``Secure`` when the request came over HTTPS); it is never bottle's pickled
"secure cookie" (docs/reference/reliability.md#security-choices-already-made-built).

CSRF: every non-GET request must carry a token. After login it is the
session's own token; on the login form (no session yet) it is an HMAC of a
random nonce kept in a separate cookie (a signed double-submit cookie). The
``Origin``/``Referer``, when present, must also name this host.

Throttling (NIST SP 800-63B §5.2.2 keeps the ceiling at 100 failures): after
``FREE`` failures an account must wait 1, 2, 4 ... 60 s between attempts and
is locked for ``LOCK_S`` after ``LOCK_AFTER``; a source address gets more room
(it may be a NAT with many users). A throttled attempt is answered 429 with
``Retry-After`` and its password is not even checked (scrypt costs CPU).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from firmware.api import Clock, SystemClock

SESSION_COOKIE = "callbox_session"
LOGIN_NONCE_COOKIE = "callbox_login"


def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class CookieSigner:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("cookie key must be at least 32 bytes")
        self._key = key

    def sign(self, token: str) -> str:
        return f"{token}.{_mac(self._key, 'session', token)}"

    def unsign(self, value: str | None) -> str | None:
        """The token inside a cookie we signed, else None."""
        if not value or value.count(".") != 1:
            return None
        token, mac = value.split(".")
        return token if hmac.compare_digest(mac, _mac(self._key, "session", token)) else None

    def new_login_nonce(self) -> str:
        return secrets.token_urlsafe(24)

    def login_csrf(self, nonce: str) -> str:
        return _mac(self._key, "login-csrf", nonce)

    def check_login_csrf(self, nonce: str | None, token: str | None) -> bool:
        return bool(nonce and token) and hmac.compare_digest(
            str(token), self.login_csrf(str(nonce)))


def same_origin(host: str | None, origin: str | None, referer: str | None) -> bool:
    """Origin (or, failing that, Referer) must be this host; absent both, rely on the token."""
    source = origin if origin not in (None, "") else referer
    if not source:
        return True
    if source == "null":
        return False
    return bool(host) and urlsplit(source).netloc.lower() == str(host).lower()


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0


class LoginThrottle:
    FREE = 3             # failures without any delay (per account)
    LOCK_AFTER = 10      # failures that lock the account for LOCK_S
    LOCK_S = 600.0
    MAX_DELAY_S = 60.0
    FORGET_S = 900.0     # a record with no failure for this long is forgotten
    IP_FACTOR = 3        # a source address gets 3x the room of an account

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = (clock or SystemClock()).now
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], _Record] = {}

    def _wait(self, rec: _Record | None, factor: int, now: float) -> float:
        if rec is None or now - rec.last > self.FORGET_S:
            return 0.0
        n = rec.failures
        if n >= self.LOCK_AFTER * factor:
            delay = self.LOCK_S
        elif n >= self.FREE * factor:
            delay = min(2.0 ** (n - self.FREE * factor), self.MAX_DELAY_S)
        else:
            return 0.0
        return max(0.0, rec.last + delay - now)

    def retry_after(self, ip: str, username: str) -> float:
        """Seconds before this address may try this account again (0: now)."""
        now = self._clock()
        with self._lock:
            return max(self._wait(self._records.get(("user", username.lower())), 1, now),
                       self._wait(self._records.get(("ip", ip)), self.IP_FACTOR, now))

    def failure(self, ip: str, username: str) -> int:
        """Count a failed attempt; returns the account's failure count."""
        now = self._clock()
        with self._lock:
            if len(self._records) > 10000:
                self._records = {k: r for k, r in self._records.items()
                                 if now - r.last <= self.FORGET_S}
            counts = []
            for key in (("user", username.lower()), ("ip", ip)):
                rec = self._records.get(key)
                if rec is None or now - rec.last > self.FORGET_S:
                    rec = self._records[key] = _Record()
                rec.failures += 1
                rec.last = now
                counts.append(rec.failures)
            return counts[0]

    def locked(self, username: str) -> bool:
        rec = self._records.get(("user", username.lower()))
        return rec is not None and rec.failures >= self.LOCK_AFTER

    def success(self, ip: str, username: str) -> None:
        with self._lock:
            self._records.pop(("user", username.lower()), None)
            self._records.pop(("ip", ip), None)

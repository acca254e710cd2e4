"""Web users, their passwords and sessions, and the box's generated secrets.

Passwords are hashed with ``hashlib.scrypt`` at an OWASP-equivalent cost
(N=2^14, r=8, p=5: 16 MiB per login, ~0.15 s on a small x86 core) with a
random 16-byte salt; the parameters are stored in the hash, so raising them
later re-hashes each password at its next successful login. Hashing runs in a
worker thread so a login never stalls the daemon loop. An unknown user costs
the same hash as a known one, so timing does not reveal which names exist.

Sessions are server side (docs/reference/reliability.md#security-choices-already-made-built):
the cookie carries a
random token, this table only its sha256, so a copy of the database opens no
session. Sessions end after ``IDLE_S`` without use or ``ABSOLUTE_S`` after login.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import secrets as _secrets
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from firmware.errors import StoreError
from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError, only_row

ROLES = ("admin", "supervisor", "agent")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 5
IDLE_S = 30 * 60
ABSOLUTE_S = 12 * 3600
TOUCH_EVERY_S = 60       # write last_seen at most once a minute per session


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    seat: str | None
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    created_at: float
    last_seen: float


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = _secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                        maxmem=256 * r * n + (1 << 20), dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(dk).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        algo, n_s, r_s, p_s, salt_b64, dk_b64 = encoded.split("$")
        n, r, p = int(n_s), int(r_s), int(p_s)
        salt, want = base64.b64decode(salt_b64), base64.b64decode(dk_b64)
        if algo != "scrypt" or n > 2**20 or r > 32 or p > 16:
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                             maxmem=256 * r * n + (1 << 20), dklen=len(want))
    except ValueError:                      # a damaged hash never matches
        return False
    return hmac.compare_digest(got, want)


def needs_rehash(encoded: str) -> bool:
    try:
        _, n, r, p, _, _ = encoded.split("$")
        return (int(n), int(r), int(p)) < (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    except ValueError:
        return True


def _password(v: Any) -> str:
    if not isinstance(v, str) or not 8 <= len(v) <= 256:
        raise ValidationError("user.password", "8-256 characters", show_value=False)
    return v


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against when the user does not exist (made once, lazily)."""
    return hash_password(_secrets.token_urlsafe(16))


def _user(row: sqlite3.Row) -> User:
    return User(row["id"], row["username"], row["role"], row["seat"], row["created_at"])


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, username: str, password: str, role: str, seat: str | None = None) -> User:
        """Create the user or replace its password, role and seat."""
        name = f.name("user.username", username)
        role = f.choice("user.role", role, ROLES)
        seat = None if seat is None else f.extension("user.seat", seat)
        encoded = await asyncio.to_thread(hash_password, _password(password))
        async with self._db.transaction("users.put") as conn:
            async with conn.execute(
                    "INSERT INTO users (username, password_hash, role, seat, created_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET"
                    " password_hash = excluded.password_hash, role = excluded.role,"
                    " seat = excluded.seat RETURNING id", (name, encoded, role, seat,
                                                          self._db.wall())) as cur:
                uid = int((await only_row(cur, "users.put"))[0])
            # a new password or role ends every open session of this user
            await conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (uid,))
            async with conn.execute("SELECT * FROM users WHERE id = ?", (uid,)) as cur:
                return _user(await only_row(cur, "users.put"))

    async def get(self, username: str) -> User | None:
        row = await self._db.fetchone("SELECT * FROM users WHERE username = ?", (username,))
        return None if row is None else _user(row)

    async def list(self) -> list[User]:
        return [_user(r) for r in await self._db.fetchall("SELECT * FROM users ORDER BY username")]

    async def delete(self, username: str) -> None:
        async with self._db.transaction("users.delete") as conn:
            cur = await conn.execute("DELETE FROM users WHERE username = ?", (username,))
            if cur.rowcount == 0:
                raise NotFound("no such user", table="users", key=username)

    async def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right, else None (same cost either way)."""
        if not isinstance(username, str) or not isinstance(password, str) or len(password) > 256:
            return None
        row = await self._db.fetchone("SELECT * FROM users WHERE username = ?", (username,))
        encoded = row["password_hash"] if row is not None else None
        ok = await asyncio.to_thread(
            lambda: verify_password(password, encoded or _dummy_hash()))
        if row is None or not ok:
            return None
        if encoded is not None and needs_rehash(encoded):
            new = await asyncio.to_thread(hash_password, password)
            async with self._db.transaction("users.rehash") as conn:
                await conn.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                                   (new, row["id"]))
        return _user(row)

    # sessions -------------------------------------------------------------
    async def open_session(self, user: User) -> tuple[str, Session]:
        token = _secrets.token_urlsafe(32)
        now = self._db.wall()
        csrf = _secrets.token_urlsafe(24)
        try:
            async with self._db.transaction("sessions.open") as conn:
                await conn.execute(
                    "DELETE FROM web_sessions WHERE last_seen < ? OR created_at < ?",
                    (now - IDLE_S, now - ABSOLUTE_S))
                await conn.execute(
                    "INSERT INTO web_sessions (token_sha256, user_id, csrf, created_at, last_seen)"
                    " VALUES (?, ?, ?, ?, ?)", (_token_hash(token), user.id, csrf, now, now))
        except sqlite3.IntegrityError:
            raise StoreError("user no longer exists", table="web_sessions",
                             user=user.username) from None
        return token, Session(user, csrf, now, now)

    async def session(self, token: str) -> Session | None:
        """The live session for ``token`` (refreshing its idle timer), or None."""
        if not isinstance(token, str) or not token:
            return None
        key = _token_hash(token)
        row = await self._db.fetchone(
            "SELECT s.csrf, s.created_at AS s_created, s.last_seen, u.* FROM web_sessions s"
            " JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = ?", (key,))
        if row is None:
            return None
        now = self._db.wall()
        if now - row["last_seen"] > IDLE_S or now - row["s_created"] > ABSOLUTE_S:
            await self.close_session(token)
            return None
        last_seen = row["last_seen"]
        if now - last_seen >= TOUCH_EVERY_S:
            last_seen = now
            async with self._db.transaction("sessions.touch") as conn:
                await conn.execute("UPDATE web_sessions SET last_seen = ? WHERE token_sha256 = ?",
                                   (now, key))
        return Session(_user(row), row["csrf"], row["s_created"], last_seen)

    async def close_session(self, token: str) -> None:
        async with self._db.transaction("sessions.close") as conn:
            await conn.execute("DELETE FROM web_sessions WHERE token_sha256 = ?",
                               (_token_hash(token),))

    # generated secrets ----------------------------------------------------
    async def secret(self, name: str, nbytes: int = 32) -> bytes:
        """A random secret made once on this box and kept (e.g. the cookie signing key)."""
        async with self._db.transaction("secrets.get") as conn:
            await conn.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)",
                               (name, _secrets.token_bytes(nbytes)))
            async with conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)) as cur:
                return bytes((await only_row(cur, "secrets.get"))[0])

"""Web users, their passwords and sessions, and the box's generated secrets.

Passwords are hashed with Argon2id (argon2-cffi, at OWASP's first recommended
setting: 19 MiB, 2 passes, 1 lane; ~25 ms on a small x86 core, and unlike
scrypt at an equal cost it resists GPU cracking by memory hardness per lane).
The parameters are stored in the hash, so raising them later re-hashes each
password at its next successful login; hashes from older firmware (scrypt)
are still verified and replaced the same way. Hashing runs in a worker
thread so a login never stalls the daemon loop. An unknown user costs the
same hash as a known one, so timing does not reveal which names exist.

A user's role names a row of ``roles`` (built-in or custom, see
``firmware.crm.permissions``); a disabled user cannot log in and its sessions
end. Sessions are server side
(docs/reference/reliability.md#security-choices-already-made-built): the cookie
carries a random token, this table only its sha256, so a copy of the database
opens no session. Sessions end after ``IDLE_S`` without use or ``ABSOLUTE_S`` after login.
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

import argon2

from firmware.errors import StoreError
from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError, only_row

ARGON2_TIME, ARGON2_MEMORY_KIB, ARGON2_LANES = 2, 19456, 1
_HASHER = argon2.PasswordHasher(time_cost=ARGON2_TIME, memory_cost=ARGON2_MEMORY_KIB,
                                parallelism=ARGON2_LANES, type=argon2.Type.ID)
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
    display_name: str = ""
    team: str | None = None
    disabled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    created_at: float
    last_seen: float


def hash_password(password: str) -> str:
    """An Argon2id hash string (``$argon2id$v=19$m=19456,t=2,p=1$...``)."""
    return _HASHER.hash(password)


def legacy_scrypt_hash(password: str, *, n: int = 2**14, r: int = 8, p: int = 5) -> str:
    """The hash format of firmware before the CRM schema, 0003 (kept to test the upgrade path)."""
    salt = _secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                        maxmem=256 * r * n + (1 << 20), dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(dk).decode()}"


def _verify_scrypt(password: str, encoded: str) -> bool:
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


def verify_password(password: str, encoded: str) -> bool:
    if encoded.startswith("scrypt$"):
        return _verify_scrypt(password, encoded)
    try:
        return _HASHER.verify(encoded, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    if not encoded.startswith("$argon2id$"):
        return True
    try:
        return _HASHER.check_needs_rehash(encoded)
    except argon2.exceptions.InvalidHashError:
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


_USER_SELECT = ("SELECT u.*, t.name AS team_name FROM users u"
                " LEFT JOIN teams t ON t.id = u.team_id")


def _user(row: sqlite3.Row) -> User:
    return User(row["id"], row["username"], row["role"], row["seat"], row["created_at"],
                row["display_name"], row["team_name"], bool(row["disabled"]))


async def _role_exists(conn: Any, role: str) -> None:
    async with conn.execute("SELECT 1 FROM roles WHERE name = ?", (role,)) as cur:
        if await cur.fetchone() is None:
            async with conn.execute("SELECT name FROM roles ORDER BY name") as cur2:
                names = [r[0] for r in await cur2.fetchall()]
            raise ValidationError("user.role", "one of " + ", ".join(names), role)


async def _team_id(conn: Any, team: str | None) -> int | None:
    if team is None:
        return None
    async with conn.execute("SELECT id FROM teams WHERE name = ?", (team,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise ValidationError("user.team", "the name of an existing team", team)
    return int(row[0])


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, username: str, password: str | None, role: str,
                  seat: str | None = None, *, display_name: str = "", team: str | None = None,
                  disabled: bool = False) -> User:
        """Create the user or replace its role, seat, team, name, flag (and password if given).

        A new user needs a password. A new password, a new role or disabling
        ends every open session of the user.
        """
        name = f.name("user.username", username)
        role = f.text("user.role", role, 32, required=True)
        seat = None if seat is None else f.extension("user.seat", seat)
        display_name = f.text("user.display_name", display_name, 64)
        disabled = f.boolean("user.disabled", disabled)
        encoded = None if password is None else \
            await asyncio.to_thread(hash_password, _password(password))
        async with self._db.transaction("users.put") as conn:
            await _role_exists(conn, role)
            team_id = await _team_id(conn, team)
            async with conn.execute("SELECT id, role, disabled FROM users WHERE username = ?",
                                    (name,)) as cur:
                old = await cur.fetchone()
            if old is None:
                if encoded is None:
                    raise ValidationError("user.password", "a password for a new user",
                                          show_value=False)
                async with conn.execute(
                        "INSERT INTO users (username, password_hash, role, seat, created_at,"
                        " display_name, team_id, disabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                        " RETURNING id", (name, encoded, role, seat, self._db.wall(),
                                          display_name, team_id, int(disabled))) as cur:
                    uid = int((await only_row(cur, "users.put"))[0])
            else:
                uid = int(old["id"])
                await conn.execute(
                    "UPDATE users SET password_hash = coalesce(?, password_hash), role = ?,"
                    " seat = ?, display_name = ?, team_id = ?, disabled = ? WHERE id = ?",
                    (encoded, role, seat, display_name, team_id, int(disabled), uid))
                if encoded is not None or old["role"] != role or disabled:
                    await conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (uid,))
            async with conn.execute(f"{_USER_SELECT} WHERE u.id = ?", (uid,)) as cur:
                return _user(await only_row(cur, "users.put"))

    async def get(self, username: str) -> User | None:
        row = await self._db.fetchone(f"{_USER_SELECT} WHERE u.username = ?", (username,))
        return None if row is None else _user(row)

    async def list(self) -> list[User]:
        return [_user(r) for r in await self._db.fetchall(f"{_USER_SELECT} ORDER BY u.username")]

    async def delete(self, username: str) -> None:
        async with self._db.transaction("users.delete") as conn:
            cur = await conn.execute("DELETE FROM users WHERE username = ?", (username,))
            if cur.rowcount == 0:
                raise NotFound("no such user", table="users", key=username)

    async def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right, else None (same cost either way)."""
        if not isinstance(username, str) or not isinstance(password, str) or len(password) > 256:
            return None
        row = await self._db.fetchone(f"{_USER_SELECT} WHERE u.username = ?", (username,))
        encoded = row["password_hash"] if row is not None else None
        ok = await asyncio.to_thread(
            lambda: verify_password(password, encoded or _dummy_hash()))
        if row is None or not ok or row["disabled"]:
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
            "SELECT s.csrf, s.created_at AS s_created, s.last_seen, u.*, t.name AS team_name"
            " FROM web_sessions s JOIN users u ON u.id = s.user_id"
            " LEFT JOIN teams t ON t.id = u.team_id WHERE s.token_sha256 = ?", (key,))
        if row is None or row["disabled"]:
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

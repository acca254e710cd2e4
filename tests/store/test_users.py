"""Web users: scrypt passwords, roles, sessions with idle/absolute expiry, secrets."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.store import ValidationError
from firmware.store.users import ABSOLUTE_S, IDLE_S, needs_rehash, verify_password
from tests.store.support import StepClock, opened


async def test_password_is_stored_as_salted_scrypt_and_checked(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        user = await store.users.put("admin", "correct horse", "admin")
        await store.users.put("eve", "correct horse", "agent", seat="201")
        hashes = [r[0] for r in await store.db.fetchall("SELECT password_hash FROM users")]
        assert all(h.startswith("scrypt$16384$8$5$") for h in hashes)
        assert hashes[0] != hashes[1]                       # salted
        assert "correct horse" not in "".join(hashes)
        assert await store.users.authenticate("admin", "correct horse") == user
        assert await store.users.authenticate("admin", "wrong horse") is None
        assert await store.users.authenticate("nobody", "correct horse") is None
        assert (await store.users.get("eve")).seat == "201"


async def test_weaker_hashes_are_upgraded_at_login(tmp_path: Path) -> None:
    from firmware.store.users import hash_password
    async with opened(tmp_path) as store:
        await store.users.put("admin", "correct horse", "admin")
        weak = hash_password("correct horse", n=2**10, r=8, p=1)
        async with store.db.transaction() as conn:
            await conn.execute("UPDATE users SET password_hash = ?", (weak,))
        assert await store.users.authenticate("admin", "correct horse") is not None
        new = await store.db.fetchval("SELECT password_hash FROM users")
        assert not needs_rehash(new) and verify_password("correct horse", new)


@pytest.mark.parametrize("args, field", [
    (("Admin User", "correct horse", "admin"), "user.username"),
    (("admin", "short", "admin"), "user.password"),
    (("admin", "correct horse", "root"), "user.role"),
    (("admin", "correct horse", "agent", "2x1"), "user.seat"),
])
async def test_bad_user_fields_are_named(tmp_path: Path, args: tuple, field: str) -> None:
    async with opened(tmp_path) as store:
        with pytest.raises(ValidationError) as err:
            await store.users.put(*args)
        assert err.value.field == field
        assert "short" not in str(err.value)            # passwords are never echoed
        assert await store.users.list() == []


async def test_sessions_expire_when_idle_and_absolutely(tmp_path: Path) -> None:
    clock = StepClock()
    async with opened(tmp_path, clock=clock) as store:
        user = await store.users.put("admin", "correct horse", "admin")
        token, session = await store.users.open_session(user)
        assert (await store.users.session(token)).user == user
        assert await store.db.fetchval("SELECT COUNT(*) FROM web_sessions WHERE token_sha256 = ?",
                                       (token,)) == 0          # only the hash is stored
        clock.t += IDLE_S - 1
        assert (await store.users.session(token)).csrf == session.csrf    # and refreshed
        clock.t += IDLE_S - 1
        assert await store.users.session(token) is not None
        clock.t += IDLE_S + 1                                   # idle too long
        assert await store.users.session(token) is None
        token, _ = await store.users.open_session(user)
        for _ in range(ABSOLUTE_S // (IDLE_S - 60) + 1):        # kept busy, still ends
            clock.t += IDLE_S - 60
            if await store.users.session(token) is None:
                break
        assert clock.t - (await store.db.fetchval("SELECT MAX(created_at) FROM users")) \
            >= ABSOLUTE_S
        assert await store.users.session(token) is None


async def test_logout_and_password_change_end_sessions(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        user = await store.users.put("admin", "correct horse", "admin")
        t1, _ = await store.users.open_session(user)
        t2, _ = await store.users.open_session(user)
        await store.users.close_session(t1)
        assert await store.users.session(t1) is None
        assert await store.users.session(t2) is not None
        await store.users.put("admin", "battery staple", "admin")
        assert await store.users.session(t2) is None
        assert await store.users.session("forged") is None


async def test_a_secret_is_made_once_and_kept(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        s1 = await store.users.secret("web.cookie")
        assert len(s1) == 32 and await store.users.secret("web.cookie") == s1
        assert await store.users.secret("other") != s1
    async with opened(tmp_path) as store:
        assert await store.users.secret("web.cookie") == s1

"""Web users: Argon2id passwords (scrypt ones upgraded), roles, sessions with idle/absolute expiry, secrets."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.store import ValidationError
from firmware.store.users import ABSOLUTE_S, IDLE_S, needs_rehash, verify_password
from tests.store.support import StepClock, opened


async def test_password_is_stored_as_salted_argon2id_and_checked(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        user = await store.users.put("admin", "correct horse", "admin")
        await store.users.put("eve", "correct horse", "agent", seat="201")
        hashes = [r[0] for r in await store.db.fetchall("SELECT password_hash FROM users")]
        assert all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)
        assert hashes[0] != hashes[1]                       # salted
        assert "correct horse" not in "".join(hashes)
        assert await store.users.authenticate("admin", "correct horse") == user
        assert await store.users.authenticate("admin", "wrong horse") is None
        assert await store.users.authenticate("nobody", "correct horse") is None
        assert (await store.users.get("eve")).seat == "201"


async def test_weaker_hashes_are_upgraded_at_login(tmp_path: Path) -> None:
    from firmware.store.users import legacy_scrypt_hash
    async with opened(tmp_path) as store:
        await store.users.put("admin", "correct horse", "admin")
        weak = legacy_scrypt_hash("correct horse", n=2**10, r=8, p=1)   # older firmware's
        async with store.db.transaction() as conn:
            await conn.execute("UPDATE users SET password_hash = ?", (weak,))
        assert await store.users.authenticate("admin", "correct horse") is not None
        new = await store.db.fetchval("SELECT password_hash FROM users")
        assert new.startswith("$argon2id$")
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


async def test_roles_come_from_the_roles_table_and_disabled_users_cannot_log_in(
        tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        for role in ("admin", "supervisor", "team_leader", "agent", "auditor"):
            assert (await store.users.put(f"u-{role.replace('_', '-')}", "correct horse",
                                          role)).role == role
        async with store.db.transaction() as conn:
            await conn.execute("INSERT INTO roles (name) VALUES ('night-shift')")
        assert (await store.users.put("nina", "correct horse", "night-shift")).role == \
            "night-shift"
        user = await store.users.put("dave", "correct horse", "agent", display_name="Dave")
        token, _ = await store.users.open_session(user)
        # an update without a password keeps it; disabling ends the sessions and logins
        await store.users.put("dave", None, "agent", disabled=True)
        assert await store.users.session(token) is None
        assert await store.users.authenticate("dave", "correct horse") is None
        await store.users.put("dave", None, "agent", display_name="Dave")
        assert (await store.users.authenticate("dave", "correct horse")).display_name == "Dave"
        with pytest.raises(ValidationError) as err:
            await store.users.put("newbie", None, "agent")
        assert err.value.field == "user.password"
        with pytest.raises(ValidationError) as err:
            await store.users.put("dave", None, "agent", team="nowhere")
        assert err.value.field == "user.team"


async def test_the_crm_schema_keeps_the_users_of_older_schemas(tmp_path: Path) -> None:
    """The users table is rebuilt by migration 0003_crm; accounts and hashes survive it."""
    import shutil
    import sqlite3

    from firmware.store import Store
    from firmware.store.db import MIGRATIONS_DIR
    from firmware.store.users import legacy_scrypt_hash
    only1 = tmp_path / "m1"
    only1.mkdir()
    for mig in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if mig.name.endswith("_crm.sql"):
            break
        shutil.copy(mig, only1)
    db = tmp_path / "var" / "callbox.db"
    store = await Store.open(db, migrations_dir=only1)
    await store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (username, password_hash, role, seat, created_at)"
                     " VALUES ('old', ?, 'supervisor', '205', 1.0)",
                     (legacy_scrypt_hash("correct horse", n=2**10, r=8, p=1),))
    conn.close()
    async with opened(tmp_path) as store:
        user = await store.users.authenticate("old", "correct horse")
        assert (user.username, user.role, user.seat, user.disabled) == \
            ("old", "supervisor", "205", False)
        assert await store.db.fetchval("PRAGMA foreign_key_check") is None

"""Roles, teams (the org tree) and integration API tokens.

Built-in roles are rows of ``roles`` with ``builtin = 1`` (so ``users.role``
can reference them) whose permissions come from
``firmware.crm.permissions.BUILTIN_ROLES``; custom roles keep theirs in
``role_permissions``. Teams form a tree through ``parent_id``; a team's
``leader`` is the user a ticket escalates to at level 1, the parent team's
leader (the supervisor) at level 2.

API tokens are 32 random bytes shown once at creation (``cbx_`` + base64url);
the table keeps their sha256 only. A token is high-entropy, so a fast hash is
enough (no password-style stretching), and looking it up is a single index probe.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError, only_row
from firmware.store.config import InUse

TOKEN_PREFIX = "cbx_"


@dataclass(frozen=True)
class Role:
    name: str
    builtin: bool
    description: str
    permissions: tuple[str, ...]      # custom roles only; built-ins: see permissions.py

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    parent: str | None
    leader: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "parent": self.parent, "leader": self.leader}


@dataclass(frozen=True)
class ApiToken:
    name: str
    role: str
    created_at: float
    created_by: str
    last_used: float | None
    revoked_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Access:
    def __init__(self, db: Database) -> None:
        self._db = db

    # roles ------------------------------------------------------------------
    async def roles(self) -> list[Role]:
        rows = await self._db.fetchall("SELECT * FROM roles ORDER BY builtin DESC, name")
        perms = await self._db.fetchall("SELECT role, permission FROM role_permissions"
                                        " ORDER BY permission")
        by_role: dict[str, list[str]] = {}
        for r in perms:
            by_role.setdefault(r["role"], []).append(r["permission"])
        return [Role(r["name"], bool(r["builtin"]), r["description"],
                     tuple(by_role.get(r["name"], ()))) for r in rows]

    async def role(self, name: str) -> Role | None:
        return next((r for r in await self.roles() if r.name == name), None)

    async def put_role(self, name: str, permissions: frozenset[str], description: str = "") -> Role:
        name = f.name("role.name", name)
        description = f.text("role.description", description, 200)
        async with self._db.transaction("roles.put") as conn:
            async with conn.execute("SELECT builtin FROM roles WHERE name = ?", (name,)) as cur:
                row = await cur.fetchone()
            if row is not None and row[0]:
                raise ValidationError("role.name", "a name that is not a built-in role", name)
            await conn.execute("INSERT INTO roles (name, builtin, description) VALUES (?, 0, ?)"
                               " ON CONFLICT(name) DO UPDATE SET description = excluded.description",
                               (name, description))
            await conn.execute("DELETE FROM role_permissions WHERE role = ?", (name,))
            await conn.executemany("INSERT INTO role_permissions (role, permission) VALUES (?, ?)",
                                   [(name, p) for p in sorted(permissions)])
        return Role(name, False, description, tuple(sorted(permissions)))

    async def delete_role(self, name: str) -> None:
        async with self._db.transaction("roles.delete") as conn:
            async with conn.execute("SELECT builtin FROM roles WHERE name = ?", (name,)) as cur:
                row = await cur.fetchone()
            if row is None:
                raise NotFound("no such role", table="roles", key=name)
            if row[0]:
                raise ValidationError("role.name", "a custom role (built-in roles stay)", name)
            for table in ("users", "api_tokens"):
                async with conn.execute(f"SELECT COUNT(*) FROM {table} WHERE role = ?",
                                        (name,)) as cur:
                    if (await only_row(cur, "roles.delete"))[0]:
                        raise InUse(f"role is still given to {table}", table="roles", key=name)
            await conn.execute("DELETE FROM roles WHERE name = ?", (name,))

    async def custom_permissions(self, role: str) -> frozenset[str]:
        rows = await self._db.fetchall("SELECT permission FROM role_permissions WHERE role = ?",
                                       (role,))
        return frozenset(r[0] for r in rows)

    # teams ------------------------------------------------------------------
    _TEAM_SELECT = ("SELECT t.id, t.name, p.name AS parent, u.username AS leader FROM teams t"
                    " LEFT JOIN teams p ON p.id = t.parent_id"
                    " LEFT JOIN users u ON u.id = t.leader_id")

    async def teams(self) -> list[Team]:
        rows = await self._db.fetchall(f"{self._TEAM_SELECT} ORDER BY t.name")
        return [Team(r["id"], r["name"], r["parent"], r["leader"]) for r in rows]

    async def team(self, name: str) -> Team | None:
        row = await self._db.fetchone(f"{self._TEAM_SELECT} WHERE t.name = ?", (name,))
        return None if row is None else Team(row["id"], row["name"], row["parent"], row["leader"])

    async def put_team(self, name: str, parent: str | None = None,
                       leader: str | None = None) -> Team:
        """Create or move/re-lead a team; a parent that would make a cycle is refused."""
        name = f.name("team.name", name)
        async with self._db.transaction("teams.put") as conn:
            parent_id = leader_id = None
            if parent is not None:
                async with conn.execute("SELECT id FROM teams WHERE name = ?", (parent,)) as cur:
                    row = await cur.fetchone()
                if row is None:
                    raise ValidationError("team.parent", "the name of an existing team", parent)
                parent_id = int(row[0])
            if leader is not None:
                async with conn.execute("SELECT id FROM users WHERE username = ?",
                                        (leader,)) as cur:
                    row = await cur.fetchone()
                if row is None:
                    raise ValidationError("team.leader", "the name of an existing user", leader)
                leader_id = int(row[0])
            async with conn.execute(
                    "INSERT INTO teams (name, parent_id, leader_id) VALUES (?, ?, ?)"
                    " ON CONFLICT(name) DO UPDATE SET parent_id = excluded.parent_id,"
                    " leader_id = excluded.leader_id RETURNING id",
                    (name, parent_id, leader_id)) as cur:
                tid = int((await only_row(cur, "teams.put"))[0])
            # walk up from the new parent: meeting ourselves means a cycle
            seen, node = set(), parent_id
            while node is not None:
                if node == tid or node in seen:
                    raise ValidationError("team.parent", "a team that is not below this one",
                                          parent)
                seen.add(node)
                async with conn.execute("SELECT parent_id FROM teams WHERE id = ?",
                                        (node,)) as cur:
                    node = (await only_row(cur, "teams.put"))[0]
        team = await self.team(name)
        assert team is not None
        return team

    async def delete_team(self, name: str) -> None:
        try:
            async with self._db.transaction("teams.delete") as conn:
                cur = await conn.execute("DELETE FROM teams WHERE name = ?", (name,))
                if cur.rowcount == 0:
                    raise NotFound("no such team", table="teams", key=name)
        except sqlite3.IntegrityError:
            raise InUse("team still has teams below it", table="teams", key=name) from None

    async def chain(self, team_id: int | None) -> list[dict[str, Any]]:
        """The team and its ancestors, nearest first: ``[{"id", "name", "leader"}]``."""
        out: list[dict[str, Any]] = []
        node = team_id
        while node is not None and len(out) < 32:
            row = await self._db.fetchone(
                "SELECT t.id, t.name, t.parent_id, u.username AS leader FROM teams t"
                " LEFT JOIN users u ON u.id = t.leader_id WHERE t.id = ?", (node,))
            if row is None:
                break
            out.append({"id": row["id"], "name": row["name"], "leader": row["leader"]})
            node = row["parent_id"]
        return out

    # API tokens -------------------------------------------------------------
    async def create_token(self, name: str, role: str, created_by: str) -> tuple[str, ApiToken]:
        name = f.name("token.name", name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._db.wall()
        async with self._db.transaction("tokens.create") as conn:
            async with conn.execute("SELECT 1 FROM roles WHERE name = ?", (role,)) as cur:
                if await cur.fetchone() is None:
                    raise ValidationError("token.role", "the name of an existing role", role)
            try:
                await conn.execute(
                    "INSERT INTO api_tokens (name, role, token_sha256, created_at, created_by)"
                    " VALUES (?, ?, ?, ?, ?)", (name, role, token_hash(token), now, created_by))
            except sqlite3.IntegrityError:
                raise ValidationError("token.name", "a name no other token has", name) from None
        return token, ApiToken(name, role, now, created_by, None, None)

    async def tokens(self) -> list[ApiToken]:
        rows = await self._db.fetchall("SELECT * FROM api_tokens ORDER BY name")
        return [ApiToken(r["name"], r["role"], r["created_at"], r["created_by"], r["last_used"],
                         r["revoked_at"]) for r in rows]

    async def revoke_token(self, name: str) -> None:
        async with self._db.transaction("tokens.revoke") as conn:
            cur = await conn.execute("UPDATE api_tokens SET revoked_at = ? WHERE name = ?"
                                     " AND revoked_at IS NULL", (self._db.wall(), name))
            if cur.rowcount == 0:
                raise NotFound("no such live token", table="api_tokens", key=name)

    async def token_role(self, token: str) -> tuple[str, str] | None:
        """``(name, role)`` of a live token, else None; stamps ``last_used``."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        key = token_hash(token)
        row = await self._db.fetchone("SELECT name, role, last_used FROM api_tokens"
                                      " WHERE token_sha256 = ? AND revoked_at IS NULL", (key,))
        if row is None:
            return None
        now = self._db.wall()
        if row["last_used"] is None or now - row["last_used"] >= 60:
            async with self._db.transaction("tokens.touch") as conn:
                await conn.execute("UPDATE api_tokens SET last_used = ? WHERE token_sha256 = ?",
                                   (now, key))
        return row["name"], row["role"]

    # settings ---------------------------------------------------------------
    async def settings(self) -> dict[str, str]:
        return {r[0]: r[1] for r in await self._db.fetchall("SELECT key, value FROM crm_settings")}

    async def put_settings(self, values: dict[str, str]) -> dict[str, str]:
        async with self._db.transaction("settings.put") as conn:
            for k, v in values.items():
                cur = await conn.execute("UPDATE crm_settings SET value = ? WHERE key = ?", (v, k))
                if cur.rowcount == 0:
                    raise ValidationError(k, "a known setting")
        return await self.settings()


def dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

"""Announcements and knowledge notes that agents see on their desk.

An entry is for everyone (``team`` None) or for one team and the teams below
it; an announcement may expire, a knowledge note usually does not. Pinned
entries come first.
"""
from __future__ import annotations

import sqlite3
from typing import Any

from firmware.store import fields as f
from firmware.store.customers import multiline
from firmware.store.db import Database, NotFound, ValidationError, only_row

KINDS = ("announcement", "knowledge")


def _entry(r: sqlite3.Row) -> dict[str, Any]:
    return {"id": r["id"], "kind": r["kind"], "title": r["title"], "body": r["body"],
            "author": r["author"], "team": r["team"], "pinned": bool(r["pinned"]),
            "created_at": r["created_at"], "updated_at": r["updated_at"],
            "expires_at": r["expires_at"]}


class Desk:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, *, title: str, body: str, author: str, kind: str = "announcement",
                  team: str | None = None, pinned: bool = False, expires_at: float | None = None,
                  id: int | None = None) -> dict[str, Any]:
        kind = f.choice("announcement.kind", kind, KINDS)
        title = f.text("announcement.title", title.strip(), 200, required=True)
        body = multiline("announcement.body", body, 20000)
        expires_at = f.opt_timestamp("announcement.expires_at", expires_at)
        now = self._db.wall()
        async with self._db.transaction("desk.put") as conn:
            team_id = None
            if team is not None:
                async with conn.execute("SELECT id FROM teams WHERE name = ?", (team,)) as cur:
                    row = await cur.fetchone()
                if row is None:
                    raise ValidationError("announcement.team", "an existing team", team)
                team_id = row[0]
            if id is None:
                async with conn.execute(
                        "INSERT INTO announcements (kind, title, body, author, team_id, pinned,"
                        " created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        " RETURNING id", (kind, title, body, author, team_id, int(pinned), now,
                                          now, expires_at)) as cur:
                    id = int((await only_row(cur, "announcements.put"))[0])
            else:
                cur = await conn.execute(
                    "UPDATE announcements SET kind = ?, title = ?, body = ?, author = ?,"
                    " team_id = ?, pinned = ?, updated_at = ?, expires_at = ? WHERE id = ?",
                    (kind, title, body, author, team_id, int(pinned), now, expires_at, id))
                if cur.rowcount == 0:
                    raise NotFound("no such announcement", table="announcements", key=id)
        row = await self._db.fetchone(
            "SELECT a.*, t.name AS team FROM announcements a LEFT JOIN teams t"
            " ON t.id = a.team_id WHERE a.id = ?", (id,))
        assert row is not None
        return _entry(row)

    async def delete(self, id: int) -> None:
        async with self._db.transaction("desk.delete") as conn:
            cur = await conn.execute("DELETE FROM announcements WHERE id = ?", (id,))
            if cur.rowcount == 0:
                raise NotFound("no such announcement", table="announcements", key=id)

    async def for_teams(self, team_ids: list[int], now: float, *, everything: bool = False
                        ) -> list[dict[str, Any]]:
        """Entries for everyone plus those of ``team_ids`` (a team and its ancestors)."""
        marks = ",".join("?" * len(team_ids)) or "NULL"
        scope = "" if everything else f" AND (a.team_id IS NULL OR a.team_id IN ({marks}))"
        rows = await self._db.fetchall(
            "SELECT a.*, t.name AS team FROM announcements a LEFT JOIN teams t"
            f" ON t.id = a.team_id WHERE (a.expires_at IS NULL OR a.expires_at > ?){scope}"
            " ORDER BY a.pinned DESC, a.updated_at DESC, a.id DESC LIMIT 200",
            [now, *([] if everything else team_ids)])
        return [_entry(r) for r in rows]

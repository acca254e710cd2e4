"""Voicemail boxes and their messages, and the callbacks promised to callers.

A message's WAV lives under ``var/recordings/YYYY/MM/DD/`` and is indexed in
``recordings`` like a call's recording (retention, backup and privacy requests treat
it the same); this table adds which box, who called and whether it became a ticket.
A callback is written when the caller asks for it and kept until it is done or given
up, so a promise survives a restart of the daemon.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from firmware.store import fields as f
from firmware.store.config import InUse
from firmware.store.db import Database, NotFound, ValidationError, only_row
from firmware.store.ivrtree import LANGUAGES
from firmware.store.where import Where

CALLBACK_STATES = ("waiting", "done", "failed")


@dataclass(frozen=True)
class VoicemailBox:
    name: str
    greeting: str = ""                   # prompt name; '' = the built-in greeting
    max_s: int = 120
    ticket_type: str = ""                # '' = no ticket; else each message opens one
    language: str = "en"

    def checked(self) -> "VoicemailBox":
        return VoicemailBox(f.name("voicemail.name", self.name),
                            f.name("voicemail.greeting", self.greeting) if self.greeting else "",
                            f.integer("voicemail.max_s", self.max_s, 5, 600),
                            f.name("voicemail.ticket_type", self.ticket_type)
                            if self.ticket_type else "",
                            f.choice("voicemail.language", self.language, LANGUAGES))


@dataclass(frozen=True)
class Voicemail:
    id: int
    box: str
    call_id: str
    caller_number: str
    caller_name: str
    path: str
    seconds: float
    created_at: float
    ticket_id: int | None
    heard_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Callback:
    call_id: str
    queue: str
    number: str
    trunk: str
    joined_at: float
    state: str = "waiting"
    attempts: int = 0
    outcome: str = ""


class VoicemailStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # boxes -------------------------------------------------------------------------
    async def boxes(self) -> list[VoicemailBox]:
        rows = await self._db.fetchall("SELECT name, greeting, max_s, ticket_type, language"
                                       " FROM voicemail_boxes ORDER BY name")
        return [VoicemailBox(*r) for r in rows]

    async def box(self, name: str) -> VoicemailBox | None:
        return next((b for b in await self.boxes() if b.name == name), None)

    async def put_box(self, box: VoicemailBox) -> VoicemailBox:
        b = box.checked()
        async with self._db.transaction("voicemail.put_box") as conn:
            for col, table, key, value in (("greeting", "prompts", "name", b.greeting),
                                           ("ticket_type", "ticket_types", "name",
                                            b.ticket_type)):
                if value:
                    async with conn.execute(f"SELECT 1 FROM {table} WHERE {key} = ?",
                                            (value,)) as cur:
                        if await cur.fetchone() is None:
                            raise ValidationError(f"voicemail.{col}",
                                                  f"an existing {table[:-1].replace('_', ' ')}",
                                                  value)
            await conn.execute(
                "INSERT INTO voicemail_boxes (name, greeting, max_s, ticket_type, language)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
                " greeting = excluded.greeting, max_s = excluded.max_s,"
                " ticket_type = excluded.ticket_type, language = excluded.language",
                (b.name, b.greeting, b.max_s, b.ticket_type, b.language))
        return b

    async def delete_box(self, name: str) -> None:
        try:
            async with self._db.transaction("voicemail.delete_box") as conn:
                cur = await conn.execute("DELETE FROM voicemail_boxes WHERE name = ?", (name,))
                if cur.rowcount == 0:
                    raise NotFound("no such voicemail box", table="voicemail_boxes", key=name)
        except sqlite3.IntegrityError:
            raise InUse(f"voicemail box {name!r} still holds messages or is named by a route,"
                        " list, rule or IVR", table="voicemail_boxes", key=name) from None

    # messages -------------------------------------------------------------------------
    async def add(self, box: str, call_id: str, caller_number: str, caller_name: str,
                  path: str, seconds: float) -> Voicemail:
        now = self._db.wall()
        async with self._db.transaction("voicemail.add") as conn:
            async with conn.execute(
                    "INSERT INTO voicemails (box, call_id, caller_number, caller_name, path,"
                    " seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (box, call_id, f.text("voicemail.caller_number", caller_number, 64),
                     f.text("voicemail.caller_name", caller_name, 64),
                     f.rel_path("voicemail.path", path),
                     f.seconds("voicemail.seconds", seconds), now)) as cur:
                vid = int((await only_row(cur, "voicemail.add"))[0])
        return Voicemail(vid, box, call_id, caller_number, caller_name, path, seconds, now,
                         None, None)

    async def get(self, vid: int) -> Voicemail | None:
        row = await self._db.fetchone("SELECT * FROM voicemails WHERE id = ?", (vid,))
        return None if row is None else Voicemail(**dict(row))

    async def page(self, limit: int, offset: int, box: str | None = None,
                   since: float | None = None, until: float | None = None
                   ) -> tuple[list[Voicemail], int]:
        w = Where().time_range("created_at", since, until)
        if box is not None:
            w.eq("box", box, lambda n, v: f.name(n, v))
        sql, params = w.sql(), w.params
        total = await self._db.fetchval(f"SELECT COUNT(*) FROM voicemails {sql}", params)
        rows = await self._db.fetchall(
            f"SELECT * FROM voicemails {sql} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, f.integer("limit", limit, 1, 500), f.integer("offset", offset, 0, 10**9)])
        return [Voicemail(**dict(r)) for r in rows], int(total)

    async def set_ticket(self, vid: int, ticket_id: int) -> None:
        async with self._db.transaction("voicemail.set_ticket") as conn:
            await conn.execute("UPDATE voicemails SET ticket_id = ? WHERE id = ?",
                               (ticket_id, vid))

    async def mark_heard(self, vid: int) -> None:
        async with self._db.transaction("voicemail.mark_heard") as conn:
            await conn.execute("UPDATE voicemails SET heard_at = coalesce(heard_at, ?)"
                               " WHERE id = ?", (self._db.wall(), vid))

    async def delete(self, vid: int) -> Voicemail:
        v = await self.get(vid)
        if v is None:
            raise NotFound("no such voicemail", table="voicemails", key=vid)
        async with self._db.transaction("voicemail.delete") as conn:
            await conn.execute("DELETE FROM voicemails WHERE id = ?", (vid,))
        return v

    # callbacks ------------------------------------------------------------------------
    async def put_callback(self, cb: Callback) -> None:
        now = self._db.wall()
        async with self._db.transaction("callbacks.put") as conn:
            await conn.execute(
                "INSERT INTO callbacks (call_id, queue, number, trunk, joined_at, state,"
                " attempts, created_at, updated_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(call_id) DO UPDATE SET state = excluded.state,"
                " attempts = excluded.attempts, updated_at = excluded.updated_at,"
                " outcome = excluded.outcome",
                (cb.call_id, cb.queue, f.number("callback.number", cb.number), cb.trunk,
                 cb.joined_at, f.choice("callback.state", cb.state, CALLBACK_STATES),
                 cb.attempts, now, now, f.text("callback.outcome", cb.outcome, 100)))

    async def callbacks(self, state: str | None = "waiting") -> list[Callback]:
        sql = ("SELECT call_id, queue, number, trunk, joined_at, state, attempts, outcome"
               " FROM callbacks")
        rows = await (self._db.fetchall(sql + " WHERE state = ? ORDER BY joined_at", (state,))
                      if state else self._db.fetchall(sql + " ORDER BY joined_at"))
        return [Callback(*r) for r in rows]

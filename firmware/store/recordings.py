"""Index of finished recordings under ``var/recordings``.

A row exists only for a file that is complete: the recorder writes into
``.incoming/``, the daemon moves the final WAV to ``YYYY/MM/DD/`` and only then
calls ``index()``, which checks the file is really there (and is not a
``.part`` or an ``.incoming`` file) and takes its size from the file itself.
"""
from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from firmware.errors import StoreError
from firmware.store import fields as f
from firmware.store.db import Database, ValidationError


@dataclass(frozen=True)
class Recording:
    path: str          # relative to the recordings folder
    call_id: str
    seconds: float
    bytes: int
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _from_row(row: sqlite3.Row) -> Recording:
    return Recording(row["path"], row["call_id"], row["seconds"], row["bytes"], row["created_at"])


class Recordings:
    def __init__(self, db: Database, root: Path) -> None:
        self._db = db
        self.root = Path(root)

    async def index(self, path: str, call_id: str, seconds: float) -> Recording:
        rel = f.rel_path("recording.path", path)
        if rel.endswith(".part") or rel.split("/")[0] == ".incoming":
            raise ValidationError("recording.path", "a finished file outside .incoming/", rel)
        full = self.root / rel
        try:
            st = await asyncio.to_thread(os.stat, full)
        except OSError as exc:
            raise StoreError(f"recording file is not there: {exc.strerror}",
                             table="recordings", path=rel) from None
        rec = Recording(rel, f.text("recording.call_id", call_id, 64, required=True),
                        f.seconds("recording.seconds", seconds),
                        st.st_size, self._db.wall())
        try:
            async with self._db.transaction("recordings.index") as conn:
                await conn.execute(
                    "INSERT INTO recordings (path, call_id, seconds, bytes, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (rec.path, rec.call_id, rec.seconds, rec.bytes, rec.created_at))
        except sqlite3.IntegrityError:
            raise StoreError("recording already indexed", table="recordings", path=rel) from None
        return rec

    async def get(self, path: str) -> Recording | None:
        row = await self._db.fetchone("SELECT * FROM recordings WHERE path = ?", (path,))
        return None if row is None else _from_row(row)

    async def for_call(self, call_id: str) -> list[Recording]:
        rows = await self._db.fetchall(
            "SELECT * FROM recordings WHERE call_id = ? ORDER BY created_at, path", (call_id,))
        return [_from_row(r) for r in rows]

    async def list(self, limit: int = 100, offset: int = 0) -> list[Recording]:
        rows = await self._db.fetchall(
            "SELECT * FROM recordings ORDER BY created_at DESC, path LIMIT ? OFFSET ?",
            (f.integer("limit", limit, 1, 10000), f.integer("offset", offset, 0, 2**62)))
        return [_from_row(r) for r in rows]

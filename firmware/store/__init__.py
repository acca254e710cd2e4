"""The daemon's database: one SQLite file, one module per aggregate.

``store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)``
gives ``store.config`` (trunks, DIDs, IVR menus, queues, seats), ``store.outbound``
(the outbound route table), ``store.users``
(web users, sessions, generated secrets), ``store.cdr``, ``store.queue_log``,
``store.events`` (the event log), ``store.recordings``, ``store.inbound`` (routes,
caller lists, schedules, prompts, queue rules, IVR trees) and ``store.voicemail``
(boxes, messages, callbacks). The daemon is the
only writer; web threads reach it through ``firmware.api``.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

from acd_core.clock import Clock
from firmware.errors import StoreError
from firmware.events import EventBus
from firmware.store.calls_live import CallsLive, LiveCall
from firmware.store.cdr import CallRecord, CdrFilter, CdrStore
from firmware.store.config import ConfigStore, Did, InUse, IvrMenu, Queue, Seat, Trunk
from firmware.store.db import (MIGRATIONS_DIR, Database, NotFound, SchemaTooNew,
                               ValidationError, connect)
from firmware.store.eventlog import EventLog, EventLogWriter, LoggedEvent
from firmware.store.inbound import InboundStore
from firmware.store.lock import DbLock
from firmware.store.outbound import OutboundRoute, OutboundRoutes
from firmware.store.queue_log import QueueEvent, QueueLog
from firmware.store.recordings import Recording, Recordings
from firmware.store.users import Session, User, Users
from firmware.store.voicemail import VoicemailStore

log = logging.getLogger("callbox.store")

__all__ = [
    "Store", "StoreError", "SchemaTooNew", "ValidationError", "NotFound", "InUse",
    "CallRecord", "CdrFilter", "QueueEvent", "LoggedEvent", "EventLogWriter", "Recording",
    "Trunk", "Queue", "IvrMenu", "Seat", "Did", "User", "Session", "OutboundRoute",
]


class Store:
    """Open with ``await Store.open(path)``; close with ``await store.close()``."""

    def __init__(self, db: Database, recordings_dir: Path) -> None:
        self._db: Database | None = db
        self.path = db.path
        self.config = ConfigStore(db)
        self.users = Users(db)
        self.cdr = CdrStore(db)
        self.calls_live = CallsLive(db)
        self.queue_log = QueueLog(db)
        self.events = EventLog(db)
        self.recordings = Recordings(db, recordings_dir)
        self.inbound = InboundStore(db)
        self.voicemail = VoicemailStore(db)
        self.outbound = OutboundRoutes(db)
        self._writer: EventLogWriter | None = None
        self._lock: DbLock | None = None

    @classmethod
    async def open(cls, path: Path | str, *, recordings_dir: Path | None = None,
                   migrations_dir: Path = MIGRATIONS_DIR, clock: Clock | None = None,
                   check: bool = True) -> "Store":
        """Create folders, set WAL + synchronous=FULL + foreign keys, check, migrate.

        Raises ``SchemaTooNew`` for a database written by newer firmware and
        ``StoreError`` for anything else that stops the database from opening.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass                            # connect() names the folder it cannot create
        # shared: any number of openers; refused only while a restore holds it
        lock = DbLock.take(path) if path.parent.is_dir() else None
        try:
            db = await connect(path, migrations_dir=migrations_dir, clock=clock, check=check)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        store = cls(db, recordings_dir or path.parent / "recordings")
        store._lock = lock
        return store

    @property
    def db(self) -> Database:
        if self._db is None:
            raise StoreError("store is closed", path=str(self.path))
        return self._db

    def attach_event_log(self, bus: EventBus, **writer_kw: Any) -> EventLogWriter:
        """Persist every event of ``bus`` (call on the loop); ``close()`` flushes it."""
        if self._writer is not None:
            raise StoreError("an event log writer is already attached", path=str(self.path))
        self._writer = EventLogWriter(self.events, bus, **writer_kw)
        self._writer.start()
        return self._writer

    async def close(self) -> None:
        """Flush the attached event log writer, then close the database."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            try:
                await writer.close()
            except StoreError:
                log.exception("event log not flushed at close")
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    async def pragma(self, name: str) -> Any:
        return await self.db.fetchval(f"PRAGMA {name}")

    async def schema_version(self) -> int:
        return int(await self.db.fetchval("SELECT MAX(version) FROM schema_version") or 0)

    async def checkpoint(self) -> None:
        """Fold the WAL back into the database file and truncate it (run it periodically)."""
        await self.db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    async def backup(self, dest: Path) -> Path:
        """A consistent copy of the database at ``dest`` (``VACUUM INTO``), made durable.

        Written as ``dest.tmp``, fsynced, renamed over ``dest``, then the folder is
        fsynced (docs/reference/reliability.md#small-files-built-where-noted). Other
        database work waits meanwhile.
        """
        dest = Path(dest)
        tmp = dest.with_name(dest.name + ".tmp")
        await asyncio.to_thread(lambda: tmp.unlink(missing_ok=True))
        async with self.db.reading() as conn:
            await conn.execute("VACUUM INTO ?", (str(tmp),))

        def make_durable() -> None:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
            dir_fd = os.open(dest.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        await asyncio.to_thread(make_durable)
        return dest

    async def health(self) -> dict[str, Any]:
        """The ``database`` component of ``/api/health``."""
        t0 = time.monotonic()
        try:
            version = await self.schema_version()
            calls = await self.db.fetchval("SELECT COUNT(*) FROM cdr")
        except StoreError as exc:
            return {"status": "down", "detail": str(exc)}
        try:
            size = os.stat(self.path).st_size
        except OSError:
            size = None
        return {"status": "ok", "schema_version": version, "calls": calls,
                "size_bytes": size, "query_ms": round((time.monotonic() - t0) * 1000, 2)}

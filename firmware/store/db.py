"""The database connection, its durability settings and the migration runner.

One SQLite file (``var/callbox.db``) holds configuration, call records, queue
events, the event log and the recordings index. The daemon is its only writer.
Settings follow docs/reference/reliability.md#sqlite-durability-built: WAL with
``synchronous=FULL`` (a
committed CDR survives a power cut, not just a crash), foreign keys on, a busy
timeout, and ``PRAGMA quick_check`` when the box starts.

Migrations are ``migrations/NNNN_name.sql``, numbered from 0001 without gaps.
Each runs in its own transaction together with its ``schema_version`` row, so a
failed migration leaves the database exactly at the previous version. A
database written by newer firmware (after a rollback to the other A/B slot) is
refused with ``SchemaTooNew`` instead of being read with the wrong meaning.

Times in every table are wall-clock seconds since the Unix epoch, UTC, as REAL
(the same unit as ``Event.ts``); the web API renders them as ISO-8601 UTC.
"""
from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterable, Sequence

import aiosqlite

from acd_core.clock import Clock
from firmware.clock import LoopClock
from firmware.errors import StoreError

log = logging.getLogger("callbox.store")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")



class SchemaTooNew(StoreError):
    """The database was written by firmware newer than this one."""


class ValidationError(StoreError):
    """A value offered for storage is malformed; carries ``field`` and ``expected``.

    Raised before anything is written, so a rejected write changes nothing.
    """

    def __init__(self, field: str, expected: str, value: Any = None, *, show_value: bool = True) -> None:
        got = f", got {value!r}" if show_value else ""
        super().__init__(f"{field}: expected {expected}{got}", field=field, expected=expected)


class NotFound(StoreError):
    """A row named by the caller does not exist; carries ``table`` and ``key``."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Read ``NNNN_name.sql`` files, in number order; each number once.

    Numbers are reserved per part of the firmware built side by side
    (docs/design/call-features.md §7), so a build may lack some: a gap is a
    migration this build does not have, not an error. Each migration touches its
    own tables, so one that arrives later is applied after higher numbers.
    """
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        m = _MIGRATION_NAME.match(path.name)
        if not m:
            raise StoreError("migration file name must look like 0001_name.sql",
                             path=str(path))
        found.append(Migration(int(m.group(1)), m.group(2), path.read_text("utf-8")))
    seen: set[int] = set()
    for mig in found:
        if mig.version < 1 or mig.version in seen:
            raise StoreError("migration numbers must be unique and start at 0001",
                             version=mig.version, name=mig.name)
        seen.add(mig.version)
    return found


def newest(migrations: list[Migration]) -> int:
    """The schema version a database has once every migration of this build is applied."""
    return max((m.version for m in migrations), default=0)


class Database:
    """One aiosqlite connection shared by the aggregates.

    A single lock serialises statements so that one coroutine's transaction
    never interleaves with another's on the shared connection; every
    operation is short (milliseconds), so readers barely wait.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path, clock: Clock) -> None:
        self.conn = conn
        self.path = path
        self.clock = clock
        self.wall = clock.wall     # epoch seconds for created_at / applied_at stamps
        self.lock = asyncio.Lock()
        self.closed = False

    def _check_open(self) -> None:
        if self.closed:
            raise StoreError("the database is closed", path=str(self.path))

    async def close(self) -> None:
        async with self.lock:
            if not self.closed:
                self.closed = True
                await self.conn.close()

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        async with self.lock:
            self._check_open()
            try:
                async with self.conn.execute(sql, params) as cur:
                    return list(await cur.fetchall())
            except sqlite3.Error as exc:
                raise StoreError(f"query failed: {exc}", operation="read") from exc

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """Several reads that must see the same state (a page and its total)."""
        async with self.lock:
            self._check_open()
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise StoreError(f"query failed: {exc}", operation="read") from exc

    @asynccontextmanager
    async def transaction(self, operation: str = "write") -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; any error rolls the whole write back."""
        async with self.lock:
            self._check_open()
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot begin transaction: {exc}", operation=operation) from exc
            try:
                yield self.conn
            except BaseException:
                await self._rollback()
                raise
            try:
                await self.conn.commit()
            except sqlite3.Error as exc:
                await self._rollback()
                raise StoreError(f"commit failed: {exc}", operation=operation) from exc

    async def _rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                await self.conn.rollback()
        except (sqlite3.Error, ValueError):      # ValueError: the connection is closed
            log.exception("rollback failed")

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]], operation: str) -> None:
        async with self.transaction(operation) as conn:
            await conn.executemany(sql, list(rows))


async def _pragma(conn: aiosqlite.Connection, name: str) -> Any:
    async with conn.execute(f"PRAGMA {name}") as cur:
        row = await cur.fetchone()
    return None if row is None else row[0]


async def configure(conn: aiosqlite.Connection, path: Path) -> None:
    """Durability settings; verified because SQLite ignores pragmas it cannot apply."""
    mode = await _pragma(conn, "journal_mode=WAL")
    if str(mode).lower() != "wal":
        raise StoreError("cannot switch the database to WAL", path=str(path), journal_mode=mode)
    await conn.execute("PRAGMA synchronous=FULL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA busy_timeout=5000")
    if await _pragma(conn, "foreign_keys") != 1 or await _pragma(conn, "synchronous") != 2:
        raise StoreError("database refused foreign_keys=ON / synchronous=FULL", path=str(path))


async def only_row(cur: aiosqlite.Cursor, what: str) -> sqlite3.Row:
    """The row a statement always returns (``RETURNING``, ``COUNT(*)``, a just-written key)."""
    row = await cur.fetchone()
    if row is None:
        raise StoreError(f"{what}: the statement returned no row", operation=what)
    return row


async def current_version(conn: aiosqlite.Connection) -> tuple[int, list[tuple[int, str]]]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
    async with conn.execute("SELECT version, name FROM schema_version ORDER BY version") as cur:
        applied = [(int(v), str(n)) for v, n in await cur.fetchall()]
    return (applied[-1][0] if applied else 0), applied


async def migrate(conn: aiosqlite.Connection, path: Path, migrations: list[Migration],
                  clock: Clock) -> int:
    """Apply every migration the database lacks, in number order; the version reached."""
    _, applied = await current_version(conn)
    code_version = newest(migrations)
    known = {m.version: m for m in migrations}
    for v, name in applied:
        if v not in known:
            raise SchemaTooNew(
                f"database schema version {v} ({name}) is newer than this firmware's "
                f"{code_version} or unknown to it; refusing to open it", path=str(path),
                db_version=v, code_version=code_version)
        if known[v].name != name:
            raise StoreError("database migration history does not match this firmware",
                             path=str(path), version=v, db_name=name,
                             code_name=known[v].name)
    done = {v for v, _ in applied}
    for mig in migrations:
        if mig.version in done:
            continue
        script = (f"BEGIN IMMEDIATE;\n{mig.sql}\n;\n"
                  f"INSERT INTO schema_version(version, name, applied_at) "
                  f"VALUES ({mig.version}, '{mig.name}', {clock.wall()!r});\nCOMMIT;")
        try:
            await conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.rollback()
            raise StoreError(f"migration {mig.version:04d}_{mig.name} failed: {exc}",
                             path=str(path), version=mig.version) from exc
        log.info("store migrated path=%s version=%d name=%s", path, mig.version, mig.name)
    return code_version


async def connect(path: Path, *, migrations_dir: Path = MIGRATIONS_DIR,
                  clock: Clock | None = None, check: bool = True) -> Database:
    """Open (creating parent folders), configure, check and migrate the database."""
    path = Path(path)
    clock = clock or LoopClock()
    migrations = load_migrations(migrations_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the database folder: {exc.strerror}",
                         path=str(path.parent)) from None
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database: {exc}", path=str(path)) from None
    try:
        conn.row_factory = sqlite3.Row
        await configure(conn, path)
        if check:
            result = await _pragma(conn, "quick_check")
            if result != "ok":
                raise StoreError("database failed quick_check", path=str(path), result=result)
        await migrate(conn, path, migrations, clock)
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"cannot open database: {exc}", path=str(path)) from None
        raise
    return Database(conn, path, clock)

"""Run a block of synchronous SQLite calls in the connection's own thread, in one hop.

Each ``await cursor...`` on an aiosqlite connection is a round trip to its
worker thread (~0.1 ms under load); a screen pop that issues a dozen small
indexed queries spent most of its time in those trips, not in SQLite. Here a
plain function ``fn(sqlite3.Connection, *args)`` runs once in that thread, so
the whole lookup costs one trip.

This uses aiosqlite's ``Connection._execute`` (how its own public methods
reach the worker thread) and ``_conn``, present since aiosqlite 0.11;
``tests/store/test_sync.py`` fails if an upgrade removes them. Callers hold
the ``Database`` lock (``reading()`` / ``transaction()``), as for any query.
"""
from __future__ import annotations

import sqlite3
from typing import Any, Callable, TypeVar

import aiosqlite

T = TypeVar("T")


async def in_thread(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """``fn(raw_connection, *args)`` in ``conn``'s worker thread."""
    raw: sqlite3.Connection = conn._conn            # noqa: SLF001 (see module docstring)
    return await conn._execute(fn, raw, *args)      # noqa: SLF001

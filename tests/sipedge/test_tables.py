"""Kamailio's SQLite tables: created from the Debian schema, replaced whole, HA1 only."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from firmware.errors import EdgeError
from firmware.sipedge.tables import (SCHEMAS, SQL_DIR, ensure_schema, ha1, replace_seats,
                                     replace_trunk_sources, schema_tables)


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "kamailio.db"
    assert asyncio.run(ensure_schema(path)) == list(SCHEMAS)
    return path


def test_ha1_matches_md5sum() -> None:
    # printf '201:callbox:secret' | md5sum
    assert ha1("201", "callbox", "secret") == "5b2a9ac6dac4fa09f42853e986fd204a"


def test_schema_has_the_versions_kamailio_expects(db: Path) -> None:
    wanted: dict[str, int] = {}
    for name in SCHEMAS:
        wanted.update(schema_tables((SQL_DIR / f"{name}-create.sql").read_text()))
    assert {"subscriber", "location", "address", "version"} <= set(wanted)
    assert dict(_rows(db, "SELECT table_name, table_version FROM version")) == wanted
    assert _rows(db, "PRAGMA journal_mode") == [("wal",)]


def test_schema_is_left_alone_when_current(db: Path) -> None:
    asyncio.run(replace_seats(db, "callbox", {"201": ha1("201", "callbox", "pw")}))
    assert asyncio.run(ensure_schema(db)) == []
    assert len(_rows(db, "SELECT * FROM subscriber")) == 1


def test_schema_of_another_version_is_recreated(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE version SET table_version = 6 WHERE table_name = 'subscriber'")
    con.commit()
    con.close()
    assert asyncio.run(ensure_schema(db)) == ["auth_db"]
    assert _rows(db, "SELECT table_version FROM version WHERE table_name = 'subscriber'") == [(7,)]


def test_seats_are_replaced_whole_and_hold_no_password(db: Path) -> None:
    asyncio.run(replace_seats(db, "callbox", {"201": ha1("201", "callbox", "a"),
                                              "202": ha1("202", "callbox", "b")}))
    asyncio.run(replace_seats(db, "callbox", {"203": ha1("203", "callbox", "c")}))
    assert _rows(db, "SELECT username, domain, password, ha1 FROM subscriber") == [
        ("203", "callbox", "", ha1("203", "callbox", "c"))]


@pytest.mark.parametrize("seats", [{"20 1": "0" * 32}, {"201\r\nX-Evil: 1": "0" * 32},
                                   {"201": "secret"}, {"201": "A" * 32}])
def test_bad_seat_leaves_the_table_as_it_was(db: Path, seats: dict[str, str]) -> None:
    asyncio.run(replace_seats(db, "callbox", {"201": ha1("201", "callbox", "a")}))
    with pytest.raises(EdgeError, match="seat"):
        asyncio.run(replace_seats(db, "callbox", seats))
    assert _rows(db, "SELECT username FROM subscriber") == [("201",)]


def test_trunk_sources_are_normalised(db: Path) -> None:
    asyncio.run(replace_trunk_sources(db, [("10.1.2.3/24", "acme"), ("192.0.2.7", "beta")]))
    assert _rows(db, "SELECT grp, ip_addr, mask, port, tag FROM address ORDER BY id") == [
        (1, "10.1.2.0", 24, 0, "acme"), (1, "192.0.2.7", 32, 0, "beta")]


@pytest.mark.parametrize("source", [("10.0.0.0/33", "acme"), ("example.com", "acme"),
                                    ("10.0.0.0/8", "ac me"), ("10.0.0.0/8", "")])
def test_bad_trunk_sources_are_refused(db: Path, source: tuple[str, str]) -> None:
    with pytest.raises(EdgeError, match="trunk"):
        asyncio.run(replace_trunk_sources(db, [source]))


def test_missing_schema_files_name_the_package(tmp_path: Path) -> None:
    with pytest.raises(EdgeError, match="kamailio-sqlite-modules"):
        asyncio.run(ensure_schema(tmp_path / "k.db", tmp_path / "nowhere"))

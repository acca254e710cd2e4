"""Migration 0006 and what it stores: SIP trunk settings, the outbound route table, the
'blocked' disposition; the security log's page of the event log."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from firmware.store import OutboundRoute, Trunk
from firmware.store.db import MIGRATIONS_DIR, NotFound, ValidationError
from tests.store.support import T0, call, opened


async def test_0006_widens_two_checks_and_keeps_every_row(tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("000[1-5]_*.sql")):
        shutil.copy(path, before)
    rec = call(T0)
    async with opened(tmp_path, migrations_dir=before) as store:
        assert await store.schema_version() == 5
        async with store.db.transaction("schema 5 rows") as conn:     # schema 5's columns
            await conn.execute("INSERT INTO trunks (id, name, kind) VALUES (1, 'demo', 'sip-ip')")
            await conn.execute("INSERT INTO trunk_sources VALUES (1, '127.0.0.0/8')")
            # the record as schema 5 held it (today's writer knows later columns)
            cols = [r[1] for r in await (await conn.execute("PRAGMA table_info(cdr)")).fetchall()]
            await conn.execute(f"INSERT INTO cdr ({', '.join(cols)}) VALUES "
                               f"({', '.join('?' for _ in cols)})",
                               [getattr(rec, c) for c in cols])
    async with opened(tmp_path) as store:
        assert await store.schema_version() >= 6
        assert await store.config.trunks() == [Trunk("demo", ("127.0.0.0/8",))]
        assert await store.cdr.get(rec.id) == rec
        await store.config.put_trunk(Trunk("reg", kind="sip-reg", host="192.0.2.7",
                                           username="u", secret="p"))
        blocked = call(T0 + 10, disposition="blocked", direction="out",
                       dialed_number="0301234", hangup_by="system")
        await store.cdr.insert(blocked)
        assert (await store.cdr.get(blocked.id)).disposition == "blocked"  # type: ignore[union-attr]
        assert await store.pragma("integrity_check") == "ok"
        assert await store.pragma("writable_schema") == 0
    # the constraints still refuse what they refused, on a fresh connection too
    with sqlite3.connect(tmp_path / "var" / "callbox.db") as conn:
        for sql in ("UPDATE trunks SET kind = 'sip-xyz'",
                    "UPDATE cdr SET disposition = 'exploded'"):
            with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
                conn.execute(sql)
    conn.close()


async def test_a_registering_trunk_is_kept_whole_and_trusted_from_its_address(
        tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        saved = await store.config.put_trunk(Trunk(
            "acme", kind="sip-reg", host="192.0.2.7", port=5080, domain="voip.example",
            username="acme-user", secret="s3cret!", register_expires=300, max_channels=4,
            caller_id="+4930100", keepalive=False))
        assert saved.sources == ("192.0.2.7/32",)
        assert await store.config.trunk("acme") == saved
        assert await store.config.trunk_sources() == [("192.0.2.7/32", "acme")]
        named = await store.config.put_trunk(Trunk("named", kind="sip-reg",
                                                   host="sip.example.net", username="u",
                                                   secret="p"))
        assert named.sources == ()                  # no DNS at the edge: no inbound trust


@pytest.mark.parametrize("trunk, field", [
    (Trunk("r", kind="sip-reg", username="u", secret="p"), "trunk.host"),
    (Trunk("r", kind="sip-reg", host="192.0.2.7", secret="p"), "trunk.username"),
    (Trunk("r", kind="sip-reg", host="192.0.2.7", username="u"), "trunk.secret"),
    (Trunk("r", kind="sip-reg", host="192.0.2.7", username="u", secret='a"b'), "trunk.secret"),
    (Trunk("r", ("192.0.2.0/24",), host="sip..example"), "trunk.host"),
    (Trunk("r", ("192.0.2.0/24",), host="192.0.2.7;x"), "trunk.host"),
    (Trunk("r", ("192.0.2.0/24",), host="192.0.2.7", port=70000), "trunk.port"),
    (Trunk("r", ("192.0.2.0/24",), host="192.0.2.7", domain="a b"), "trunk.domain"),
    (Trunk("r", ("192.0.2.0/24",), caller_id="+49 30"), "trunk.caller_id"),
    (Trunk("r", ("192.0.2.0/24",), max_channels=-1), "trunk.max_channels"),
    (Trunk("r", ("192.0.2.0/24",), register_expires=10), "trunk.register_expires"),
    (Trunk("r", ("192.0.2.0/24",), kind="iax"), "trunk.kind"),
])
async def test_a_bad_trunk_setting_names_its_field_and_writes_nothing(
        tmp_path: Path, trunk: Trunk, field: str) -> None:
    async with opened(tmp_path) as store:
        with pytest.raises(ValidationError) as err:
            await store.config.put_trunk(trunk)
        assert err.value.field == field
        if field == "trunk.secret":
            assert 'a"b' not in str(err.value)       # a password is never echoed
        assert await store.config.trunks() == []


async def test_outbound_routes_round_trip_in_prefix_order(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        national = OutboundRoute("national", "0", ("acme", "e1/1"), strip=1, prepend="+49")
        default = OutboundRoute("default", "", ("acme",), caller_id_mode="fixed",
                                caller_id="+4930100")
        for r in (national, default):
            await store.outbound.put(r)
        assert await store.outbound.routes() == [default, national]
        changed = OutboundRoute("national", "0", ("e1/1", "fxo"), enabled=False)
        await store.outbound.put(changed)
        assert await store.outbound.route("national") == changed
        assert await store.outbound.using("acme") == ["default"]
        assert await store.outbound.using("fxo") == ["national"]
        with pytest.raises(ValidationError, match="route 'national' has it") as err:
            await store.outbound.put(OutboundRoute("other", "0", ("acme",)))
        assert err.value.field == "route.prefix"
        await store.outbound.delete("national")
        with pytest.raises(NotFound):
            await store.outbound.delete("national")
        assert await store.db.fetchval("SELECT COUNT(*) FROM outbound_route_groups") == 1


async def test_the_security_log_is_a_newest_first_page_of_the_event_log(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await store.events.append_many([
            (T0 + 1, "security.auth_failed", {"ip": "192.0.2.7", "user": "201"}),
            (T0 + 2, "call.started", {"id": "x"}),
            (T0 + 3, "security.banned", {"ip": "192.0.2.7", "reason": "auth_failed"}),
            (T0 + 4, "security.banned", {"ip": "198.51.100.1", "reason": "flood"}),
            (T0 + 5, "securityx.other", {}),
        ])
        items, total = await store.events.page(prefix="security.", limit=2)
        assert total == 3 and [e.ts for e in items] == [T0 + 4, T0 + 3]
        items, total = await store.events.page(prefix="security.", limit=2, offset=2)
        assert total == 3 and [e.kind for e in items] == ["security.auth_failed"]
        items, total = await store.events.page(prefix="security.", kind="security.banned",
                                               ip="192.0.2.7")
        assert total == 1 and items[0].data["reason"] == "auth_failed"
        _, total = await store.events.page(prefix="security.", since=T0 + 2, until=T0 + 4)
        assert total == 1
        with pytest.raises(ValidationError) as err:
            await store.events.page(prefix="security.", limit=0)
        assert err.value.field == "limit"

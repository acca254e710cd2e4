"""The demo a fresh box provisions: [demo] seats N gives seats 201..200+N."""
from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from firmware import demo
from firmware.config import from_dict
from firmware.errors import ConfigError
from firmware.store import Store


def _cfg(tmp_path: Path, seats: int):  # type: ignore[no-untyped-def]
    return from_dict({"paths": {"var": str(tmp_path / "var")}, "demo": {"seats": seats}},
                     tmp_path)


async def _seats(cfg) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    store = await Store.open(cfg.db_path)
    try:
        assert await demo.provision(cfg, store) in (True, False)
        return {s.extension: dict(s.queues) for s in await store.config.seats()}
    finally:
        await store.close()


def test_n_seats_all_in_support_and_202_also_in_sales_with_their_passwords(
        tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, 5)
    seats = asyncio.run(_seats(cfg))
    assert sorted(seats) == ["201", "202", "203", "204", "205"]
    assert all(q.keys() >= {"support"} for q in seats.values())
    assert seats["202"] == {"support": 0, "sales": 0} and seats["203"] == {"support": 0}
    creds = demo.read_credentials(cfg)
    assert sorted(creds) == ["201", "202", "203", "204", "205", "admin"]
    assert len(set(creds.values())) == 6
    assert stat.S_IMODE(demo.credentials_path(cfg).stat().st_mode) == 0o600


def test_more_seats_on_a_later_start_are_added_and_the_old_passwords_kept(
        tmp_path: Path) -> None:
    asyncio.run(_seats(_cfg(tmp_path, 2)))
    before = demo.read_credentials(_cfg(tmp_path, 2))
    seats = asyncio.run(_seats(_cfg(tmp_path, 4)))
    after = demo.read_credentials(_cfg(tmp_path, 4))
    assert sorted(seats) == ["201", "202", "203", "204"]
    assert {k: after[k] for k in before} == before


@pytest.mark.parametrize("bad", [0, 201, "ten", True])
def test_a_bad_seat_count_names_the_key(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ConfigError, match=r"demo\.seats: expected an integer 1-200"):
        from_dict({"demo": {"seats": bad}}, tmp_path)


def test_the_demo_trunk_is_one_address_so_other_loopback_phones_are_seats(
        tmp_path: Path) -> None:
    """127.0.0.0/8 would make every phone on the box's own machine a trusted trunk (its
    INVITEs taken for inbound calls, never for a seat's); the end-to-end proof is
    tests/trunks/test_daemon_outbound.py."""
    async def sources() -> list[tuple[str, str]]:
        cfg = _cfg(tmp_path, 2)
        store = await Store.open(cfg.db_path)
        try:
            await demo.provision(cfg, store)
            return await store.config.trunk_sources()
        finally:
            await store.close()

    assert asyncio.run(sources()) == [(f"{demo.TRUNK_ADDRESS}/32", "demo")]
    assert demo.TRUNK_ADDRESS != "127.0.0.1"


def test_the_simulated_lines_reach_the_same_ivr_as_the_demo_trunk(tmp_path: Path) -> None:
    """``make run``: a call on span 1 to DID 100, or on an FXO line (no DID), is routed to
    the IVR the demo trunk's DID 100 goes to; another DID on the span is not."""
    from firmware.flows.routing import Snapshot

    async def routes():  # type: ignore[no-untyped-def]
        cfg = _cfg(tmp_path, 2)
        store = await Store.open(cfg.db_path)
        try:
            await demo.provision(cfg, store)
            return await store.inbound.routes()
        finally:
            await store.close()

    snap = Snapshot(routes=asyncio.run(routes()))
    sip = snap.route_for("demo", "100")
    assert sip is not None and sip.target == "ivr:main"
    for trunk, did in (("e1/1/5", "100"), ("fxo/1", ""), ("fxo/2", "")):
        route = snap.route_for(trunk, did)
        assert route is not None and route.target == sip.target, (trunk, did, route)
    assert snap.route_for("e1/1/5", "101") is None

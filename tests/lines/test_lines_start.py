"""What ``Lines.start`` builds from ``callbox.toml`` on the simulated card, and the
Q.850 / SIP mapping the line channels use (no media node needed here)."""
from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from acd_core.clock import SystemClock
from drivers.board_profile import Board, build
from drivers.card import Card
from firmware.clock import LoopClock
from firmware.config import Config, from_dict
from firmware.events import EventBus
from firmware.telephony.lines import Lines
from firmware.telephony.lines.causes import GROUP_BUSY_CAUSES, cause_for_sip, sip_for_cause
from firmware.trunks import Trunks


async def _nothing(channel: object) -> None:
    raise AssertionError("no call expected")


@asynccontextmanager
async def started(cfg: Config) -> AsyncIterator[tuple[Lines, Trunks, Board]]:
    """``Lines.start`` on the simulated card of ``cfg``, its drivers' thread running; the
    trunk groups are all gone again after ``Lines.stop``."""
    board = build("sim", SystemClock(), **cfg.board_kwargs())
    card = Card(board, cfg.card_settings())
    card.start()
    stop = threading.Event()
    threads = card.start_threads(stop)
    bus = EventBus()
    trunks = Trunks(bus)
    lines = Lines(cfg, None, LoopClock(), bus, trunks, _nothing)  # type: ignore[arg-type]
    try:
        await lines.start(card)
        yield lines, trunks, board
    finally:
        await lines.stop()
        stop.set()
        for t in threads:
            t.join(5)
        board.close()
    assert trunks.groups() == []


async def test_a_sim_span_without_a_d_channel_peer_is_idle_not_down(tmp_path: Path) -> None:
    cfg = from_dict({"paths": {"var": str(tmp_path / "var")}}, tmp_path)
    async with started(cfg) as (lines, trunks, board):
        d = lines.describe()
        assert d["status"] == "ok" and d["down"] == []
        span, fxo = d["groups"][0], d["groups"][-1]
        assert (span["name"], span["d_channel"]) == ("e1/1", "idle")
        assert "dchannel_socket" in span["idle"]
        assert [l["state"] for l in fxo["lines"]] == ["idle", "idle"]
        assert [n["name"] for n in d["not_wired"]] == ["fxs/1", "fxs/2"]
        e1 = trunks.group("e1/1")
        assert e1 is not None and not e1.available()
        assert trunks.group("fxo") is not None and trunks.group("fxo").available()  # type: ignore[union-attr]
        health = trunks.health()
        assert [g["name"] for g in health["groups"]] == ["e1/1", "fxo"]
        assert health["groups"][0]["why"].startswith("not started: simulated exchange")


async def test_an_r2_span_runs_on_the_framers_cas_path(tmp_path: Path) -> None:
    """``[e1.span1] signalling = "r2"`` (no timeslot door): the span is an R2 group on the
    card's CAS path; the simulated exchange sends idle, so every timeslot comes up idle
    and the group can take an outbound call."""
    cfg = from_dict({"paths": {"var": str(tmp_path / "var")},
                     "e1": {"span1": {"signalling": "r2", "r2_variant": "ITU"}}}, tmp_path)
    async with started(cfg) as (lines, trunks, board):
        assert lines.r2 and lines.r2[0].path == "card"
        group = lines.r2[0]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len([c for c in group.span.describe() if c["state"] == "IDLE"]) < 30:
            assert loop.time() < deadline, group.span.describe()
            await asyncio.sleep(0.05)
        d = lines.describe()
        r2 = d["groups"][0]
        assert (r2["name"], r2["signalling"], r2["variant"], r2["path"]) == \
            ("e1/1", "mfcr2", "ITU", "card")
        assert r2["idle_timeslots"] == 30 and len(r2["connected_timeslots"]) == 30
        assert [n["name"] for n in d["not_wired"]] == ["fxs/1", "fxs/2"]
        e1 = trunks.group("e1/1")
        assert e1 is not None and e1.available()
        sim = board.sim
        assert sim is not None
        while sim.exchange.cas_rx[1:] != [0b1001] * 30:        # ITU idle on every channel
            assert loop.time() < deadline, sim.exchange.cas_rx
            await asyncio.sleep(0.05)
            sim.cable.sync()


def test_causes_and_sip_codes_map_both_ways() -> None:
    assert [cause_for_sip(c) for c in (404, 486, 480, 603, 503, 302)] == [1, 17, 18, 21, 41, 127]
    assert [sip_for_cause(c) for c in (16, 1, 17, 34, 21, 102)] == [0, 404, 486, 503, 403, 504]
    assert GROUP_BUSY_CAUSES == {34, 38, 41, 42, 44, 47}


async def test_an_analog_seat_has_no_sip_uri_and_is_not_rung_without_its_port(
        tmp_path: Path) -> None:
    """``SeatDialer``: a SIP seat's URI as before; an FXS seat's ``uri`` is a clear
    ``MediaError``, and ``dial`` before the card's FXS ports are served is one too."""
    import pytest

    from firmware.errors import MediaError
    from firmware.telephony.seats import SeatDialer

    cfg = from_dict({"paths": {"var": str(tmp_path / "var")},
                     "analog": {"fxs_seats": ["", "204"]}}, tmp_path)
    seats = SeatDialer(None, cfg)  # type: ignore[arg-type]   # no pool: nothing is dialled
    assert seats.uri("201") == f"sip:201@{cfg.sip.listen}:{cfg.sip.port}"
    assert seats.is_analog("204") and not seats.is_analog("201")
    with pytest.raises(MediaError, match=r"seat 204 is the analog phone on fxs/2: it has no "
                                         r"SIP URI \(seat='204', line='fxs/2'\)"):
        seats.uri("204")
    with pytest.raises(MediaError, match="seat 204: the card's FXS ports are not served"):
        await seats.dial(None, "204")  # type: ignore[arg-type]

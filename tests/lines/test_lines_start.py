"""What ``Lines.start`` builds from ``callbox.toml`` on the simulated card, and the
Q.850 / SIP mapping the line channels use (no media node needed here)."""
from __future__ import annotations

import threading
from pathlib import Path

from acd_core.clock import SystemClock
from drivers.board_profile import build
from drivers.card import Card
from firmware.clock import LoopClock
from firmware.config import from_dict
from firmware.events import EventBus
from firmware.telephony.lines import Lines
from firmware.telephony.lines.causes import GROUP_BUSY_CAUSES, cause_for_sip, sip_for_cause
from firmware.trunks import Trunks


async def _nothing(channel: object) -> None:
    raise AssertionError("no call expected")


async def test_a_sim_span_without_a_d_channel_peer_is_idle_not_down(tmp_path: Path) -> None:
    cfg = from_dict({"paths": {"var": str(tmp_path / "var")}}, tmp_path)
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
    finally:
        await lines.stop()
        stop.set()
        for t in threads:
            t.join(5)
        board.close()
    assert trunks.groups() == []


def test_causes_and_sip_codes_map_both_ways() -> None:
    assert [cause_for_sip(c) for c in (404, 486, 480, 603, 503, 302)] == [1, 17, 18, 21, 41, 127]
    assert [sip_for_cause(c) for c in (16, 1, 17, 34, 21, 102)] == [0, 404, 486, 503, 403, 504]
    assert GROUP_BUSY_CAUSES == {34, 38, 41, 42, 44, 47}

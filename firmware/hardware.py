"""The card in the daemon: build the board, bring every span and port up, serve it, report it.

The composition root calls ``Hardware.start`` before anything that needs a line
and ``stop`` last. Building and bring-up block (SPI, a DAA's ISOcap link takes
up to 2 s a port), so they run in a worker thread; the card's own threads
(``drivers``, and ``tdm`` on the box) run until ``stop``. Callbacks from those
threads reach the daemon only through ``post`` (``loop.call_soon_threadsafe``).
The drivers keep their own ``SystemClock``: they run off the loop, in real time.
A card that cannot be brought up, or a chip that is missing, does not stop the
box: it is reported in ``describe()`` (health) and the SIP side serves on.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from acd_core.clock import SystemClock
from drivers import board_profile
from drivers.card import Card
from firmware.config import Config

log = logging.getLogger("callbox.hardware")


class Hardware:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.board: board_profile.Board | None = None
        self.card: Card | None = None
        self.serial = "unknown"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    async def start(self) -> None:
        cfg = self.cfg
        clock = SystemClock()
        board = await asyncio.to_thread(
            lambda: board_profile.build(cfg.hardware.profile, clock, **cfg.board_kwargs()))
        self.board = board
        if board.eeprom is not None:
            try:
                identity = await asyncio.to_thread(board.eeprom.read_identity)
                self.serial = identity.serial
            except Exception as exc:  # a blank or broken EEPROM must not stop the box
                log.error("board identity unreadable error=%s", exc)
        card = Card(board, cfg.card_settings())
        await asyncio.to_thread(card.start)
        self.card = card
        self._threads = card.start_threads(self._stop)
        log.info("card up profile=%s serial=%s faults=%s", cfg.hardware.profile, self.serial,
                 dict(card.faults) or "none")

    async def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            await asyncio.to_thread(t.join, 5)
        self._threads = []
        if self.board is not None:
            self.board.close()
            self.board = None

    async def describe(self) -> dict[str, Any]:
        """``/api/health``'s hardware component: spans, ports, faults, temperature."""
        out: dict[str, Any] = {"status": "down", "profile": self.cfg.hardware.profile}
        board, card = self.board, self.card
        if board is None:
            return out
        out.update(card.describe() if card is not None else board.describe(), serial=self.serial)
        out.setdefault("status", "degraded" if board.faults else "ok")
        if board.temperature is not None:
            try:
                out["temperature_c"] = await asyncio.to_thread(board.temperature.temperature)
            except Exception as exc:
                out.update(status="degraded", temperature_error=str(exc))
        return out

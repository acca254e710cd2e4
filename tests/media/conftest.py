"""Media tests: coroutine tests on their own loop; a pool on random ports in a tmp dir."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable

import pytest

from firmware.config import Config, from_dict
from firmware.events import EventBus
from firmware.media.pool import RTP_STRIDE, MediaPool
from tests.support.aio import no_leaked_threads, pytest_pyfunc_call  # noqa: F401
from tests.support.net import free_port_range

__all__ = ["make_cfg", "PoolHarness", "until"]


def make_cfg(tmp_path: Path, nodes_min: int = 1, nodes_max: int = 1, legs: int = 4,
             spare_legs: int = 2, edge_only: bool = False) -> Config:
    """Nodes accept SIP from anyone here (sipp calls them directly) unless ``edge_only``."""
    return from_dict({
        "paths": {"var": str(tmp_path / "var")},
        "sip": {"port": free_port_range(1)},      # the "edge" a node accepts SIP from
        "media": {"nodes_min": nodes_min, "nodes_max": nodes_max, "legs_per_node": legs,
                  "spare_legs": spare_legs, "edge_only": edge_only,
                  "sip_port_base": free_port_range(nodes_max),
                  "rtp_port_base": free_port_range(nodes_max * RTP_STRIDE)},
    }, tmp_path)


class PoolHarness:
    """A started MediaPool plus what it reported: node sets, incoming legs, bus events."""

    def __init__(self, cfg: Config, clock: Any = None) -> None:
        self.cfg = cfg
        self.bus = EventBus()
        self.node_sets: list[list[int]] = []
        self.incoming: asyncio.Queue[Any] = asyncio.Queue()
        self.events: list[Any] = []
        self.bus.subscribe("media.", self.events.append)
        self.pool = MediaPool(cfg, self.bus, self._nodes_changed, clock=clock)
        self.handler: Callable[[Any], Any] | None = None
        self.pool.on_incoming = self._incoming

    async def _nodes_changed(self, ports: list[int]) -> None:
        self.node_sets.append(list(ports))

    async def _incoming(self, leg: Any) -> None:
        self.incoming.put_nowait(leg)
        if self.handler is not None:
            await self.handler(leg)

    async def next_leg(self, timeout: float = 20.0) -> Any:
        return await asyncio.wait_for(self.incoming.get(), timeout)


async def until(cond: Callable[[], Any], timeout: float, what: str, step: float = 0.05) -> Any:
    """Poll ``cond`` on the loop until truthy; fail naming ``what`` at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = cond()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(step)


@pytest.fixture(autouse=True)
def _media_logging(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="callbox.media")

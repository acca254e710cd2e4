"""Ringing an agent's seat from the media node that hosts the conversation.

Every feature that reaches an agent (the queue's offer, a transfer, a pickup, a
supervisor's listen, click-to-call) goes through ``SeatDialer.dial`` so it never
cares what the seat is. Today every seat is a SIP phone behind Kamailio: the
node dials ``sip:<extension>@<edge>`` and the edge looks the phone up. An analog
(FXS) seat will be a port leg opened in the same node; it plugs in here, by
seat, without any flow changing (docs/design/call-features.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from firmware.config import Config
from firmware.media.leg import Leg

if TYPE_CHECKING:
    from firmware.media.pool import MediaPool


class SeatDialer:
    def __init__(self, pool: "MediaPool", cfg: Config) -> None:
        self._pool = pool
        self._cfg = cfg

    def uri(self, extension: str) -> str:
        """The SIP URI a node dials to reach a SIP seat (through the edge)."""
        return f"sip:{extension}@{self._cfg.sip.listen}:{self._cfg.sip.port}"

    async def dial(self, near: Leg, extension: str, *, caller_id: str | None = None,
                   caller_name: str | None = None) -> Leg:
        """A new leg ringing seat ``extension`` in ``near``'s node; raises ``MediaError``
        (the node could not place it) — the ringing itself is the leg's to report."""
        return await self._pool.dial(near, self.uri(extension), caller_id=caller_id,
                                     caller_name=caller_name)

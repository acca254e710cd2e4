"""Ringing an agent's seat from the media node that hosts the conversation.

Every feature that reaches an agent (the queue's offer, a transfer, a pickup, a
supervisor's listen, click-to-call) goes through ``SeatDialer.dial`` so it never
cares what the seat is. A SIP seat: the node dials ``sip:<extension>@<edge>``
and the edge looks the phone up. An analog seat (``[analog] fxs_seats``): a port
leg opened in the same node rings the FXS port (``firmware.telephony.lines.fxs``),
so no flow changes (docs/lines.md). Features that dial a SIP URI themselves
(``uri``) get a ``MediaError`` naming the analog seat instead.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from firmware.config import Config
from firmware.errors import MediaError
from firmware.media.leg import Leg

if TYPE_CHECKING:
    from firmware.media.pool import MediaPool
    from firmware.telephony.lines.fxs import FxsSeats


class SeatDialer:
    def __init__(self, pool: "MediaPool", cfg: Config) -> None:
        self._pool = pool
        self._cfg = cfg
        self._analog_ports = cfg.analog.fxs_seat_ports()
        self.analog: "FxsSeats | None" = None      # set once the card's lines are up

    def follow(self, cfg: Config) -> None:
        """The edge's address changed (system page): dial seats through the new one."""
        self._cfg = cfg

    def is_analog(self, extension: str) -> bool:
        return extension in self._analog_ports

    def uri(self, extension: str) -> str:
        """The SIP URI a node dials to reach a SIP seat (through the edge)."""
        if extension in self._analog_ports:
            raise MediaError(f"seat {extension} is the analog phone on fxs/"
                             f"{self._analog_ports[extension]}: it has no SIP URI",
                             seat=extension, line=f"fxs/{self._analog_ports[extension]}")
        return f"sip:{extension}@{self._cfg.sip.listen}:{self._cfg.sip.port}"

    async def dial(self, near: Leg, extension: str, *, caller_id: str | None = None,
                   caller_name: str | None = None) -> Leg:
        """A new leg ringing seat ``extension`` in ``near``'s node; raises ``MediaError``
        (the node could not place it) — the ringing itself is the leg's to report."""
        if extension in self._analog_ports:
            if self.analog is None:
                raise MediaError(f"seat {extension}: the card's FXS ports are not served",
                                 seat=extension, line=f"fxs/{self._analog_ports[extension]}")
            return await self.analog.dial(near, extension, caller_id=caller_id,
                                          caller_name=caller_name)
        return await self._pool.dial(near, self.uri(extension), caller_id=caller_id,
                                     caller_name=caller_name)

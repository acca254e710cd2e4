"""``LineChannel``: a call on a line (E1 B-channel, R2 timeslot, analog port) as a
``Channel``, so the flows serve it exactly as a SIP call (docs/design/call-features.md §7).

The caller's audio is a port leg in a media node (``firmware/media/lineport.py``)
fed by a ``TdmRelay``: prompts, digits (in-band, detected in the node), bridges
and recordings go through that leg as through a SIP leg. Each technology
subclass says how its signalling answers, refuses and clears; this base ties
the two lives together: the line call is cleared when its port leg ends (a
flow hung it up, the node died), and the port leg is hung up when the line
clears (the far end hung up, the link was lost). ``ended`` resolves once,
with ``(Q.850 cause, reason)``.
"""
from __future__ import annotations

import abc
import asyncio
import logging
from typing import Any

from firmware.errors import MediaError
from firmware.media.leg import Leg
from firmware.telephony.channel import Channel, ChannelInfo
from firmware.telephony.lines.causes import NORMAL_CLEARING, cause_for_sip, sip_for_cause
from firmware.telephony.lines.relay import TdmRelay

log = logging.getLogger("callbox.lines")


class LineChannel(Channel):
    def __init__(self, leg: Leg, relay: TdmRelay, info: ChannelInfo) -> None:
        self._leg = leg
        self.relay = relay
        self.info = info
        self._ended: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._tasks: set[asyncio.Future[Any]] = set()
        leg.ended.add_done_callback(self._leg_ended)

    # -- what the technology provides --------------------------------------------------
    @abc.abstractmethod
    def _signal_answer(self) -> None:
        """Tell the far end the call is answered (CONNECT, seize acknowledge + B-1, off-hook)."""

    @abc.abstractmethod
    def _signal_clear(self, cause: int) -> None:
        """Clear the line call with ``cause`` (a no-op once the line has cleared)."""

    @property
    @abc.abstractmethod
    def line_cleared(self) -> bool: ...

    # -- Channel ----------------------------------------------------------------------
    @property
    def id(self) -> str:
        return str(self._leg.id)

    @property
    def ended(self) -> "asyncio.Future[tuple[int, str]]":
        return self._ended

    @property
    def media_leg(self) -> Leg:
        return self._leg

    async def answer(self) -> None:
        if self._ended.done():
            raise MediaError(f"answer: line call {self.info.trunk} has ended", leg=self.id)
        self._signal_answer()
        await self._leg.answer()

    async def reject(self, code: int, reason: str = "") -> None:
        cause = cause_for_sip(code)
        self._signal_clear(cause)
        self._finish(cause, reason or f"rejected {code}")
        await self._leg.hangup()

    async def play(self, path: str, loop: bool = False) -> None:
        self._leg.play_done.clear()
        await self._leg.play(path, loop=loop)

    async def stop_play(self) -> None:
        await self._leg.stop_play()

    async def wait_play_done(self) -> None:
        await self._leg.play_done.wait()

    async def next_digit(self) -> str:
        return await self._leg.digits.get()

    async def hangup(self, code: int = NORMAL_CLEARING) -> None:
        self._signal_clear(code)
        self._finish(code, "local")
        if not self._leg.ended.done():
            await self._leg.hangup()

    # -- the two lives ------------------------------------------------------------------
    def line_released(self, cause: int, why: str) -> None:
        """The line is clear (far end, timer, link or restart): the port leg goes too."""
        self._finish(cause, why)
        if not self._leg.ended.done():
            task = asyncio.ensure_future(self._leg.hangup(sip_for_cause(cause)))
            self._tasks.add(task)
            task.add_done_callback(self._hung_up)

    def _hung_up(self, task: "asyncio.Future[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("port leg hangup failed line=%s leg=%s error=%s", self.info.trunk,
                        self.id, task.exception())

    def _leg_ended(self, fut: "asyncio.Future[tuple[int, str]]") -> None:
        code, reason = fut.result()
        self.relay.close()
        if not self.line_cleared:
            cause = 41 if reason in ("node_failed", "shutdown") else NORMAL_CLEARING
            log.info("port leg ended, clearing the line line=%s leg=%s reason=%s cause=%d",
                     self.info.trunk, self.id, reason or code, cause)
            self._signal_clear(cause)
        self._finish(NORMAL_CLEARING if not code else code, reason or "port leg ended")

    def _finish(self, cause: int, why: str) -> None:
        if not self._ended.done():
            self._ended.set_result((cause, why))

"""SipChannel: a caller that arrived over SIP (trunk or seat) on a media-node leg.

Kamailio decides which node hosts the call; the node reports the INVITE and
this class turns the node leg into the technology-neutral ``Channel``. SIP
cause mapping: Q.850 cause 16 (normal clearing) is a BYE; rejects carry the
SIP status code itself.
"""
from __future__ import annotations

import asyncio

from firmware.media.leg import Leg
from firmware.media.sipinfo import display_name, user_part
from firmware.telephony.channel import CallerInfo, Channel, ChannelInfo


#: The reason phrase of a flow's deliberate 503 (nobody would take the call, queue rule
#: ``refuse_with = "congestion"``): the edge relays a node's 503 with this phrase to the
#: caller instead of taking it for a failing node and placing the call again
#: (``failure_route[NODE_FAILOVER]`` in firmware/sipedge/kamailio.cfg.tmpl).
REFUSED_REASON = "No Agent Available"


class SipChannel(Channel):
    def __init__(self, leg: Leg) -> None:
        self._leg = leg
        info = dict(leg.info)
        source = info.get("from", "")
        self.info = ChannelInfo(
            caller=CallerInfo(number=user_part(source), name=display_name(source)),
            did=info.get("did") or user_part(info.get("to", "")),
            trunk=info.get("trunk") or (f"seat:{info['seat']}" if info.get("seat") else ""),
            technology="sip",
        )

    @property
    def id(self) -> str:
        return str(self._leg.id)

    @property
    def ended(self) -> "asyncio.Future[tuple[int, str]]":
        return self._leg.ended

    @property
    def media_leg(self) -> Leg:
        return self._leg

    async def answer(self) -> None:
        await self._leg.answer()

    async def reject(self, code: int, reason: str = "") -> None:
        await self._leg.reject(code, reason)

    async def play(self, path: str, loop: bool = False) -> None:
        self._leg.play_done.clear()
        await self._leg.play(path, loop=loop)

    async def stop_play(self) -> None:
        await self._leg.stop_play()

    async def wait_play_done(self) -> None:
        await self._leg.play_done.wait()

    async def next_digit(self) -> str:
        return await self._leg.digits.get()

    async def hangup(self, code: int = 16) -> None:
        if not self._leg.ended.done():
            await self._leg.hangup()

"""SipChannel: a caller that arrived over SIP (trunk or seat) on a media-node leg.

Kamailio decides which node hosts the call; the node reports the INVITE and
this class turns the node leg into the technology-neutral ``Channel``. SIP
cause mapping: Q.850 cause 16 (normal clearing) is a BYE; rejects carry the
SIP status code itself.
"""
from __future__ import annotations

import asyncio
from typing import Any

from firmware.telephony.channel import CallerInfo, Channel, ChannelInfo


def _user_part(uri: str) -> str:
    """``"Name" <sip:123@host>;tag=x`` -> ``123``."""
    s = uri
    if "<" in s and ">" in s:
        s = s[s.index("<") + 1:s.index(">")]
    for scheme in ("sips:", "sip:", "tel:"):
        if s.startswith(scheme):
            s = s[len(scheme):]
            break
    return s.split("@", 1)[0].split(";", 1)[0]


def _display_name(uri: str) -> str:
    if "<" not in uri:
        return ""
    return uri[:uri.index("<")].strip().strip('"')


class SipChannel(Channel):
    def __init__(self, leg: Any) -> None:
        self._leg = leg
        info = dict(getattr(leg, "info", {}) or {})
        source = info.get("from", "")
        self.info = ChannelInfo(
            caller=CallerInfo(number=_user_part(source), name=_display_name(source)),
            did=info.get("did") or _user_part(info.get("to", "")),
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
    def media_leg(self) -> Any:
        return self._leg

    async def answer(self) -> None:
        await self._leg.answer()

    async def reject(self, code: int, reason: str = "") -> None:
        await self._leg.reject(code)

    async def play(self, path: str, loop: bool = False) -> None:
        self._leg.play_done.clear()
        await self._leg.play(path, loop=loop)

    async def stop_play(self) -> None:
        await self._leg.stop_play()

    async def wait_play_done(self) -> None:
        await self._leg.play_done.wait()

    async def next_digit(self, timeout: float) -> str | None:
        try:
            return await asyncio.wait_for(self._leg.digits.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def hangup(self, code: int = 16) -> None:
        if not self._leg.ended.done():
            await self._leg.hangup()

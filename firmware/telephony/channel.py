"""The Channel abstraction: one caller's line, whatever carries it.

A flow gets a ``Channel`` and cannot tell a SIP trunk call from an ISDN
B-channel, an R2 line or an FXO port (docs/architecture.md#one-inbound-call-end-to-end).
Each technology implements this interface on top of its signalling stack;
audio always lives in a media node, so every channel also exposes the media
leg that a conversation is bridged and recorded through.
"""
from __future__ import annotations

import abc
import asyncio
from dataclasses import dataclass, field

from firmware.media.leg import Leg


@dataclass(frozen=True)
class CallerInfo:
    number: str = ""
    name: str = ""


@dataclass
class ChannelInfo:
    """Who is calling, what they dialled and which line it came in on."""

    caller: CallerInfo = field(default_factory=CallerInfo)
    did: str = ""
    trunk: str = ""        # trunk name (SIP trunk tag, "e1/1", "fxo/2" ...)
    technology: str = ""   # "sip", "isdn", "r2", "fxo"
    category: str = ""     # the caller's category where the line signals one (MFC-R2 group II)


class Channel(abc.ABC):
    """One inbound caller. All methods are coroutines on the daemon loop."""

    info: ChannelInfo

    @property
    @abc.abstractmethod
    def id(self) -> str: ...

    @property
    @abc.abstractmethod
    def ended(self) -> "asyncio.Future[tuple[int, str]]":
        """Resolves with (cause code, reason) when the caller's side is gone."""

    @abc.abstractmethod
    async def answer(self) -> None: ...

    @abc.abstractmethod
    async def reject(self, code: int, reason: str = "") -> None: ...

    @abc.abstractmethod
    async def play(self, path: str, loop: bool = False) -> None:
        """Start playing a WAV; returns once playback started."""

    @abc.abstractmethod
    async def stop_play(self) -> None: ...

    @abc.abstractmethod
    async def wait_play_done(self) -> None: ...

    @abc.abstractmethod
    async def next_digit(self) -> str:
        """The next DTMF digit (RFC 4733 or in-band); the flow sets any timeout on its clock."""

    @abc.abstractmethod
    async def hangup(self, code: int = 16) -> None: ...

    @property
    @abc.abstractmethod
    def media_leg(self) -> Leg:
        """The media-node leg carrying this channel's audio (for dial/bridge/record)."""

    def drop_digits(self) -> int:
        """Forget the keys pressed so far, so a new question does not take an old key
        (the survey after a conversation). Digits of every line reach the flow through
        the media leg's queue, so one implementation serves them all."""
        queue = getattr(self.media_leg, "digits", None)
        dropped = 0
        while queue is not None and not queue.empty():
            queue.get_nowait()
            dropped += 1
        return dropped

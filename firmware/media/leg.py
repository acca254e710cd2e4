"""``Leg``: one call leg on a media node, as the daemon's flows see it.

A leg is a handle: every method sends one command to the node that hosts the
leg and waits for its reply; node events update ``state``, ``digits``,
``play_done``, ``answered`` and ``ended``. All of it lives on the daemon's
asyncio loop. When the node dies, ``ended`` resolves with ``(0, "node_failed")``
so the flow writes its CDR as failed and moves on.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from firmware.errors import MediaError

if TYPE_CHECKING:
    from firmware.media.client import NodeLink

# Leg states: incoming (offered, not answered), calling (outgoing, no answer yet),
# ringing, answered, ended.
STATES = ("incoming", "calling", "ringing", "answered", "ended")


class Leg:
    def __init__(self, link: "NodeLink", number: int, leg_id: str, direction: str,
                 info: dict[str, Any] | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._link = link
        self.number = number               # the leg's number inside its node
        self.id = leg_id                   # unique in the daemon: "<node>.<start>.<number>"
        self.node = link.node_id
        self.direction = direction         # "in" | "out"
        self.info: dict[str, Any] = dict(info or {})
        self.state = "incoming" if direction == "in" else "calling"
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.play_done = asyncio.Event()
        self.answered = asyncio.Event()
        self.ended: asyncio.Future[tuple[int, str]] = loop.create_future()
        self.dtmf_sources: list[str] = []  # where each digit in ``digits`` came from

    def __repr__(self) -> str:
        return f"<Leg {self.id} {self.direction} {self.state}>"

    async def _cmd(self, cmd: str, **args: Any) -> dict[str, Any]:
        if self.ended.done():
            raise MediaError(f"leg {self.id} has ended", leg=self.id, command=cmd)
        return await self._link.command(cmd, leg=self.number, **args)

    async def answer(self) -> None:
        await self._cmd("answer")

    async def reject(self, code: int = 486) -> None:
        await self._cmd("reject", code=code)

    async def play(self, path: str, loop: bool = False) -> None:
        """Start a WAV (8 kHz mono is best); ``play_done`` is set at its end unless looping."""
        self.play_done.clear()
        await self._cmd("play", path=str(path), loop=loop)

    async def stop_play(self) -> None:
        await self._cmd("stop_play")

    async def hangup(self, code: int = 0) -> None:
        """Hang up (BYE, or a final response if not answered yet); no-op once ended."""
        if self.ended.done():
            return
        args = {"code": code} if code else {}
        try:
            await self._cmd("hangup", **args)
        except MediaError:
            if not self.ended.done():
                raise

    async def wait_answered(self) -> None:
        """Until the leg is answered; MediaError naming the SIP code if it ends first."""
        answered = asyncio.ensure_future(self.answered.wait())
        waits: set[asyncio.Future[Any]] = {answered, self.ended}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            answered.cancel()
        if not self.answered.is_set():
            code, reason = self.ended.result()
            raise MediaError(f"leg {self.id} ended unanswered: {code} {reason}",
                             leg=self.id, code=code)

    # -- from the node (called by NodeLink) ----------------------------------------------
    def _on_state(self, state: str, code: int, reason: str) -> None:
        if self.ended.done():
            return
        if state == "ended":
            self.state = "ended"
            self.ended.set_result((code, reason))
            return
        self.state = state
        if state == "answered":
            self.answered.set()

    def _on_dtmf(self, digit: str, source: str) -> None:
        self.dtmf_sources.append(source)
        self.digits.put_nowait(digit)

    def _on_play_done(self) -> None:
        self.play_done.set()

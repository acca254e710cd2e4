"""``Leg``: one call leg on a media node, as the daemon's flows see it.

A leg is a handle: every method sends one command to the node that hosts the
leg and waits for its reply. Its state is the daemon's mirror of the node's
``legstate.LEG`` machine: the node reports each transition (event and new
state) and ``on_state`` applies the same event to the same table, logs
``leg 1.1.3: ringing -> answered (confirmed 200 OK)`` and checks that both
ends agree. ``answered`` is set on entering ``answered``; ``ended`` resolves
with ``(code, reason)`` on entering ``ended`` — ``(0, "node_failed")`` when
the node process died, so the flow writes its CDR as failed and moves on.
The ``on_*`` methods are called by the leg's ``NodeLink`` only.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from acd_core.errors import IllegalTransition
from firmware.errors import MediaError
from firmware.media.legstate import ANSWERED, DIALING, ENDED, LEG, OFFERED, RINGING

if TYPE_CHECKING:
    from firmware.media.client import NodeLink

log = logging.getLogger("callbox.media.leg")


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
        self.state = OFFERED if direction == "in" else DIALING
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.play_done = asyncio.Event()
        self.answered = asyncio.Event()
        self.progressed = asyncio.Event()  # the far end rang (18x) or answered
        self.ended: asyncio.Future[tuple[int, str]] = loop.create_future()
        self.dtmf_sources: list[str] = []  # where each digit in ``digits`` came from
        self.refers: asyncio.Queue[str] = asyncio.Queue()   # transfer targets the phone asked
        self.held = False

    def __repr__(self) -> str:
        return f"<Leg {self.id} {self.direction} {self.state}>"

    @property
    def link(self) -> "NodeLink":
        """The node hosting this leg (the pool places a conversation's legs on one node)."""
        return self._link

    async def _cmd(self, cmd: str, **args: Any) -> dict[str, Any]:
        if self.ended.done():
            raise MediaError(f"leg {self.id} has ended", leg=self.id, command=cmd)
        return await self._link.command(cmd, leg=self.number, **args)

    async def answer(self) -> None:
        await self._cmd("answer")

    async def reject(self, code: int = 486, reason: str = "") -> None:
        """``reason``: the final response's phrase ('' the standard one for ``code``)."""
        if reason:
            await self._cmd("reject", code=code, reason=reason)
        else:
            await self._cmd("reject", code=code)

    async def play(self, path: str, loop: bool = False) -> None:
        """Start a WAV (8 kHz mono is best); ``play_done`` is set at its end unless looping."""
        self.play_done.clear()
        await self._cmd("play", path=str(path), loop=loop)

    async def stop_play(self) -> None:
        await self._cmd("stop_play")

    async def hold(self, path: str) -> None:
        """This party hears ``path`` looping; nobody hears it, it hears nobody."""
        await self._cmd("hold", path=str(path))
        self.held = True

    async def resume(self) -> None:
        await self._cmd("resume")
        self.held = False

    async def talk(self) -> None:
        """Ask the ringing phone this leg dialled to answer (remote answer)."""
        await self._cmd("talk")

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

    # -- from the node, through its NodeLink ------------------------------------------------
    def on_state(self, event: str, state: str, code: int = 0, reason: str = "") -> None:
        """Apply the node's reported transition; a disagreement is logged and the node wins."""
        if self.ended.done():
            return
        try:
            mine = LEG.fire(self.state, event, subject=self.id, log=log,
                            detail=f"{code} {reason}".strip() if code or reason else "")
        except IllegalTransition as exc:
            log.error("leg %s: node reported %s -> %s, which the table refuses: %s",
                      self.id, event, state, exc)
            mine = state
        if mine != state:
            log.error("leg %s: node says %s after %s, the table says %s", self.id, state,
                      event, mine)
        self._enter(state, code, reason)

    def on_node_failed(self, reason: str = "node_failed") -> None:
        """The node process is gone (``reason`` "node_failed", or "shutdown" when we stopped it)."""
        if not self.ended.done():
            self.state = LEG.fire(self.state, "node_failed", subject=self.id, log=log,
                                  detail=reason)
            self._enter(ENDED, 0, reason)

    def on_dtmf(self, digit: str, source: str) -> None:
        self.dtmf_sources.append(source)
        self.digits.put_nowait(digit)

    def on_play_done(self) -> None:
        self.play_done.set()

    def on_refer(self, target: str) -> None:
        self.refers.put_nowait(target)

    def _enter(self, state: str, code: int, reason: str) -> None:
        self.state = state
        if state in (RINGING, ANSWERED):
            self.progressed.set()
        if state == ANSWERED:
            self.answered.set()
        elif state == ENDED and not self.ended.done():
            self.ended.set_result((code, reason))

"""A fake media leg and pool for call-flow tests, on the test's ManualClock.

The flows under test are the real ones (``firmware.flows``), with the real
``SipChannel``, ACD runner, event bus and SQLite store; only the media side is
replaced, because what a flow decides does not depend on pjsua2 but on what
legs report. The fakes keep the public surface of ``firmware.media.leg.Leg``
and ``MediaPool``'s call API (a test checks it), record every command, and let
the test play the far ends: press a key, finish a prompt, answer, hang up,
or lose the node.
"""
from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from firmware.errors import MediaError

_ids = itertools.count(1)


class FakeLeg:
    """Same public surface as ``firmware.media.leg.Leg``; far-end actions for the test."""

    def __init__(self, direction: str, info: dict[str, Any] | None = None,
                 node: int = 1) -> None:
        self.number = next(_ids)
        self.node = node
        self.id = f"{node}.1.{self.number}"
        self.direction = direction
        self.info: dict[str, Any] = dict(info or {})
        self.state = "offered" if direction == "in" else "dialing"
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.play_done = asyncio.Event()
        self.answered = asyncio.Event()
        self.ended: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self.dtmf_sources: list[str] = []
        self.refers: asyncio.Queue[str] = asyncio.Queue()
        self.held = False
        self.conv: "FakeConversation | None" = None
        # what the flow did to this leg, for assertions
        self.commands: list[tuple[str, Any]] = []
        self.playing: str | None = None
        self.fail: dict[str, MediaError] = {}     # command -> error it raises

    def __repr__(self) -> str:
        return f"<FakeLeg {self.id} {self.direction} {self.state}>"

    def _cmd(self, name: str, arg: Any = None) -> None:
        if self.ended.done():
            raise MediaError(f"leg {self.id} has ended", leg=self.id, command=name)
        if name in self.fail:
            raise self.fail[name]
        self.commands.append((name, arg))

    # -- the daemon's commands ------------------------------------------------
    async def answer(self) -> None:
        self._cmd("answer")
        self._set_answered()

    async def reject(self, code: int = 486, reason: str = "") -> None:
        self._cmd("reject", code)
        self.reject_reason = reason
        self._end(code, "rejected")

    async def play(self, path: str, loop: bool = False) -> None:
        self.play_done.clear()
        self._cmd("play", (str(path), loop))
        self.playing = str(path)

    async def stop_play(self) -> None:
        self._cmd("stop_play")
        self.playing = None

    async def hold(self, path: str) -> None:
        if self.held:
            raise MediaError(f"node 1: hold: leg {self.number} is already on hold")
        self._cmd("hold", str(path))
        self.held = True

    async def talk(self) -> None:
        self._cmd("talk")

    async def resume(self) -> None:
        if not self.held:
            raise MediaError(f"node 1: resume: leg {self.number} is not on hold")
        self._cmd("resume")
        self.held = False

    async def hangup(self, code: int = 0) -> None:
        if self.ended.done():
            return
        self._cmd("hangup", code)
        self._end(code, "hangup")

    async def wait_answered(self) -> None:
        answered = asyncio.ensure_future(self.answered.wait())
        try:
            await asyncio.wait({answered, self.ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            answered.cancel()
        if not self.answered.is_set():
            code, reason = self.ended.result()
            raise MediaError(f"leg {self.id} ended unanswered: {code} {reason}", leg=self.id)

    # -- the far end, played by the test ---------------------------------------
    def press(self, digit: str, source: str = "rfc4733") -> None:
        self.dtmf_sources.append(source)
        self.digits.put_nowait(digit)

    def prompt_finished(self) -> None:
        self.play_done.set()

    def far_answers(self) -> None:
        self._set_answered()

    def far_hangs_up(self, code: int = 200, reason: str = "BYE") -> None:
        self._end(code, reason)

    def far_refers(self, target: str) -> None:
        """The phone's transfer button (REFER), as the node reports it."""
        self.refers.put_nowait(target)

    def node_fails(self) -> None:
        self._end(0, "node_failed")

    # -- state --------------------------------------------------------------------
    def _set_answered(self) -> None:
        if not self.ended.done():
            self.state = "answered"
            self.answered.set()

    def _end(self, code: int, reason: str) -> None:
        if not self.ended.done():
            self.state = "ended"
            self.playing = None
            self.ended.set_result((code, reason))

    def did(self, name: str) -> bool:
        return any(c == name for c, _ in self.commands)


class FakeConversation:
    """The room a conversation holds on its node: ``max(reserved, live legs)``."""

    def __init__(self, pool: "FakePool", node: int, reserved: int = 2) -> None:
        self.pool = pool
        self.node = node
        self.reserved = reserved
        self.legs: list[FakeLeg] = []
        self.closed = False
        self.id = len(pool.conversations) + 1
        pool.conversations.append(self)

    def used(self) -> int:
        if self.closed and not self.live():
            return 0
        return max(0 if self.closed else self.reserved, len(self.live()))

    def live(self) -> list[FakeLeg]:
        return [x for x in self.legs if not x.ended.done()]

    def add(self, leg: FakeLeg) -> FakeLeg:
        leg.conv = self
        self.legs.append(leg)
        return leg

    async def dial(self, uri: str, caller_id: str | None = None,
                   caller_name: str | None = None) -> FakeLeg:
        if self.closed:
            raise MediaError("conversation closed")
        leg = self.pool._new_out(self.node, uri, caller_id, caller_name, self)
        return leg

    async def close(self) -> None:
        self.closed = True


class FakePool:
    """The call API of ``MediaPool`` (dial, bridge, unbridge, connect, disconnect, room,
    opened conversations, record, stop_record), with each node's room modelled: a caller
    leg opens a conversation of 2 legs, a dial beyond it needs a free leg of the node."""

    def __init__(self, capacity: int = 4) -> None:
        self.dialled: list[tuple[FakeLeg, str]] = []
        self.bridged: list[tuple[FakeLeg, FakeLeg]] = []
        self.paths: set[tuple[FakeLeg, FakeLeg]] = set()      # one-way connects
        self.recordings: dict[str, float] = {}       # path -> seconds at stop
        self.recorded: dict[str, tuple[list[FakeLeg], bool]] = {}   # path -> (legs, stereo)
        self.dial_error: MediaError | None = None
        self.record_error: MediaError | None = None
        self.capacity = capacity
        self.conversations: list[FakeConversation] = []

    # -- room ---------------------------------------------------------------------------------
    def _conv(self, leg: FakeLeg) -> FakeConversation:
        if leg.conv is None:
            FakeConversation(self, leg.node).add(leg)
        assert leg.conv is not None
        return leg.conv

    def used(self, node: int) -> int:
        return sum(c.used() for c in self.conversations if c.node == node)

    def has_room(self, near: FakeLeg, extra: int = 1) -> bool:
        conv = self._conv(near)
        spare = max(0, conv.reserved - len(conv.live()))
        return spare + self.capacity - self.used(near.node) >= extra

    def ensure_room(self, near: FakeLeg, extra: int = 1, what: str = "") -> None:
        if not self.has_room(near, extra):
            raise MediaError(f"{what or 'action'} refused: no room on the conversation's node",
                             reason="no room on the conversation's node", node=near.node)

    async def open_conversation(self, legs: int = 2) -> FakeConversation:
        for node in (1, 2, 3, 4):
            if self.capacity - self.used(node) >= legs:
                return FakeConversation(self, node, legs)
        raise MediaError(f"no media node has room for a conversation of {legs} legs")

    def _new_out(self, node: int, uri: str, caller_id: str | None, caller_name: str | None,
                 conv: FakeConversation) -> FakeLeg:
        if self.dial_error is not None:
            raise self.dial_error
        leg = FakeLeg("out", {"uri": uri, "caller_id": caller_id, "caller_name": caller_name},
                      node=node)
        conv.add(leg)
        self.dialled.append((leg, uri))
        return leg

    # -- calls ----------------------------------------------------------------------------------
    async def dial(self, near: FakeLeg, uri: str, caller_id: str | None = None,
                   caller_name: str | None = None) -> FakeLeg:
        if near.ended.done():
            raise MediaError(f"dial: leg {near.id} has ended", leg=near.id)
        conv = self._conv(near)
        if len(conv.live()) >= conv.reserved and self.capacity - self.used(near.node) < 1:
            raise MediaError(f"node {near.node}: node full", node=near.node)
        return self._new_out(near.node, uri, caller_id, caller_name, conv)

    async def bridge(self, a: FakeLeg, b: FakeLeg) -> None:
        self.bridged.append((a, b))

    async def unbridge(self, a: FakeLeg, b: FakeLeg) -> None:
        self.bridged.remove((a, b))

    async def connect(self, src: FakeLeg, dst: FakeLeg) -> None:
        self.paths.add((src, dst))

    async def disconnect(self, src: FakeLeg, dst: FakeLeg) -> None:
        self.paths.discard((src, dst))

    def hears(self, leg: FakeLeg) -> set[FakeLeg]:
        """Whom ``leg``'s far end hears: bridges and one-way paths, minus held or ended legs."""
        if leg.held or leg.ended.done():
            return set()
        out = {a for a, b in self.bridged if b is leg} | {b for a, b in self.bridged if a is leg}
        out |= {a for a, b in self.paths if b is leg}
        return {x for x in out if not x.held and not x.ended.done()}

    async def record(self, a: FakeLeg, b: FakeLeg | None, path: str, stereo: bool = False) -> None:
        await self.record_legs([a] if b is None else [a, b], path, stereo)

    async def record_legs(self, legs: list[FakeLeg], path: str, stereo: bool = False) -> None:
        if self.record_error is not None:
            raise self.record_error
        if path in self.recordings:
            raise MediaError(f"already recording {path}", path=path)
        self.recordings[path] = -1.0
        self.recorded[path] = (list(legs), stereo)

    async def stop_record(self, path: str) -> float:
        """Writes the finished file where a node would (a WAV header and 1 s of silence)."""
        if path not in self.recordings:
            raise MediaError(f"not recording {path}", path=path)
        Path(path).write_bytes(_wav(8000))
        self.recordings[path] = 1.0
        return 1.0

    def last_dialled(self) -> FakeLeg:
        return self.dialled[-1][0]


def _wav(samples: int) -> bytes:
    import struct
    data = b"\x00\x00" * samples
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" +
            struct.pack("<I", len(data)) + data)

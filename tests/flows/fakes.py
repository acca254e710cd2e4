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

    async def reject(self, code: int = 486) -> None:
        self._cmd("reject", code)
        self._end(code, "rejected")

    async def play(self, path: str, loop: bool = False) -> None:
        self.play_done.clear()
        self._cmd("play", (str(path), loop))
        self.playing = str(path)

    async def stop_play(self) -> None:
        self._cmd("stop_play")
        self.playing = None

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


class FakePool:
    """The call API of ``MediaPool`` (dial, bridge, unbridge, record, stop_record)."""

    def __init__(self) -> None:
        self.dialled: list[tuple[FakeLeg, str]] = []
        self.bridged: list[tuple[FakeLeg, FakeLeg]] = []
        self.recordings: dict[str, float] = {}       # path -> seconds at stop
        self.dial_error: MediaError | None = None
        self.record_error: MediaError | None = None

    async def dial(self, near: FakeLeg, uri: str, caller_id: str | None = None,
                   caller_name: str | None = None) -> FakeLeg:
        if near.ended.done():
            raise MediaError(f"dial: leg {near.id} has ended", leg=near.id)
        if self.dial_error is not None:
            raise self.dial_error
        leg = FakeLeg("out", {"uri": uri, "caller_id": caller_id, "caller_name": caller_name},
                      node=near.node)
        self.dialled.append((leg, uri))
        return leg

    async def bridge(self, a: FakeLeg, b: FakeLeg) -> None:
        self.bridged.append((a, b))

    async def unbridge(self, a: FakeLeg, b: FakeLeg) -> None:
        self.bridged.remove((a, b))

    async def record(self, a: FakeLeg, b: FakeLeg | None, path: str) -> None:
        if self.record_error is not None:
            raise self.record_error
        if path in self.recordings:
            raise MediaError(f"already recording {path}", path=path)
        self.recordings[path] = -1.0

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

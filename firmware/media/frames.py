"""The clock-thread side of a media node: frame taps and file players.

pjsua2 calls ``AudioMediaPort.onFrameReceived`` and ``AudioMediaPlayer.onEof2``
on the conference bridge's clock thread. Code here only moves bytes and runs
the in-band DTMF detector, then posts plain tuples to a ``queue.SimpleQueue``
that the node's main loop drains: no pjsua2 call is ever made from this thread.

Frames are read through the SWIG ``ByteVector``'s memory with ctypes (3 us per
320-byte frame instead of 150 us for ``bytes(frame.buf)``;
docs/reference/pjsua2.md#audio-frames-in-python). Taps are pooled by the node and reused: destroying an ``AudioMediaPort``
right after its call ended crashed a node (the bridge may still be removing it).
"""
from __future__ import annotations

import ctypes
import os
import queue
from typing import Any, Callable

import pjsua2 as pj

FRAME_BYTES = 320          # 20 ms of 8 kHz 16-bit mono
Post = Callable[[tuple[Any, ...]], None]


def vec_bytes(bv: Any) -> bytes:
    """Copy a SWIG ``ByteVector`` (libstdc++ vector: begin, end, capacity) out by address."""
    begin, end = ctypes.cast(int(bv.this), ctypes.POINTER(ctypes.c_void_p))[0:2]
    return ctypes.string_at(begin, end - begin) if begin and end else b""


def load_detector_factory() -> tuple[Callable[[], Any] | None, str]:
    """``(factory, state)``: the in-band DTMF detector of ``acd_core`` if it is there.

    Imported when a node starts rather than at module import so a node still
    serves calls (RFC 4733 digits only) while ``acd_core.dtmf`` is missing or broken;
    ``state`` says which ("enabled" or "disabled: <why>") in hello, status and logs.
    """
    try:
        from acd_core.dtmf import DtmfDetector
        DtmfDetector(sample_rate=8000).process(bytes(FRAME_BYTES))
    except Exception as exc:  # noqa: BLE001 - any failure disables in-band detection only
        return None, f"disabled: {type(exc).__name__}: {exc}"
    return (lambda: DtmfDetector(sample_rate=8000)), "enabled"


class FrameTap(pj.AudioMediaPort):
    """Receives one leg's incoming audio; counts frames and detects in-band digits."""

    def __init__(self, post: Post) -> None:
        super().__init__()
        self._post = post
        self.leg = 0
        self.frames = 0
        self.detector: Any = None
        self.errors = 0

    def attach(self, leg: int, detector: Any) -> None:
        self.frames = 0
        self.detector = detector
        self.leg = leg

    def detach(self) -> None:
        self.leg = 0
        self.detector = None

    def onFrameReceived(self, frame: Any) -> None:  # noqa: N802 - pjsua2 name
        leg = self.leg
        if not leg or frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO or not frame.size:
            return
        self.frames += 1
        detector = self.detector
        if detector is None:
            return
        try:
            hits = detector.process(vec_bytes(frame.buf))
        except Exception as exc:  # noqa: BLE001 - never raise into the bridge thread
            self.errors += 1
            if self.errors == 1:
                self._post(("tap_error", leg, repr(exc)))
            return
        for _offset, digit in hits:
            self._post(("dtmf", leg, digit, "inband", self.frames))

    def onFrameRequested(self, frame: Any) -> None:  # noqa: N802 - pjsua2 name
        frame.type = pj.PJMEDIA_FRAME_TYPE_NONE
        frame.size = 0


class Player(pj.AudioMediaPlayer):
    """A WAV played into one leg; end of file is posted, never handled here."""

    def __init__(self, post: Post, leg: int, token: int, loop: bool) -> None:
        super().__init__()
        self._post = post
        self.leg = leg
        self.token = token
        self.loop = loop

    def onEof2(self) -> None:  # noqa: N802 - pjsua2 name
        if not self.loop:
            self._post(("eof", self.leg, self.token))


class MediaQueue:
    """Results from the bridge's clock thread to the node's main loop, with a wake-up.

    ``post`` may be called from any thread; it writes one byte to a pipe the main
    loop's ``select`` watches, but only when the queue was not already signalled,
    so a burst of frames costs one wake-up. ``drain`` empties the pipe, re-arms the
    signal and returns everything posted so far; an item posted while it runs
    either comes out now or signals again, never neither.
    """

    def __init__(self) -> None:
        self._q: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        self._signalled = False

    def fileno(self) -> int:
        return self._r

    def post(self, item: tuple[Any, ...]) -> None:
        self._q.put(item)
        if not self._signalled:
            self._signalled = True
            try:
                os.write(self._w, b"x")
            except (BlockingIOError, OSError):
                pass                        # the pipe is full: the loop is awake anyway

    def drain(self) -> list[tuple[Any, ...]]:
        try:
            while os.read(self._r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass
        self._signalled = False
        items = []
        while True:
            try:
                items.append(self._q.get_nowait())
            except queue.Empty:
                return items

    def close(self) -> None:
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass

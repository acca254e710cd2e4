"""The daemon's clock on its asyncio loop, and waiting on any ``Clock``.

Everything in the daemon reads time and sets timers through one
``acd_core.clock.Clock`` built by the composition root: ``LoopClock`` there,
``ManualClock`` in tests. Coroutines must not call ``asyncio.sleep`` or pass
``timeout=`` to ``asyncio.wait``/``wait_for`` for anything a test would want
to control (ring timeouts, IVR digit timeouts, restart delays): those read the
loop's own time, which a manual clock cannot move. They use ``sleep``,
``first`` and ``wait_for`` below, whose timers run on the injected clock, so a
test advances a ring timeout with ``clock.advance(15)`` instead of waiting 15 s.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Iterable, TypeVar

from acd_core.clock import Clock, ManualClock, TimerHandle

__all__ = ["Clock", "LoopClock", "ManualClock", "first", "sleep", "wait_for"]

T = TypeVar("T")


class LoopClock:
    """Real time: monotonic from the loop, timers as the loop's own callbacks.

    Built before the loop runs (the composition root makes it first); it binds
    to the running loop on first use. Timers must be set from the loop's thread.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    def _bound(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def now(self) -> float:
        return self._bound().time()

    def wall(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return self._bound().call_later(max(0.0, delay), callback)


def _timer_future(clock: Clock, delay: float) -> tuple["asyncio.Future[None]", TimerHandle]:
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def fire() -> None:
        if not fut.done():
            fut.set_result(None)
    return fut, clock.call_later(delay, fire)


async def sleep(clock: Clock, delay: float) -> None:
    """``asyncio.sleep`` on ``clock``."""
    fut, handle = _timer_future(clock, delay)
    try:
        await fut
    finally:
        handle.cancel()


async def first(clock: Clock, aws: Iterable["asyncio.Future[Any]"],
                timeout: float | None = None) -> set["asyncio.Future[Any]"]:
    """Wait until the first of ``aws`` is done or ``timeout`` passes on ``clock``.

    Returns the done futures (empty on timeout); never cancels the others,
    like ``asyncio.wait(..., return_when=FIRST_COMPLETED)``.
    """
    futures = {asyncio.ensure_future(a) for a in aws}
    already = {f for f in futures if f.done()}
    if already:
        return already
    if timeout is None:
        done, _ = await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
        return done
    timer, handle = _timer_future(clock, timeout)
    try:
        done, _ = await asyncio.wait(futures | {timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        handle.cancel()
        if not timer.done():
            timer.cancel()
    return {f for f in done if f is not timer}


async def wait_for(clock: Clock, aw: Awaitable[T], timeout: float) -> T:
    """``asyncio.wait_for`` on ``clock``: ``asyncio.TimeoutError`` after ``timeout``."""
    fut = asyncio.ensure_future(aw)
    try:
        done = await first(clock, [fut], timeout)
    except BaseException:
        fut.cancel()
        raise
    if not done:
        fut.cancel()
        try:
            await fut
        except (asyncio.CancelledError, Exception):
            pass
        raise asyncio.TimeoutError()
    return fut.result()

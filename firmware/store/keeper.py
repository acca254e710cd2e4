"""Call records that survive a full or failing disk: write now, or keep and write later.

The call flows never write a call's records straight to the store: they hand
each write to the ``RecordKeeper``. A write that fails (disk full, I/O error,
a locked database) is kept in order in memory and retried every
``storage.retry`` until it succeeds; meanwhile later writes queue behind it,
so a call's stages and its CDR land in the order they happened. Nothing the
flows decide waits on a write or depends on its success (the ACD is told
first), so calls keep being answered and seats keep being released while the
disk is full; the records follow when space returns.

Health (``describe``) is "degraded" while writes are waiting, and the
keeper's own probe checks free space and a real write every
``storage.check``, so a full disk is an alarm within seconds even before a
call tries to write.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
from collections import deque
from pathlib import Path
from typing import Any, Awaitable, Callable

from acd_core.clock import Clock
from firmware.clock import sleep
from firmware.errors import StoreError
from firmware.events import EventBus
from firmware.store.db import ValidationError
from firmware.timers import TIMERS

log = logging.getLogger("callbox.store.keeper")

Write = Callable[[], Awaitable[Any]]
MAX_WAITING = 100_000          # writes kept in memory before the oldest are dropped
LOW_SPACE_BYTES = 20 * 2**20   # below this free on var/, the storage is "degraded"


class RecordKeeper:
    def __init__(self, var_dir: Path, clock: Clock, bus: EventBus) -> None:
        self.var_dir = Path(var_dir)
        self.clock = clock
        self.bus = bus
        self._waiting: deque[tuple[str, Write]] = deque()
        self._draining: asyncio.Task[None] | None = None
        self._probe: asyncio.Task[None] | None = None
        self.last_error = ""
        self.dropped = 0
        self.written = 0
        self.retried = 0
        self.alarm = ""                 # "" or why the storage is degraded

    # -- writing -------------------------------------------------------------------------
    async def write(self, what: str, write: Write) -> bool:
        """Run ``write()`` now if nothing is waiting; otherwise (or if it fails) keep it.

        Returns True if it was written now. Never raises a storage error.
        """
        if not self._waiting:
            try:
                await write()
                self.written += 1
                return True
            except ValidationError as exc:       # bad data: no retry will fix it
                log.error("record refused, not kept what=%s error=%s", what, exc)
                self.dropped += 1
                return False
            except (StoreError, OSError) as exc:
                self._failed(what, exc)
        self._keep(what, write)
        return False

    def _keep(self, what: str, write: Write) -> None:
        if len(self._waiting) >= MAX_WAITING:
            self._waiting.popleft()
            self.dropped += 1
        self._waiting.append((what, write))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())

    def _failed(self, what: str, exc: BaseException) -> None:
        text = str(exc)
        if text != self.last_error:
            log.error("record write failed, kept for later what=%s error=%s", what, text)
        self.last_error = text
        self._raise_alarm(_why(text))

    async def _drain(self) -> None:
        while self._waiting:
            what, write = self._waiting[0]
            try:
                await write()
            except ValidationError as exc:
                log.error("record refused, not kept what=%s error=%s", what, exc)
                self.dropped += 1
            except (StoreError, OSError) as exc:
                self._failed(what, exc)
                await sleep(self.clock, TIMERS["storage.retry"])
                continue
            else:
                self.written += 1
                self.retried += 1
            self._waiting.popleft()
        log.info("records written again after a storage fault retried=%d", self.retried)
        self._check_clear()

    # -- health --------------------------------------------------------------------------
    def start(self) -> None:
        self._probe = asyncio.ensure_future(self._probe_loop())

    async def stop(self) -> None:
        """Stop probing; give waiting writes one last try."""
        if self._probe is not None:
            self._probe.cancel()
        if self._draining is not None and not self._draining.done():
            self._draining.cancel()
        for what, write in list(self._waiting):
            try:
                await write()
                self._waiting.popleft()
            except (StoreError, OSError) as exc:
                log.error("record lost at stop what=%s error=%s", what, exc)
                break

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.to_thread(self.check_now)
            await sleep(self.clock, TIMERS["storage.check"])

    def check_now(self) -> str:
        """Free space and a real write (written, synced, removed) on ``var/``; the alarm."""
        try:
            free = shutil.disk_usage(self.var_dir).free
            probe = self.var_dir / ".storage-probe"
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"x" * 4096)
                os.fsync(fd)
            finally:
                os.close(fd)
                probe.unlink(missing_ok=True)
        except OSError as exc:
            self._raise_alarm(_why(str(exc), exc.errno))
            return self.alarm
        if free < LOW_SPACE_BYTES:
            self._raise_alarm(f"disk almost full: {free // 2**20} MiB free")
        else:
            self._check_clear(probe_ok=True)
        return self.alarm

    def _raise_alarm(self, why: str) -> None:
        if why != self.alarm:
            log.error("storage alarm: %s", why)
            self.bus.publish("storage.alarm", reason=why, waiting=len(self._waiting))
        self.alarm = why

    def _check_clear(self, probe_ok: bool = False) -> None:
        if self.alarm and not self._waiting and (probe_ok or not self.alarm.startswith("disk")):
            log.info("storage alarm cleared (was: %s)", self.alarm)
            self.bus.publish("storage.alarm_cleared", was=self.alarm)
            self.alarm = ""

    @property
    def disk_full(self) -> bool:
        return self.alarm.startswith("disk full") or self.alarm.startswith("disk almost")

    def describe(self) -> dict[str, Any]:
        return {"status": "degraded" if self.alarm or self._waiting else "ok",
                "detail": self.alarm or None, "waiting_records": len(self._waiting),
                "dropped_records": self.dropped, "last_error": self.last_error or None}


def _why(text: str, code: int | None = None) -> str:
    low = text.lower()
    if code == errno.ENOSPC or "disk is full" in low or "no space" in low:
        return "disk full"
    if code == errno.EIO or "i/o error" in low:
        return "disk I/O error"
    return f"storage error: {text[:120]}"

"""Who has the box's database open: a lock file beside it, held by every ``Store``.

``Store.open`` takes a *shared* ``flock`` on ``callbox.db.lock`` and keeps it
until ``close()`` (the kernel drops it if the process dies, so a crash leaves
no stale lock). Any number of readers and writers (the daemon, a CLI import)
may hold it together. ``callbox restore`` takes it *exclusively*: it succeeds
only while nothing has the database open, and while restore holds it no
daemon can start on the half-swapped data.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from firmware.errors import StoreError


def lock_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".lock")


class DbLock:
    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def take(cls, db_path: Path, exclusive: bool = False) -> "DbLock":
        path = lock_path(db_path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open the database lock: {exc.strerror}",
                             path=str(path)) from None
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if exclusive:
                raise StoreError("the database is in use (is the appliance running? stop it"
                                 " first)", path=str(db_path)) from None
            raise StoreError("the database is being restored; try again when the restore"
                             " has finished", path=str(db_path)) from None
        return cls(fd, path)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

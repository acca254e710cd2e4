"""A listening Unix SEQPACKET socket at a configured path, without harming what is there.

The simulated card's peers (the D-channel bridge, the timeslot door) listen at
paths from ``callbox.toml``. Whatever the path already holds is left alone
unless it is a stale socket of an earlier run: a regular file (a typo'd path
pointing at someone's data) is refused, and so is a socket somebody still
listens on (a second daemon with the same config would otherwise unlink the
first one's socket and take its peers). A stale socket is one whose connect is
refused: nobody listens behind it.
"""
from __future__ import annotations

import errno
import os
import socket
import stat
from typing import Any

from drivers.errors import DriverError


def claim(path: str, **context: Any) -> None:
    """Make ``path`` free for ``bind``: create its directory, remove a stale socket;
    raise :class:`DriverError` (with ``context``) for anything else found there."""
    directory = os.path.dirname(path)
    try:
        if directory:
            os.makedirs(directory, exist_ok=True)
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DriverError(f"cannot use {path}: {exc.strerror}", path=path, errno=exc.errno,
                          **context) from None
    if not stat.S_ISSOCK(mode):
        raise DriverError(f"{path} exists and is not a socket; not replacing it", path=path,
                          **context)
    if _listened_on(path):
        raise DriverError(f"{path} is in use: another process listens on it (a second "
                          "daemon with the same config?); not replacing it", path=path, **context)
    os.unlink(path)                      # a stale socket of an earlier run


def _listened_on(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    probe.setblocking(False)
    try:
        code = probe.connect_ex(path)
    finally:
        probe.close()
    # refused: nobody behind it; EAGAIN: a listener with a full queue; EPROTOTYPE: a
    # listener of another socket type; success: a listener
    return code != errno.ECONNREFUSED


def listen(path: str, **context: Any) -> socket.socket:
    """A non-blocking SEQPACKET listener at ``path`` (backlog 1), after :func:`claim`."""
    claim(path, **context)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        listener.setblocking(False)
        listener.bind(path)
        listener.listen(1)
    except OSError as exc:
        listener.close()
        raise DriverError(f"cannot listen on {path}: {exc.strerror}", path=path,
                          errno=exc.errno, **context) from None
    return listener

"""Streamed uploads: a route's request body written straight to a file on the data
partition while it arrives, for bodies too big for the server's ordinary limit
(a firmware bundle is ~320 MiB; ``webui.server.MAX_BODY`` is 32 MiB).

waitress reads every body completely before the application runs. By default it
keeps it in memory up to ``inbuf_overflow`` and then in an anonymous temporary file
under $TMPDIR (a tmpfs on the box: RAM again), and bottle's ``request.body`` would
copy that into a second temporary file. For a ``Spool`` route the request parser
(``SpoolParser``) instead appends each received chunk to
``<folder>/incoming-<random>.<suffix>`` and hands that open file to the application
as ``wsgi.input``; the handler takes the file by renaming it (``claim``), so the
bundle is written to disk once and never held in memory.

Refused when the headers arrive, before one byte is written: no Content-Length
(chunked bodies: 411), while the route is busy (an install running: 409), more
than ``max_bytes`` (413), more than the folder's free
space less what the box keeps free (``firmware.update_job.free_bytes``; 507). A request that does not complete (client gone,
too slow, server stopping) or that the handler does not claim (not logged in, bad
CSRF token, an install already running) leaves no file: ``close`` removes it.
"""
from __future__ import annotations

import copy
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from waitress.buffers import FileBasedBuffer
from waitress.parser import HTTPRequestParser
from waitress.receiver import FixedStreamReceiver
from waitress.utilities import Error

from firmware.update_job import free_bytes

log = logging.getLogger("callbox.web")

PREFIX = "incoming-"


@dataclass(frozen=True)
class Spool:
    """``method path`` bodies go to files in ``folder()`` (made on first use), at most
    ``max_bytes()`` each. Callables, so that the data folder and the configured limit
    are looked up when an upload starts, not when the server is built."""
    method: str
    path: str
    folder: Callable[[], Path]
    max_bytes: Callable[[], int]
    suffix: str = ".upload"
    busy: Callable[[], str | None] = lambda: None   # why no upload is taken now (409)


class LengthRequired(Error):
    code = 411
    reason = "Length Required"


class TooLarge(Error):
    code = 413
    reason = "Request Entity Too Large"


class Conflict(Error):
    code = 409
    reason = "Conflict"


class InsufficientStorage(Error):
    code = 507
    reason = "Insufficient Storage"


class _FileBuffer(FileBasedBuffer):
    """waitress's file buffer over a named file of ours (its own makes anonymous ones)."""

    def newfile(self) -> Any:        # pragma: no cover - only called by prune(), never here
        raise NotImplementedError("a spooled upload is never pruned")


def refusal(spool: Spool, length: int | None) -> Error | None:
    """Why a body of *length* bytes cannot be spooled (None: it can)."""
    if length is None:
        return LengthRequired(f"{spool.path}: send the file with a Content-Length "
                              "(chunked uploads are not taken)")
    limit = spool.max_bytes()
    if length > limit:
        return TooLarge(f"the file is {length} bytes; uploads here take at most "
                        f"{limit} bytes ([web] firmware_upload_mib)")
    busy = spool.busy()
    if busy:
        return Conflict(busy)
    folder = spool.folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    room = free_bytes(folder)
    if length > room:
        return InsufficientStorage(f"the file is {length} bytes but the data partition has "
                                   f"room for {room} bytes ({folder}); free some space first")
    return None


class SpoolParser(HTTPRequestParser):
    """waitress's request parser; a request for one of ``spools`` is written to a file."""

    spools: tuple[Spool, ...] = ()
    spool_path: Path | None = None
    adj: Any

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        spool = next((s for s in self.spools
                      if s.method == self.command and s.path == self.path), None)
        if spool is None:
            return
        length = None if self.chunked else self.content_length
        adj: Any = copy.copy(self.adj)            # this request's own body limit (above the
        adj.max_request_body_size = max(spool.max_bytes(), length or 0) + 1   # length: our 413)
        self.adj = adj
        try:
            why = refusal(spool, length)
        except OSError as exc:
            why = InsufficientStorage(f"cannot write uploads to {spool.folder()}: "
                                      f"{exc.strerror or exc}")
        if why is not None:
            self.error, self.body_rcv, self.expect_continue = why, None, False
            log.warning("web upload refused path=%s bytes=%s why=%s", self.path, length,
                        why.body)
            return
        if length == 0:
            return
        path = spool.folder() / f"{PREFIX}{secrets.token_hex(8)}{spool.suffix}"
        # a named file object: the handler finds the path as wsgi.input's name
        f = open(path, "x+b", opener=lambda p, flags: os.open(p, flags, 0o600))
        self.spool_path = path
        self.body_rcv = FixedStreamReceiver(length, _FileBuffer(f))

    @property
    def body_received(self) -> int:
        return int(self.body_bytes_received)

    def close(self) -> None:
        """The request is over (served, or never completed): its file goes unless the
        handler claimed it."""
        super().close()
        if self.spool_path is not None:
            self.spool_path.unlink(missing_ok=True)
            self.spool_path = None


def spooled_file(environ: dict[str, Any], spool: Spool) -> Path | None:
    """The file this request's body was written to (None: the body was not spooled)."""
    name = getattr(environ.get("wsgi.input"), "name", None)
    if not isinstance(name, str):
        return None
    path = Path(name)
    if path.parent != spool.folder() or not path.name.startswith(PREFIX):
        return None
    return path


def claim(path: Path, name: str) -> Path:
    """Keep the spooled file as *name* in the same folder (the server no longer removes it)."""
    dest = path.with_name(name)
    os.replace(path, dest)
    return dest

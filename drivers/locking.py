"""One lock per chip: the port thread polls while the daemon's loop sends.

A Si3050/ProSLIC register access is three separate CS frames and a FALC HDLC
transmit is a FIFO write plus a CMDR; interleaving two of them corrupts the
access. Public driver methods take the chip's re-entrant lock. Callbacks run
with it held, so they must only hand work over (e.g. ``call_soon_threadsafe``).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def locked(method: F) -> F:
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper  # type: ignore[return-value]

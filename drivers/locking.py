"""One lock per chip: the port thread polls while the daemon's loop sends.

A Si3050/ProSLIC register access is three separate CS frames and a FALC HDLC
transmit is a FIFO write plus a CMDR; interleaving two of them corrupts the
access. Public driver methods take the chip's re-entrant lock. Callbacks run
with it held, so they must only hand work over (e.g. ``call_soon_threadsafe``).
"""
from __future__ import annotations

import functools
import threading
from typing import Callable, Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class _Chip(Protocol):
    _lock: threading.RLock


C = TypeVar("C", bound=_Chip)


def locked(method: Callable[Concatenate[C, P], R]) -> Callable[Concatenate[C, P], R]:
    @functools.wraps(method)
    def wrapper(self: C, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper

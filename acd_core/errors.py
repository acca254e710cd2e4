"""The root of every error Callbox raises on purpose.

It lives in the lowest layer so that ``drivers`` and ``acd_core`` can raise
``CallboxError`` subclasses without importing ``firmware`` (arrows point down).
Each subclass carries the fields that locate the fault (port, offset, state,
key) and names them in its message, so a log line or an API error says *where*.
"""
from __future__ import annotations

from typing import Any


class CallboxError(Exception):
    """Base class; ``context`` holds the fields that locate the fault."""

    def __init__(self, message: str, **context: Any) -> None:
        self.context = context
        if context:
            detail = ", ".join(f"{k}={v!r}" for k, v in context.items())
            message = f"{message} ({detail})"
        super().__init__(message)

    def __getattr__(self, name: str) -> Any:
        ctx = self.__dict__.get("context", {})
        if name in ctx:
            return ctx[name]
        raise AttributeError(name)


class DecodeError(CallboxError):
    """A wire format could not be parsed; carries ``offset`` and ``field``."""


class IllegalTransition(CallboxError):
    """A state machine got an event its current state has no row for."""


class ConfigError(CallboxError):
    """A configuration value is missing or malformed; carries ``key`` and ``expected``."""

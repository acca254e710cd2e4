"""Daemon-side errors. The root ``CallboxError`` lives in ``acd_core.errors``."""
from __future__ import annotations

from acd_core.errors import CallboxError, ConfigError, DecodeError, IllegalTransition

__all__ = [
    "CallboxError", "ConfigError", "DecodeError", "IllegalTransition",
    "StoreError", "MediaError", "EdgeError", "FlowError", "ApiError",
    "RouteError", "DialStringError", "TrunksBusy", "SigningError", "FlashError",
    "UpdateError", "ListenError",
]


class StoreError(CallboxError):
    """The database refused an operation; carries ``table`` / ``operation``."""


class MediaError(CallboxError):
    """A media node failed or refused a command; carries ``node``, ``leg``, ``command``."""


class EdgeError(CallboxError):
    """Kamailio could not be configured, started or reached; carries ``what``."""


class FlowError(CallboxError):
    """A call flow could not continue; carries ``call`` and ``step``."""


class RouteError(CallboxError):
    """No outbound route takes this number; carries ``number``."""


class DialStringError(RouteError):
    """A dialled string holds characters or a length no route accepts; carries ``number``,
    ``field`` and ``position`` (of the first bad character, or None for a bad length)."""


class TrunksBusy(CallboxError):
    """Every trunk group of the number's route is busy or down (a blocked call); carries
    ``number``, ``route`` and ``tried`` (``[(group, why), ...]``)."""


class ApiError(CallboxError):
    """A request to the API was malformed or not allowed; carries ``status`` and ``field``."""

    def __init__(self, message: str, status: int = 400, **context: object) -> None:
        super().__init__(message, **context)
        self.status = status


class SigningError(CallboxError):
    """A signature or checksum did not verify, or signing failed; carries ``file``."""


class FlashError(CallboxError):
    """``callbox flash`` refused or failed; carries ``device`` and/or ``image``, and ``stage``."""


class UpdateError(CallboxError):
    """A bundle was refused or its install failed; carries ``bundle`` and ``reason``."""


class ListenError(CallboxError):
    """A listen-address change was refused; carries ``field`` (the form field at fault,
    ``web_listen``, ``web_port``, ``sip_listen``, ``sip_port``, ``confirm``) and ``status``
    (the HTTP status the API answers with)."""

    def __init__(self, message: str, field: str, status: int = 400, **context: object) -> None:
        super().__init__(message, field=field, **context)
        self.status = status

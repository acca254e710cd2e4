"""Typed errors of the ISDN stack.

Every decoder error carries ``offset`` (octet in the frame or message) and
``field`` (what was being read) so a log line says where the peer went wrong.
Q.931 decode errors also carry the Q.931 cause the stack answers with
(Q.931 5.8): the receive boundary turns the error into a STATUS, a RELEASE
COMPLETE or silence, and never lets it escape.
"""
from __future__ import annotations

from acd_core.errors import CallboxError, DecodeError, IllegalTransition

__all__ = [
    "IsdnError", "LapdDecodeError", "Q931DecodeError", "BadProtocolDiscriminator",
    "BadCallReference", "MessageTooShort", "InvalidIeContents", "IeOutOfOrder",
    "MandatoryIeMissing", "NoChannelAvailable", "IllegalTransition",
]


class IsdnError(CallboxError):
    """A command the stack cannot carry out now (link down, channel busy ...)."""


class LapdDecodeError(DecodeError):
    """A Q.921 frame that cannot be parsed; carries ``offset`` and ``field``."""


class Q931DecodeError(DecodeError):
    """A Q.931 message that cannot be accepted; carries ``offset`` and ``field``.

    ``cause`` is the Q.931 cause value the receiver answers with; ``None``
    means the message is ignored (Q.931 5.8.1-5.8.3: no header to answer to).
    The header fields are in ``context`` when they were read
    (``call_ref``, ``call_ref_flag``, ``message_type``).
    """

    cause: int | None = 100


class BadProtocolDiscriminator(Q931DecodeError):
    cause = None


class MessageTooShort(Q931DecodeError):
    cause = None


class BadCallReference(Q931DecodeError):
    cause = None


class InvalidIeContents(Q931DecodeError):
    cause = 100


class IeOutOfOrder(Q931DecodeError):
    cause = 100


class MandatoryIeMissing(Q931DecodeError):
    cause = 96


class NoChannelAvailable(IsdnError):
    """No idle B-channel to place a call on (cause 34)."""

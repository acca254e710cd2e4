"""What a dialled string may hold before it reaches a route, a trunk or a node.

A number becomes part of a SIP Request-URI, a From header and, on a line, digits
on the wire. A character with a meaning in any of them (``;`` ``?`` ``@`` ``%``
``<`` ``>`` ``:`` ``,`` ``&`` ``/`` ``(`` quotes, spaces) would let a caller add a
parameter, a header or a second destination: toll fraud through the dial string
(Asterisk's CVE-2010-0685 is the classic). So numbers are checked against a
small alphabet at every door: the edge's placement (a trunk's DID, a seat's dial
string) and ``Trunks.dial``.
"""
from __future__ import annotations

import re

from firmware.errors import DialStringError

MAX_LEN = 32
_NUMBER = re.compile(r"\+?[0-9]{1,%d}" % MAX_LEN)
_DIAL_CHARS = frozenset("0123456789*#+abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-")


def _first_bad(value: str, allowed: frozenset[str]) -> int | None:
    return next((i for i, c in enumerate(value) if c not in allowed), None)


def number(value: object, field: str = "number") -> str:
    """A number to or from the outside: digits, an optional leading ``+``, 1-32 long."""
    if not isinstance(value, str):
        raise DialStringError(f"{field} must be text", number=repr(value), field=field,
                              position=None)
    if not _NUMBER.fullmatch(value):
        bad = _first_bad(value[1:] if value.startswith("+") else value, frozenset("0123456789"))
        if bad is not None and value.startswith("+"):
            bad += 1
        raise DialStringError(f"{field} must be 1-{MAX_LEN} digits with an optional leading '+'",
                              number=value[:64], field=field, position=bad)
    return value


def dial_string(value: object, field: str = "dial string") -> str:
    """What a seat may dial: a number, an extension, a feature code (``*21``) or a name
    (``support``): digits, ``* # +``, letters, ``. _ -``; 1-32 long."""
    if not isinstance(value, str):
        raise DialStringError(f"{field} must be text", number=repr(value), field=field,
                              position=None)
    bad = _first_bad(value, _DIAL_CHARS)
    if bad is not None or not 1 <= len(value) <= MAX_LEN:
        raise DialStringError(f"{field} must be 1-{MAX_LEN} of digits, letters, '*#+._-'",
                              number=value[:64], field=field, position=bad)
    return value

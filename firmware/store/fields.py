"""Field checks shared by the aggregates.

Each check takes the field's name (as the caller knows it, e.g. ``seat.extension``)
and the value, and returns the normalised value or raises ``ValidationError``
naming the field and the expected form. Checks run before any SQL, so a
rejected write touches nothing.
"""
from __future__ import annotations

import ipaddress
import math
import re
import uuid
from typing import Any, Iterable

from firmware.store.db import ValidationError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
_DIGITS = re.compile(r"^[0-9]{1,15}$")
_NUMBER = re.compile(r"^\+?[0-9]{1,20}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_SIP_SECRET = re.compile(r"^[!#-\[\]-~]{1,64}$")    # printable ASCII but space, '"', '\\'



def name(field: str, v: Any) -> str:
    if not isinstance(v, str) or not _NAME.match(v):
        raise ValidationError(field, "a name of 1-32 lower-case letters, digits, '_', '-' or '.'"
                              " starting with a letter or digit", v)
    return v


def extension(field: str, v: Any) -> str:
    if not isinstance(v, str) or not _DIGITS.match(v):
        raise ValidationError(field, "1-15 digits", v)
    return v


def number(field: str, v: Any) -> str:
    """A dialled or presented number (DID, caller): digits with an optional leading '+'."""
    if not isinstance(v, str) or not _NUMBER.match(v):
        raise ValidationError(field, "digits with an optional leading '+'", v)
    return v


def opt_number(field: str, v: Any) -> str:
    return "" if v in ("", None) else number(field, v)


def text(field: str, v: Any, max_len: int = 200, *, required: bool = False) -> str:
    if not isinstance(v, str) or len(v) > max_len or any(ord(c) < 32 for c in v):
        raise ValidationError(field, f"text of at most {max_len} printable characters", v)
    if required and not v.strip():
        raise ValidationError(field, "a non-empty text", v)
    return v


def integer(field: str, v: Any, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ValidationError(field, f"an integer {lo}-{hi}", v)
    return v


def boolean(field: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValidationError(field, "true or false", v)
    return v


def choice(field: str, v: Any, options: Iterable[str]) -> str:
    opts = tuple(options)
    if v not in opts:
        raise ValidationError(field, "one of " + ", ".join(opts), v)
    return str(v)


def cidr(field: str, v: Any) -> str:
    """An IPv4/IPv6 network in CIDR form; host bits must be zero (10.0.0.0/8, not 10.1.2.3/8)."""
    try:
        if not isinstance(v, str) or "/" not in v:
            raise ValueError
        return str(ipaddress.ip_network(v, strict=True))
    except ValueError:
        raise ValidationError(field, "a network in CIDR form like 192.0.2.0/24", v) from None


def ha1(field: str, v: Any) -> str:
    if not isinstance(v, str) or not _HEX32.match(v):
        raise ValidationError(field, "32 lower-case hex digits (md5 of user:realm:password)",
                              show_value=False)
    return v


def call_id(field: str, v: Any) -> str:
    """A UUID in either common spelling (``str(u)`` or ``u.hex``), kept as given.

    Kept, not normalised, so the id in the CDR is the very string the flow put in
    its queue events, bus events and log lines.
    """
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, str) and len(v) in (32, 36) and v == v.lower():
        try:
            uuid.UUID(v)
            return v
        except ValueError:
            pass
    raise ValidationError(field, "a lower-case UUID like 0f8fad5b-d9cb-469f-a165-70867728950e"
                          " or its 32-digit hex form", v)


def timestamp(field: str, v: Any) -> float:
    """Wall-clock seconds since the epoch (UTC); 2000-01-01 .. 2100-01-01."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
            or not 946684800 <= v <= 4102444800:
        raise ValidationError(field, "epoch seconds (UTC) between 2000 and 2100", v)
    return float(v)


def opt_timestamp(field: str, v: Any) -> float | None:
    return None if v is None else timestamp(field, v)


def seconds(field: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise ValidationError(field, "a number of seconds >= 0", v)
    return float(v)


def opt_seconds(field: str, v: Any) -> float | None:
    return None if v is None else seconds(field, v)


def rel_path(field: str, v: Any) -> str:
    """A relative path inside a data folder: no '..', no leading '/', no backslashes."""
    if not isinstance(v, str) or not v or v.startswith("/") or "\\" in v or "\0" in v \
            or any(part in ("", ".", "..") for part in v.split("/")) or len(v) > 255:
        raise ValidationError(field, "a relative path without '..' like 2026/11/27/x.wav", v)
    return v


def host(field: str, v: Any) -> str:
    """An IPv4 address or a host name (letters, digits, '.', '-')."""
    if not isinstance(v, str) or not _HOST.match(v) or ".." in v:
        raise ValidationError(field, "an IPv4 address or a host name like sip.example.net", v)
    return v


def is_ipv4(v: str) -> bool:
    try:
        ipaddress.IPv4Address(v)
        return True
    except ValueError:
        return False


def sip_secret(field: str, v: Any) -> str:
    """A SIP user name or password: 1-64 printable characters, no space, '"' or backslash
    (they travel inside quoted digest parameters)."""
    if not isinstance(v, str) or not _SIP_SECRET.match(v):
        raise ValidationError(field, "1-64 printable characters without spaces, quotes or "
                              "backslashes", show_value=False)
    return v

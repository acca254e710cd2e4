"""Query parameters of the call listings, checked before they reach the daemon.

Every parameter has one parser; an unknown, repeated or malformed parameter is
a ``ParamError`` naming it, answered 400. Empty values count as absent (an
untouched filter field in the Calls page's form submits ``queue=``). Times are
epoch seconds or ISO-8601 (``2026-11-27``, ``2026-11-27T10:00:00Z``, with an
offset); an ISO time without an offset is taken as UTC.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from firmware.api import DISPOSITIONS, MAX_PAGE, ApiError

MAX_WEB_PAGE = min(500, MAX_PAGE)
_NAME = re.compile(r"^[A-Za-z0-9_.+-]{1,32}$")


class ParamError(ApiError):
    """A query parameter is unknown or malformed; carries ``parameter`` and ``expected``."""

    def __init__(self, parameter: str, expected: str) -> None:
        parameter = parameter[:40]
        super().__init__(f"{parameter}: expected {expected}", status=400)
        self.parameter = parameter


def with_schema(parse: Callable[[str], Any], schema: dict[str, Any]) -> Callable[[str], Any]:
    """Attach the JSON Schema of what ``parse`` accepts (for the OpenAPI document)."""
    parse.schema = schema  # type: ignore[attr-defined]
    return parse


def schema_of(parse: Callable[[str], Any]) -> dict[str, Any]:
    return dict(getattr(parse, "schema", {"type": "string"}))


def p_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(v: str) -> int:
        if not re.fullmatch(r"[0-9]{1,10}", v) or not lo <= int(v) <= hi:
            raise ValueError(f"an integer {lo}-{hi}")
        return int(v)
    return with_schema(parse, {"type": "integer", "minimum": lo, "maximum": hi})


_int = p_int


def p_text(max_len: int) -> Callable[[str], str]:
    def parse(v: str) -> str:
        if len(v) > max_len or any(ord(c) < 32 for c in v):
            raise ValueError(f"text of at most {max_len} characters")
        return v
    return with_schema(parse, {"type": "string", "maxLength": max_len})


def p_choice(*choices: str) -> Callable[[str], str]:
    def parse(v: str) -> str:
        if v not in choices:
            raise ValueError("one of " + ", ".join(choices))
        return v
    return with_schema(parse, {"type": "string", "enum": list(choices)})


def p_bool(v: str) -> bool:
    if v not in ("0", "1", "true", "false"):
        raise ValueError("1, 0, true or false")
    return v in ("1", "true")


with_schema(p_bool, {"type": "string", "enum": ["0", "1", "true", "false"]})


def parse_time(v: str) -> float:
    try:
        t = float(v)
        if math.isfinite(t) and 946684800 <= t <= 4102444800:
            return t
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("epoch seconds or an ISO-8601 time like 2026-11-27T10:00:00Z") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    t = dt.timestamp()
    if not 946684800 <= t <= 4102444800:
        raise ValueError("a time between 2000 and 2100")
    return t


with_schema(parse_time, {"type": "string", "description":
                         "epoch seconds or an ISO-8601 time (UTC when no offset is given)"})


def _name(v: str) -> str:
    if not _NAME.match(v):
        raise ValueError("a name of up to 32 letters, digits, '_', '-', '+' or '.'")
    return v


with_schema(_name, {"type": "string", "pattern": _NAME.pattern})
p_name = _name
_disposition = p_choice(*DISPOSITIONS)


CALL_PARAMS: dict[str, Callable[[str], Any]] = {
    "limit": _int(1, MAX_WEB_PAGE), "offset": _int(0, 10**9), "since": parse_time,
    "until": parse_time, "queue": _name, "agent": _name, "disposition": _disposition,
}


def parse_query(query: Mapping[str, list[str]], spec: Mapping[str, Callable[[str], Any]]
                ) -> dict[str, Any]:
    """``{name: [values]}`` (every value of a repeated name) -> checked keyword arguments."""
    out: dict[str, Any] = {}
    for name, values in query.items():
        if name not in spec:
            raise ParamError(name, "no such parameter; known: " + ", ".join(spec))
        if len(values) != 1:
            raise ParamError(name, "one value")
        if values[0] == "":
            continue
        try:
            out[name] = spec[name](values[0])
        except ValueError as exc:
            raise ParamError(name, str(exc)) from None
    if "since" in out and "until" in out and out["until"] <= out["since"]:
        raise ParamError("until", "a time after since")
    return out

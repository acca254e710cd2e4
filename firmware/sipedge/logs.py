"""Kamailio's stderr lines -> our logging, and the security lines -> events.

Kamailio (``-E``, ``log_stderror=yes``) writes ``" 3(1234) NOTICE: <script>: text"``.
Only lines with that prefix coming from the routing script (``<script>:``) can
become events. Security lines look like
``SECURITY event=auth_failed ip=192.0.2.7 port=5060 user=201 method=REGISTER count=3``:
the script writes every peer-controlled value (user name, method, User-Agent)
URI-escaped (``{s.escape.user}``), so a value holding spaces, ``=`` or line
breaks cannot forge a second field, a second record or another address.
"""
from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

_LINE = re.compile(r"^\s*\d+\((?P<pid>\d+)\) (?P<level>[A-Z]+): (?P<text>.*)$")
_SECURITY = re.compile(r"^<script>: SECURITY event=(?P<kind>[a-z_]{1,32})(?P<rest>( [a-z_]{1,16}=\S*)*)$")
_FIELD = re.compile(r" ([a-z_]{1,16})=(\S*)")
_INTEGER_FIELDS = frozenset({"port", "count", "seconds"})

# The kinds the routing script writes (docs/design/daemon-interfaces.md, "Security").
KINDS = frozenset({"banned", "auth_failed", "malformed", "forged_in_dialog"})

LEVELS = {
    "ALERT": logging.CRITICAL, "BUG": logging.CRITICAL, "CRITICAL": logging.CRITICAL,
    "ERROR": logging.ERROR, "WARNING": logging.WARNING, "NOTICE": logging.INFO,
    "INFO": logging.DEBUG, "DEBUG": logging.DEBUG,
}


@dataclass(frozen=True)
class KamailioLine:
    pid: int | None
    level: int
    level_name: str
    text: str


@dataclass(frozen=True)
class SecurityEvent:
    kind: str                    # "security.<what>", e.g. "security.banned"
    data: dict[str, Any]


def parse_line(raw: str) -> KamailioLine:
    line = raw.rstrip("\r\n")
    m = _LINE.match(line)
    if not m:  # start-up banners, "Listening on" tables, continuation lines
        return KamailioLine(None, logging.INFO, "RAW", line)
    name = m.group("level")
    return KamailioLine(int(m.group("pid")), LEVELS.get(name, logging.INFO), name, m.group("text"))


def security_event(line: KamailioLine) -> SecurityEvent | None:
    """The event a script line stands for, or None (not a security line, or malformed)."""
    if line.pid is None:
        return None
    m = _SECURITY.match(line.text)
    if not m or m.group("kind") not in KINDS:
        return None
    data: dict[str, Any] = {}
    for key, raw in _FIELD.findall(m.group("rest")):
        if key in data:
            return None
        value = "" if raw == "<null>" else unquote(raw)
        if key in _INTEGER_FIELDS:
            if not value.isdigit():
                return None
            data[key] = int(value)
        else:
            data[key] = value
    try:
        ipaddress.ip_address(data.get("ip", ""))
    except ValueError:
        return None
    return SecurityEvent(f"security.{m.group('kind')}", data)

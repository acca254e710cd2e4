"""Kamailio's stderr lines -> our logging, and the security lines -> events.

Kamailio (``-E``, ``log_stderror=yes``) writes ``" 3(1234) NOTICE: <script>: text"``.
Only lines with that prefix coming from the routing script (``<script>:``) can
become events, and the script writes the peer-controlled user name
URI-escaped (``$(au{s.escape.user})``), so a user name holding spaces or line
breaks cannot forge a second record or another source address.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import unquote

_LINE = re.compile(r"^\s*\d+\((?P<pid>\d+)\) (?P<level>[A-Z]+): (?P<text>.*)$")
_AUTH_FAILED = re.compile(
    r"^<script>: AUTH_FAILED user=(?P<user>\S*) src=(?P<src>[0-9A-Fa-f.:\[\]]+) "
    r"method=(?P<method>[A-Za-z]+)$")
_FLOOD = re.compile(
    r"^<script>: FLOOD_BLOCKED src=(?P<src>[0-9A-Fa-f.:\[\]]+) method=(?P<method>[A-Za-z]+)$")

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
    kind: str                    # "sip.auth_failed" | "sip.flood_blocked"
    data: dict[str, str]


def parse_line(raw: str) -> KamailioLine:
    line = raw.rstrip("\r\n")
    m = _LINE.match(line)
    if not m:  # start-up banners, "Listening on" tables, continuation lines
        return KamailioLine(None, logging.INFO, "RAW", line)
    name = m.group("level")
    return KamailioLine(int(m.group("pid")), LEVELS.get(name, logging.INFO), name, m.group("text"))


def security_event(line: KamailioLine) -> SecurityEvent | None:
    if line.pid is None:
        return None
    m = _AUTH_FAILED.match(line.text)
    if m:
        return SecurityEvent("sip.auth_failed", {"user": unquote(m.group("user")),
                                                 "src": m.group("src"),
                                                 "method": m.group("method")})
    m = _FLOOD.match(line.text)
    if m:
        return SecurityEvent("sip.flood_blocked", {"src": m.group("src"),
                                                   "method": m.group("method")})
    return None

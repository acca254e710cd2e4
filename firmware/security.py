"""Security events: one parseable log line each, counted for health.

Every ``security.*`` event on the bus (the edge's bans, failed digest checks,
forged in-dialog requests; the placement's refusals; whatever else publishes
one) is written once to the ``callbox.security`` logger as a ``SecurityLine``::

    security event=auth_failed ip=192.0.2.7 port=5060 user=201 method=REGISTER count=3

keys in the event's order, values percent-encoded outside a small safe set, so
a peer-chosen value (a user name, a User-Agent) can neither add a field nor
start a new line; ``SecurityLine.parse`` reads it back exactly (fail2ban and
log shippers can match it with one regular expression per kind). The event log
(``store.events``) keeps the events themselves; the web UI's security log reads
them through ``Api.security_log``.

``SecurityMonitor`` counts the events by kind since start and keeps the bans it
heard of until they expire (on the injected clock), for ``health()``.
"""
from __future__ import annotations

import ipaddress
import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Protocol
from urllib.parse import quote, unquote

from acd_core.clock import Clock
from acd_core.errors import DecodeError
from firmware.events import Event, EventBus
from firmware.store.db import ValidationError

seclog = logging.getLogger("callbox.security")

PREFIX = "security."
_SAFE = "._-:+*#@/~"
_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_VALUE = re.compile(r"[A-Za-z0-9._\-:+*#@/~%]*")


class SecurityLineError(DecodeError):
    """A text that is not a security line; carries ``field`` and ``offset``."""


@dataclass(frozen=True)
class SecurityLine:
    kind: str                                  # "auth_failed" (the event is security.<kind>)
    fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_event(cls, event: Event) -> "SecurityLine":
        kind = event.kind[len(PREFIX):] if event.kind.startswith(PREFIX) else event.kind
        fields = tuple((k, "" if v is None else str(v)) for k, v in event.data.items()
                       if _KEY.fullmatch(k) and k != "event")
        return cls(kind, fields)

    def __str__(self) -> str:
        parts = ["security", f"event={quote(self.kind, safe=_SAFE)}"]
        parts += [f"{k}={quote(v, safe=_SAFE)}" for k, v in self.fields]
        return " ".join(parts)

    @classmethod
    def parse(cls, text: str) -> "SecurityLine":
        if not text.startswith("security event="):
            raise SecurityLineError("a security line starts with 'security event='",
                                    field="event", offset=0)
        offset = len("security ")
        items: list[tuple[str, str]] = []
        for token in text[offset:].split(" "):
            key, sep, value = token.partition("=")
            if not sep or not _KEY.fullmatch(key) or not _VALUE.fullmatch(value):
                raise SecurityLineError(f"bad field {token[:40]!r}", field=key[:32],
                                        offset=offset)
            if any(k == key for k, _ in items):
                raise SecurityLineError(f"field {key} twice", field=key, offset=offset)
            items.append((key, unquote(value)))
            offset += len(token) + 1
        kind, fields = items[0][1], tuple(items[1:])
        if not kind:
            raise SecurityLineError("empty event kind", field="event", offset=len("security "))
        return cls(kind, fields)


class SecurityMonitor:
    """Subscribes to ``security.*``: one log line per event, counts and live bans for health."""

    def __init__(self, bus: EventBus, clock: Clock) -> None:
        self.clock = clock
        self.counts: Counter[str] = Counter()
        self.last: dict[str, Any] | None = None
        self._bans: dict[str, tuple[float, str]] = {}     # ip -> (expires, reason)
        self._unsubscribe: Callable[[], None] = bus.subscribe(PREFIX, self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def _on_event(self, event: Event) -> None:
        line = SecurityLine.from_event(event)
        seclog.warning("%s", line)
        self.counts[line.kind] += 1
        self.last = {"kind": line.kind, "ts": event.ts, "ip": event.data.get("ip")}
        ip = event.data.get("ip")
        if line.kind == "banned" and isinstance(ip, str):
            seconds = event.data.get("seconds")
            if isinstance(seconds, (int, float)) and seconds > 0:
                self._bans[ip] = (self.clock.now() + seconds, str(event.data.get("reason", "")))
        elif line.kind == "unbanned" and isinstance(ip, str):
            self._bans.pop(ip, None)

    def bans(self) -> dict[str, dict[str, Any]]:
        """``{ip: {"reason", "seconds_left"}}`` of the bans heard of and not yet expired."""
        now = self.clock.now()
        for ip in [ip for ip, (until, _) in self._bans.items() if until <= now]:
            del self._bans[ip]
        return {ip: {"reason": reason, "seconds_left": round(until - now, 1)}
                for ip, (until, reason) in sorted(self._bans.items())}

    def health(self) -> dict[str, Any]:
        """The ``security`` component: counts never make the box unhealthy, they inform."""
        return {"status": "ok", "events": dict(sorted(self.counts.items())),
                "total": sum(self.counts.values()), "bans_active": len(self.bans()),
                "last": self.last}


class BanEdge(Protocol):
    """What ``SecurityControl`` needs of the edge (``firmware.sipedge.KamailioEdge``)."""

    async def bans(self) -> list[str]: ...

    async def unban(self, address: str) -> bool: ...


class SecurityControl:
    """The bans in force (the edge's truth, with the reason and time left the monitor
    heard of) and lifting one, for the API."""

    def __init__(self, edge: BanEdge, monitor: SecurityMonitor, bus: EventBus) -> None:
        self._edge = edge
        self._monitor = monitor
        self._bus = bus

    async def bans(self) -> list[dict[str, Any]]:
        heard = self._monitor.bans()
        return [{"ip": ip, **heard.get(ip, {"reason": "", "seconds_left": None})}
                for ip in await self._edge.bans()]

    async def unban(self, ip: str, by: str = "") -> bool:
        try:
            address = str(ipaddress.ip_address(ip))
        except (TypeError, ValueError):
            raise ValidationError("ip", "an IPv4 or IPv6 address", ip) from None
        if not await self._edge.unban(address):
            return False
        self._bus.publish("security.unbanned", ip=address, by=by)
        return True

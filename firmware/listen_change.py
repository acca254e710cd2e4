"""Changing the addresses the web UI and the SIP edge listen on, with a way back.

An admin who moves the box to an address the browser (or the phones) cannot reach
must not lose the box. So a change is *pending* until it is confirmed by a request
that arrives on the new web address; if none arrives within ``[web]
listen_confirm_s`` the box writes the previous callbox.toml back and returns to
the previous addresses by itself. The pending change is stored in
``var/listen-pending.json`` *before* anything moves, so a daemon that stops or
crashes during the window finds it at its next start and goes back too: an
unconfirmed address never outlives the window.

The states and what moves them are the ``TRANSITIONS`` table; the window is the
``system.listen_confirm`` row of ``firmware/timers.py``. The effects on the running
box (restarting Kamailio, binding the new web server) are the composition root's
(``firmware/listen_effects.py``), handed in as a ``Switch``; this module owns the decisions, the file and the timer.
"""
from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import logging
import os
import socket
import subprocess
import tomllib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Protocol

from acd_core.clock import Clock, TimerHandle
from firmware import config as config_mod
from firmware.config import Config
from firmware.config_edit import set_keys, write_back, write_keeping_previous
from firmware.errors import ConfigError, IllegalTransition, ListenError

log = logging.getLogger("callbox.listen")

PENDING_FILE = "listen-pending.json"
FIELDS = ("web_listen", "web_port", "sip_listen", "sip_port")

# (state, event) -> next state. "pending": the new addresses serve, awaiting confirmation.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("steady", "apply"): "pending",        # written, switched, timer armed
    ("pending", "confirm"): "steady",      # a request came on the new address: kept
    ("pending", "expire"): "steady",       # no confirmation in time: previous restored
    ("pending", "revert"): "steady",       # the admin went back before the time was up
    ("pending", "failed"): "steady",       # the new addresses could not be served: restored
    ("pending", "restart"): "steady",      # found pending at start: previous restored
}
STATES = ("steady", "pending")


@dataclass(frozen=True)
class Listen:
    """The four values the system page changes."""
    web_listen: str
    web_port: int
    sip_listen: str
    sip_port: int

    @classmethod
    def from_config(cls, cfg: Config) -> "Listen":
        return cls(cfg.web.listen, cfg.web.port, cfg.sip.listen, cfg.sip.port)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Listen":
        return cls(str(data["web_listen"]), int(data["web_port"]), str(data["sip_listen"]),
                   int(data["sip_port"]))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def applied_to(self, cfg: Config) -> Config:
        return replace(cfg, web=replace(cfg.web, listen=self.web_listen, port=self.web_port),
                       sip=replace(cfg.sip, listen=self.sip_listen, port=self.sip_port))

    def toml_updates(self) -> dict[tuple[str, str], str | int]:
        return {("web", "listen"): self.web_listen, ("web", "port"): self.web_port,
                ("sip", "listen"): self.sip_listen, ("sip", "port"): self.sip_port}

    @property
    def web(self) -> str:
        return f"{self.web_listen}:{self.web_port}"

    @property
    def sip(self) -> str:
        return f"{self.sip_listen}:{self.sip_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.web}"


# -- checking a request against the box's real interfaces ------------------------------------
def box_addresses() -> list[str]:
    """The IPv4 addresses on this box's interfaces (``ip -j addr``), for error messages."""
    try:
        out = subprocess.run(["ip", "-j", "-4", "addr"], capture_output=True, text=True,
                             timeout=5, check=True).stdout
        return sorted({a["local"] for link in json.loads(out) for a in link.get("addr_info", [])
                       if a.get("family") == "inet" and "local" in a},
                      key=lambda a: ipaddress.IPv4Address(a))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError):
        return []


def _bind(kind: int, host: str, port: int) -> OSError | None:
    """Try to bind ``host:port`` (TCP or UDP) the way the server will; the error, or None."""
    s = socket.socket(socket.AF_INET, kind)
    try:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as waitress does
        s.bind((host, port))
        return None
    except OSError as exc:
        return exc
    finally:
        s.close()


def _address(field: str, raw: Any) -> str:
    try:
        addr = ipaddress.IPv4Address(raw)
    except (ipaddress.AddressValueError, ValueError, TypeError):
        raise ListenError(f"{field}: expected an IPv4 address like 192.168.1.10, got {raw!r}",
                          field) from None
    if addr.is_unspecified or addr.is_multicast or str(addr) == "255.255.255.255":
        raise ListenError(f"{field}: {addr} is not one address of this box; name the one the "
                          "phones or browsers will reach (the confirmation must arrive on it)",
                          field)
    return str(addr)


def _port(field: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 65535:
        if isinstance(raw, str) and raw.strip().isdigit() and 1 <= int(raw) <= 65535:
            return int(raw)
        raise ListenError(f"{field}: expected a port 1-65535, got {raw!r}", field)
    return raw


NONLOCAL_BIND = Path("/proc/sys/net/ipv4/ip_nonlocal_bind")


def _on_box(field: str, host: str) -> None:
    """A bind is the kernel's own answer; with ``ip_nonlocal_bind`` set it says yes to any
    address, so then the interfaces' list decides (loopback's 127/8 is always local)."""
    exc = _bind(socket.SOCK_DGRAM, host, 0)
    try:
        nonlocal_bind = NONLOCAL_BIND.read_text().strip() == "1"
    except OSError:
        nonlocal_bind = False
    have = box_addresses() if exc is not None or nonlocal_bind else []
    missing = (exc is not None and exc.errno == errno.EADDRNOTAVAIL) or (
        nonlocal_bind and host not in have and not ipaddress.IPv4Address(host).is_loopback)
    if missing:
        raise ListenError(f"{field}: {host} is not an address of this box"
                          + (f" (its addresses: {', '.join(have)})" if have else ""), field)


def _free(field: str, kind: int, host: str, port: int, what: str) -> None:
    exc = _bind(kind, host, port)
    if exc is None:
        return
    if exc.errno == errno.EADDRINUSE:
        raise ListenError(f"{field}: {what} port {port} on {host} is in use", field)
    if exc.errno == errno.EACCES:
        raise ListenError(f"{field}: port {port} needs privileges this daemon does not have "
                          "(ports below 1024)", field)
    raise ListenError(f"{field}: cannot listen on {host}:{port}: {exc.strerror}", field)


def check_request(data: Mapping[str, Any], current: Listen, cfg: Config) -> Listen:
    """The new addresses from a request (missing fields keep their value), checked against
    the box as it is: each address on one of its interfaces, each changed port free. Raises
    ``ListenError`` naming the first field at fault; nothing is changed by checking."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ListenError(f"{unknown[0]}: unknown field (expected {', '.join(FIELDS)})",
                          unknown[0])
    merged = {**current.as_dict(), **{k: v for k, v in data.items() if v is not None}}
    new = Listen(_address("web_listen", merged["web_listen"]),
                 _port("web_port", merged["web_port"]),
                 _address("sip_listen", merged["sip_listen"]),
                 _port("sip_port", merged["sip_port"]))
    if cfg.web.trusted_proxy and new.web != current.web:
        field = "web_listen" if new.web_listen != current.web_listen else "web_port"
        raise ListenError(f"{field}: this box is reached through its HTTPS front "
                          f"({cfg.web.trusted_proxy}), which owns the web address; only the "
                          "SIP edge's address can be changed here", field, status=409)
    if new == current:
        raise ListenError("web_listen: these are the addresses the box listens on now",
                          "web_listen")
    nodes = range(cfg.media.sip_port_base, cfg.media.sip_port_base + cfg.media.nodes_max)
    if new.sip_port in nodes:
        raise ListenError(f"sip_port: {new.sip_port} is among the media nodes' ports "
                          f"({nodes.start}-{nodes.stop - 1})", "sip_port")
    if new.sip_port == cfg.sip.placement_port:
        raise ListenError(f"sip_port: {new.sip_port} is the edge's placement port", "sip_port")
    if new.web_listen != current.web_listen:
        _on_box("web_listen", new.web_listen)
    if new.sip_listen != current.sip_listen:
        _on_box("sip_listen", new.sip_listen)
    if new.web != current.web:
        _free("web_port", socket.SOCK_STREAM, new.web_listen, new.web_port, "TCP")
    if new.sip != current.sip:
        _free("sip_port", socket.SOCK_DGRAM, new.sip_listen, new.sip_port, "UDP")
    return new


# -- the pending change ------------------------------------------------------------------------
@dataclass(frozen=True)
class Pending:
    previous: Listen
    new: Listen
    deadline: float              # wall-clock time (clock.wall()) the window ends
    by: str
    previous_text: str           # callbox.toml as it was, written back on a revert

    def as_json(self) -> dict[str, Any]:
        return {"previous": self.previous.as_dict(), "new": self.new.as_dict(),
                "deadline": self.deadline, "by": self.by, "previous_text": self.previous_text}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Pending":
        return cls(Listen.from_dict(data["previous"]), Listen.from_dict(data["new"]),
                   float(data["deadline"]), str(data["by"]), str(data["previous_text"]))

    def view(self) -> dict[str, Any]:
        return {"previous": self.previous.as_dict(), "new": self.new.as_dict(),
                "confirm_by": self.deadline, "by": self.by,
                "confirm_url": self.new.web_url + "/admin/system#network"}


def _save(path: Path, pending: Pending) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(pending.as_json(), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _load(path: Path) -> Pending | None:
    try:
        return Pending.from_json(json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: unreadable pending listen change ({exc}); compare "
                          "callbox.toml with callbox.toml.prev and delete the file",
                          key=str(path), expected="the JSON this daemon wrote") from None


def recover(var_dir: Path, config_path: Path | None) -> Pending | None:
    """At start, before the configuration is used: a change still pending means the
    daemon stopped inside its window, so callbox.toml gets its previous text back. The
    caller loads the file again and audits the returned change (None: nothing pending)."""
    path = var_dir / PENDING_FILE
    pending = _load(path)
    if pending is None:
        return None
    if config_path is not None:
        write_back(config_path, pending.previous_text)
    path.unlink()
    log.warning("listen change %s -> %s was pending at start: previous addresses restored "
                "(web %s, sip %s)", transition_text("pending", "restart"), "steady",
                pending.previous.web, pending.previous.sip)
    return pending


def transition_text(state: str, event: str) -> str:
    return f"{state} ({event})"


class Switch(Protocol):
    """The composition root's effects: ``refuse(to)`` raises ``ListenError`` if the box
    cannot move now (calls up); ``switch(to)`` moves the running edge and web server;
    ``settle()`` drops what was kept for the way back (the old web server)."""

    def refuse(self, to: Listen) -> None: ...

    async def switch(self, to: Listen) -> None: ...

    async def settle(self) -> None: ...


Audit = Callable[[str, str, str, dict[str, Any]], Awaitable[None]]   # action, user, role, detail
SYSTEM = ("system:listen-change", "system")           # who goes back when nobody confirms


class ListenChange:
    """The confirm-or-revert state machine of one box (one change pending at a time)."""

    def __init__(self, clock: Clock, cfg: Config, config_path: Path | None, switch: Switch,
                 audit: Audit) -> None:
        self.clock = clock
        self.cfg = cfg
        self.config_path = config_path
        self.window = cfg.web.listen_confirm_s
        self.current = Listen.from_config(cfg)
        self.state = "steady"
        self.pending: Pending | None = None
        self._path = cfg.var_dir / PENDING_FILE
        self._switch = switch
        self._audit = audit
        self._timer: TimerHandle | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def _transition(self, event: str) -> None:
        nxt = TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise IllegalTransition(f"listen change: no {event} in state {self.state}",
                                    state=self.state, event=event)
        log.info("listen change: %s -> %s (%s)", self.state, nxt, event)
        self.state = nxt

    def refusal(self) -> str | None:
        """Why no change can be made on this box at all (None: it can)."""
        if self.config_path is None:
            return ("the box runs on built-in defaults, with no callbox.toml to write: start "
                    "it with --config FILE to change its addresses here")
        return None

    async def apply(self, new: Listen, by: str, role: str) -> Pending:
        """Write the file, move the box, start the window. A switch that fails puts the
        previous file and addresses back at once and raises."""
        async with self._lock:
            why = self.refusal()
            if why is not None:
                raise ListenError(why, "web_listen", status=409)
            if self.state == "pending":
                assert self.pending is not None
                raise ListenError("a change is waiting for its confirmation from "
                                  f"{self.pending.new.web_url}; confirm or revert it first",
                                  "web_listen", status=409)
            assert self.config_path is not None
            self._switch.refuse(new)
            previous_text = self.config_path.read_text("utf-8")
            text = set_keys(previous_text, new.toml_updates())
            config_mod.from_dict(tomllib.loads(text), self.config_path.resolve().parent)
            previous = self.current
            pending = Pending(previous, new, self.clock.wall() + self.window, by, previous_text)
            _save(self._path, pending)                 # first: a crash from here goes back
            try:
                write_keeping_previous(self.config_path, text)
            except OSError as exc:
                self._path.unlink(missing_ok=True)
                raise ListenError(f"callbox.toml could not be written ({exc.strerror}); "
                                  "nothing changed", "web_listen", status=409) from None
            self._transition("apply")
            self.pending = pending
            try:
                await self._switch.switch(new)
            except Exception as exc:
                log.error("listen change failed, going back: %s", exc)
                await self._back("failed", (by, role), {"error": str(exc)})
                raise ListenError(f"the box could not serve on the new addresses ({exc}); "
                                  "the previous addresses are back", "sip_listen"
                                  if new.sip != previous.sip else "web_listen",
                                  status=409) from None
            self.current = new
            self._timer = self.clock.call_later(self.window, self._expired)
            await self._audit("system.listen_change", by, role,
                              {"from": previous.as_dict(), "to": new.as_dict(),
                               "confirm_within_s": self.window})
            return pending

    async def confirm(self, arrived_on: str, by: str, role: str) -> Listen:
        """Keep the new addresses; only a request that came in on the new web address
        (``arrived_on``, "host:port" of the server that took it) proves it is reachable."""
        async with self._lock:
            pending = self.pending
            if self.state != "pending" or pending is None:
                raise ListenError("no listen change is waiting for confirmation", "confirm",
                                  status=409)
            if arrived_on != pending.new.web:
                raise ListenError(f"confirm: this request came in on {arrived_on}; open "
                                  f"{pending.new.web_url}/admin/system and confirm there, "
                                  "which proves the new address is reachable", "confirm",
                                  status=409)
            self._cancel_timer()
            self._path.unlink(missing_ok=True)
            self._transition("confirm")
            self.pending = None
            await self._switch.settle()
            await self._audit("system.listen_confirm", by, role, {"kept": pending.new.as_dict()})
            return pending.new

    async def revert(self, by: str, role: str) -> Listen:
        """The admin's "go back now" during the window."""
        async with self._lock:
            if self.state != "pending" or self.pending is None:
                raise ListenError("no listen change is waiting for confirmation", "confirm",
                                  status=409)
            return await self._back("revert", (by, role), {})

    def _expired(self) -> None:
        self._timer = None
        self._expiry = asyncio.ensure_future(self._expire())

    async def _expire(self) -> None:
        async with self._lock:
            if self.state == "pending":
                await self._back("expire", SYSTEM, {"window_s": self.window})

    async def _back(self, event: str, by: tuple[str, str], detail: dict[str, Any]) -> Listen:
        pending = self.pending
        assert pending is not None and self.config_path is not None
        self._cancel_timer()
        write_back(self.config_path, pending.previous_text)
        try:
            await self._switch.switch(pending.previous)
        except Exception as exc:                    # noqa: BLE001 - logged and audited;
            # the previous file is in place, so the next start serves on its addresses
            log.exception("going back to the previous addresses failed")
            detail = {**detail, "switch_error": str(exc)}
        self._path.unlink(missing_ok=True)
        self._transition(event)
        self.pending = None
        self.current = pending.previous
        await self._audit("system.listen_revert", *by,
                          {"reason": event, "from": pending.new.as_dict(),
                           "to": pending.previous.as_dict(), **detail})
        return pending.previous

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def settled(self) -> None:
        """Wait for an expiry that the clock has already fired (tests, shutdown)."""
        if self._expiry is not None:
            await asyncio.shield(self._expiry)

    def close(self) -> None:
        """Stop the timer (daemon stopping). A pending change stays in its file, so the
        next start goes back."""
        self._cancel_timer()

    def view(self) -> dict[str, Any]:
        return {"state": self.state, "window_s": self.window,
                "pending": None if self.pending is None else self.pending.view()}

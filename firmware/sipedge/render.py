"""Kamailio's configuration, rendered from ``kamailio.cfg.tmpl``.

The template holds ``{{NAME}}`` placeholders (Kamailio's own syntax uses ``$``,
``@`` and ``#!``, never double braces). Every placeholder must get a value and
every value must be safe inside a double-quoted Kamailio string: no quotes,
backslashes, braces or line breaks, so a path or realm cannot inject config.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from firmware.config import Config
from firmware.errors import EdgeError
from firmware.telephony.sip import REFUSED_REASON

_PLACEHOLDER = re.compile(r"\{\{([A-Z][A-Z0-9_]*)\}\}")
_UNSAFE = re.compile(r'["\\{}\r\n\x00]')
_UNIX_PATH_MAX = 107  # sun_path is 108 bytes including the NUL


@dataclass(frozen=True)
class EdgePaths:
    """Where the edge keeps its files: the database in ``var/``, the rest in ``var/run/``."""

    db: Path
    run_dir: Path
    config: Path
    pidfile: Path
    rpc_socket: Path
    ctl_socket: Path

    @classmethod
    def from_config(cls, cfg: Config) -> "EdgePaths":
        run = cfg.run_dir
        return cls(db=cfg.var_dir / "kamailio.db", run_dir=run, config=run / "kamailio.cfg",
                   pidfile=run / "kamailio.pid", rpc_socket=run / "kamailio_rpc.sock",
                   ctl_socket=run / "kamailio_ctl")


# User-Agents of SIP scanners (lower case, a regular expression for Kamailio): a request
# carrying one bans its source. Kamailio's stock list plus the other common scanners.
SCANNER_AGENTS = ("friendly-scanner", "friendly-request", "sipvicious", "sipcli",
                  "vaxsipuseragent", "vaxipuseragent", "pplsip", "sundayddr", "iwar", "sivus",
                  "sip-scan", "smap")


@dataclass(frozen=True)
class EdgeSettings:
    """Operational knobs of the edge (defaults suit the appliance); the three flood
    limits come from ``[sip]`` in ``callbox.toml``, the rest are not configurable there.

    Flood numbers are per source address and 2-second window. Untrusted sources get
    Kamailio's stock limit (16); a trunk's source is allowed the figure one deployed
    provider uses (100 requests), with a tighter budget for new INVITE/REGISTER, so a
    flood from inside a trunk's network is stopped before it fills the media nodes.
    """

    children: int = 8                 # UDP worker processes (each may wait on a placement)
    node_timeout_ms: int = 2000       # no reply from a node within this: placed again
    flood_requests: int = 16          # requests per 2 s from one untrusted IP ...
    ban_seconds: int = 300            # ... before it is ignored for this long
    trunk_flood_requests: int = 100   # requests per 2 s from one trunk source address
    trunk_new_requests: int = 20      # new INVITE/REGISTER per 2 s from one trunk source
    auth_failures: int = 10           # failed digest checks from one source ...
    auth_window: int = 60             # ... each within this many s of the last: banned
    ping_interval: int = 30           # OPTIONS keep-alive of SIP trunks, s
    trunk_down_after: int = 3         # missed OPTIONS replies: the trunk is down
    trunk_up_after: int = 2           # good replies after that: up again
    reg_timer: int = 10               # s between checks of the trunk registrations
    reg_retry: int = 30               # s before a failed trunk registration is tried again

    @classmethod
    def from_config(cls, cfg: Config) -> "EdgeSettings":
        """The defaults with ``[sip]``'s flood limits."""
        return cls(flood_requests=cfg.sip.flood_requests,
                   trunk_flood_requests=cfg.sip.trunk_flood_requests,
                   trunk_new_requests=cfg.sip.trunk_new_requests)

    def checked(self) -> "EdgeSettings":
        """Every knob inside the range Kamailio and the issue's limits allow."""
        limits = {"children": (1, 64), "node_timeout_ms": (200, 30000),
                  "flood_requests": (2, 10000), "ban_seconds": (300, 86400),
                  "trunk_flood_requests": (2, 10000), "trunk_new_requests": (1, 10000),
                  "auth_failures": (1, 10), "auth_window": (60, 86400),
                  "ping_interval": (1, 3600), "trunk_down_after": (1, 100),
                  "trunk_up_after": (1, 100), "reg_timer": (1, 3600), "reg_retry": (1, 3600)}
        for name, (lo, hi) in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise EdgeError(f"edge setting {name} must be an integer {lo}-{hi}",
                                what="settings", key=name, value=value)
        return self


def template_text() -> str:
    return resources.files(__package__).joinpath("kamailio.cfg.tmpl").read_text("utf-8")


def _safe(name: str, value: object) -> str:
    text = str(value)
    if not text or _UNSAFE.search(text):
        raise EdgeError(f"kamailio config value {name} is empty or holds a quote, "
                        "backslash, brace or line break", what="render", key=name, value=text)
    return text


def _socket_path(name: str, path: Path) -> str:
    text = _safe(name, path)
    if len(text.encode()) > _UNIX_PATH_MAX:
        raise EdgeError(f"unix socket path for {name} is longer than {_UNIX_PATH_MAX} bytes; "
                        "use a shorter paths.var", what="render", key=name, path=text)
    return text


def values(cfg: Config, paths: EdgePaths, settings: EdgeSettings) -> dict[str, str]:
    settings = settings.checked()
    return {
        "LISTEN": _safe("LISTEN", cfg.sip.listen),
        "PORT": _safe("PORT", cfg.sip.port),
        "REALM": _safe("REALM", cfg.sip.realm),
        "DB_PATH": _safe("DB_PATH", paths.db),
        "RUN_DIR": _safe("RUN_DIR", paths.run_dir),
        "RPC_SOCKET": _socket_path("RPC_SOCKET", paths.rpc_socket),
        "CTL_SOCKET": _socket_path("CTL_SOCKET", paths.ctl_socket),
        "CHILDREN": _safe("CHILDREN", settings.children),
        "PLACER_PORT": _safe("PLACER_PORT", cfg.sip.placement_port),
        "NODE_PORT_MIN": _safe("NODE_PORT_MIN", cfg.media.sip_port_base),
        "NODE_PORT_MAX": _safe("NODE_PORT_MAX", cfg.media.sip_port_base + cfg.media.nodes_max - 1),
        "NODE_FR_MS": _safe("NODE_FR_MS", settings.node_timeout_ms),
        "FLOOD_REQS": _safe("FLOOD_REQS", settings.flood_requests),
        "BAN_SECONDS": _safe("BAN_SECONDS", settings.ban_seconds),
        "TRUNK_FLOOD_REQS": _safe("TRUNK_FLOOD_REQS", settings.trunk_flood_requests),
        "TRUNK_NEW_REQS": _safe("TRUNK_NEW_REQS", settings.trunk_new_requests),
        "AUTH_FAILURES": _safe("AUTH_FAILURES", settings.auth_failures),
        "AUTH_WINDOW": _safe("AUTH_WINDOW", settings.auth_window),
        "SCANNER_AGENTS": _safe("SCANNER_AGENTS", "|".join(SCANNER_AGENTS)),
        "PING_INTERVAL": _safe("PING_INTERVAL", settings.ping_interval),
        "TRUNK_DOWN_AFTER": _safe("TRUNK_DOWN_AFTER", settings.trunk_down_after),
        "TRUNK_UP_AFTER": _safe("TRUNK_UP_AFTER", settings.trunk_up_after),
        "REG_TIMER": _safe("REG_TIMER", settings.reg_timer),
        "REG_RETRY": _safe("REG_RETRY", settings.reg_retry),
        "REFUSED_REASON": _safe("REFUSED_REASON", REFUSED_REASON),
    }


def render(template: str, vals: dict[str, str]) -> str:
    """Fill every placeholder; an unknown or unused name is a bug in the template."""
    used: set[str] = set()

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in vals:
            raise EdgeError(f"kamailio template uses unknown placeholder {name}",
                            what="render", key=name)
        used.add(name)
        return vals[name]

    text = _PLACEHOLDER.sub(fill, template)
    unused = sorted(set(vals) - used)
    if unused:
        raise EdgeError("kamailio template does not use " + ", ".join(unused),
                        what="render", keys=unused)
    return text


def render_config(cfg: Config, paths: EdgePaths, settings: EdgeSettings) -> str:
    return render(template_text(), values(cfg, paths, settings))

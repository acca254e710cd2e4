"""callbox.toml: what the box needs before it can serve.

Everything an admin changes at run time lives in the database; this file only
holds the hardware profile, listen addresses, ports and paths. Every key has an
embedded default, so ``callbox run`` with no file starts the demo appliance.
A bad value stops start-up with ``ConfigError`` naming the key and the form
it should have ("sip.port: expected an integer 1-65535, got 'abc'").

Relative paths (``paths.var``, ``e1.sim.dchannel_socket``, ``e1.sim.timeslot_socket``)
resolve against
the directory of the file they are written in, so a box behaves the same
whatever directory the daemon was started from; with no file (the embedded
default) they resolve against the working directory. Device paths must be
absolute. A socket path must fit AF_UNIX (107 bytes), and what is already there
must be nothing or a socket: a regular file is never replaced. ``paths.var`` must
be a directory or creatable as one.
"""
from __future__ import annotations

import ipaddress
import os
import stat
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

from drivers.bus.tdm import E1_SLOTS
from drivers.card_settings import (ANALOG_SLOTS, IMPEDANCES, SIGNALLING, SIM_FXO_PORTS,
                                   SIM_FXS_PORTS, AnalogSettings, CardSettings, SpanSettings,
                                   misfit)
from drivers.analog.si3050 import COUNTRIES
from drivers.e1.cas import VOICE_TIMESLOTS
from firmware.errors import ConfigError
from firmware.telephony.r2.variants import VARIANTS as R2_VARIANTS
from firmware.timers import TIMERS

UNIX_PATH_MAX = 108          # sizeof(sockaddr_un.sun_path) on Linux, the NUL included
E1_SPANS = ("e1.span1", "e1.span2")


def _port(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 65535:
        raise ValueError("an integer 1-65535")
    return v


def _ipv4(v: Any) -> str:
    try:
        return str(ipaddress.IPv4Address(v))
    except (ipaddress.AddressValueError, ValueError, TypeError):
        raise ValueError("an IPv4 address like 127.0.0.1") from None


def _opt_ipv4(v: Any) -> str:
    return "" if v == "" else _ipv4(v)


def _opt_port(v: Any) -> int:
    if v == 0 and not isinstance(v, bool):
        return 0
    try:
        return _port(v)
    except ValueError:
        raise ValueError("a port 1-65535, or 0 for web.port") from None


def _int_range(lo: int, hi: int) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"an integer {lo}-{hi}")
        return v
    return check


def _timer(name: str) -> Callable[[Any], float]:
    """A number inside the bounds of ``TIMERS[name]`` (firmware/timers.py)."""
    spec = TIMERS.spec(name)

    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not spec.lo <= v <= spec.hi:
            raise ValueError(f"a number of seconds {spec.lo:g}-{spec.hi:g}")
        return float(v)
    return check


def _choice(*options: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if v not in options:
            raise ValueError("one of " + ", ".join(repr(o) for o in options))
        return v
    return check


def _text(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError("a non-empty string")
    return v


def _opt_text(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("a string")
    return v


def _device_list(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x.startswith("/") for x in v):
        raise ValueError('a list of device paths like ["/dev/spidev1.0", "/dev/spidev1.1"]')
    if len(v) > 8:
        raise ValueError("at most 8 device paths")
    return tuple(v)


def _device(v: Any) -> str:
    if not isinstance(v, str) or not v.startswith("/"):
        raise ValueError("an absolute device path like /dev/spidev0.0")
    return v


def _timeslots(v: Any) -> tuple[int, ...]:
    lo, hi = ANALOG_SLOTS.start, ANALOG_SLOTS.stop - 1
    if (not isinstance(v, list) or len(v) > 8
            or not all(isinstance(x, int) and not isinstance(x, bool) and lo <= x <= hi for x in v)):
        raise ValueError(f"a list of at most 8 TDM timeslots {lo}-{hi}, like [{lo}, {lo + 1}]")
    if len(set(v)) != len(v):
        raise ValueError("a list of distinct timeslots")
    return tuple(v)


def _fxs_seats(v: Any) -> tuple[str, ...]:
    """``[analog] fxs_seats``: the seat extension on each FXS port, in port order ("" none)."""
    if (not isinstance(v, list) or len(v) > 8
            or not all(isinstance(x, str) and (x == "" or (x.isdigit() and 2 <= len(x) <= 8))
                       for x in v)):
        raise ValueError('a list of seat extensions in FXS port order, "" for a port that is '
                         'no seat, like ["203", "204"]')
    taken = [x for x in v if x]
    if len(set(taken)) != len(taken):
        raise ValueError("a list naming each extension once")
    return tuple(v)


def _ts_pattern(v: Any) -> str:
    if not isinstance(v, str) or (v and "{ts}" not in v):
        raise ValueError('a socket path pattern with {ts}, like "var/run/e1-ts{ts}.sock", or ""')
    return v


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("true or false")
    return v


def _token(v: Any) -> str:
    if not isinstance(v, str) or not v or not all(c.isalnum() or c in "-_." for c in v):
        raise ValueError("a word of letters, digits, '-', '_' or '.'")
    return v


@dataclass(frozen=True)
class PathsConfig:
    var: str = "var"


@dataclass(frozen=True)
class SipConfig:
    listen: str = "127.0.0.1"
    port: int = 5060
    realm: str = "callbox"
    placement_port: int = 5059          # 127.0.0.1 only: where Kamailio asks which node
    # flood limits per source address and 2-second window (docs/reference/kamailio.md):
    # a phone or stranger, a trunk's source, and new INVITE/REGISTER from a trunk's source
    flood_requests: int = 16
    trunk_flood_requests: int = 100
    trunk_new_requests: int = 20


@dataclass(frozen=True)
class MediaConfig:
    nodes_min: int = 1
    nodes_max: int = 40                 # 2 conversations a node: 60 agents' calls and spare
    legs_per_node: int = 4
    spare_legs: int = 8                 # free legs kept ready ahead of demand
    edge_only: bool = True              # nodes drop SIP from anyone but the edge
    sip_port_base: int = 5070
    rtp_port_base: int = 40000


@dataclass(frozen=True)
class WebConfig:
    listen: str = "127.0.0.1"
    port: int = 8080
    trusted_proxy: str = ""     # the reverse proxy whose X-Forwarded-For is believed (webui/proxy.py)
    # a listen change made on the system page goes back unless confirmed within this
    listen_confirm_s: float = TIMERS["system.listen_confirm"]
    # the largest firmware bundle the system page takes (streamed to var/update/)
    firmware_upload_mib: int = 2048


@dataclass(frozen=True)
class HardwareConfig:
    """Device paths of the real board (ignored by the ``sim`` profile)."""
    profile: str = "sim"
    spi_device: str = "/dev/spidev0.0"      # the E1 framer
    i2c_bus: str = "/dev/i2c-1"             # EEPROM, temperature sensor
    spi_fxo: tuple[str, ...] = ()           # one SPI device per FXO port (Si3050)
    spi_fxs: tuple[str, ...] = ()           # one SPI device per FXS port (Si3217x)
    gpio_chip: str = "/dev/gpiochip0"       # framer IRQ, LEDs, bypass relay
    tdm: str = "/dev/callbox-tdm"           # the PCM highway as a character device
    watchdog: str = "/dev/watchdog"
    console: str = "/dev/ttyS1"

    def board_paths(self) -> dict[str, Any]:
        """Keyword arguments for ``drivers.board_profile.build``."""
        return {"spi_device": self.spi_device, "i2c_bus": self.i2c_bus,
                "spi_fxo": list(self.spi_fxo), "spi_fxs": list(self.spi_fxs),
                "gpio_chip": self.gpio_chip, "tdm": self.tdm, "watchdog": self.watchdog,
                "console": self.console}


@dataclass(frozen=True)
class TonesConfig:
    zone: str = "EU"


@dataclass(frozen=True)
class E1SimConfig:
    dchannel_socket: str = ""
    signalling: str = "pri"          # what the simulated span carries: "pri" or "mfcr2"
    r2_variant: str = "CN"           # the MFC-R2 variant when signalling = "mfcr2"
    timeslot_socket: str = ""        # "var/run/e1-ts{ts}.sock": each voice timeslot on a socket


@dataclass(frozen=True)
class E1SpanConfig:
    """``[e1.spanN]``: how span N is set up at start (used when the board has that span)."""
    signalling: str = "pri"         # "pri" (CCS, D-channel on TS16) or "r2" (CAS on TS16)
    framing: str = "crc4"           # "crc4" or "doubleframe"
    line_code: str = "hdb3"         # "hdb3" or "ami"
    clock: str = "line"             # "line" (carrier's timing) or "master"
    r2_variant: str = "CN"          # the MFC-R2 variant when signalling = "r2"

    def settings(self) -> SpanSettings:
        return SpanSettings(self.signalling, self.framing, self.line_code, self.clock)


@dataclass(frozen=True)
class AnalogConfig:
    """``[analog]``: FXO line settings and each analog port's PCM timeslot."""
    country: str = "TBR21"          # FXO DC/AC termination, ring detection and flash time
    impedance: str = "country"      # "country", "600" or "900" (ohms)
    fxo_timeslots: tuple[int, ...] = ()    # empty: 32, 33, ... in port order
    fxs_timeslots: tuple[int, ...] = ()    # empty: the next free slots after the FXO ports
    # the seat (extension) each FXS port's phone is, in port order; "": not a seat
    # (firmware/telephony/lines/fxs.py: the ACD rings the port instead of a SIP phone)
    fxs_seats: tuple[str, ...] = ()

    def fxs_seat_ports(self) -> dict[str, int]:
        """``{extension: FXS port}`` of the ports that are seats."""
        return {ext: n for n, ext in enumerate(self.fxs_seats, 1) if ext}


@dataclass(frozen=True)
class DemoConfig:
    """The demo a fresh box provisions (firmware/demo.py)."""
    seats: int = 2                      # seats 201..200+N, all in queue support


@dataclass(frozen=True)
class DiscoveryConfig:
    enabled: bool = True
    address: str = ""       # where to announce; "": web.listen (the image: the LAN address,
    web_port: int = 0       # with nginx's 443 in front of a loopback web UI); 0: web.port


_CHECKS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "paths": {"var": _text},
    "sip": {"listen": _ipv4, "port": _port, "realm": _token, "placement_port": _port,
            "flood_requests": _int_range(2, 10000), "trunk_flood_requests": _int_range(2, 10000),
            "trunk_new_requests": _int_range(1, 10000)},
    "media": {"nodes_min": _int_range(1, 64), "nodes_max": _int_range(1, 64),
              "legs_per_node": _int_range(2, 4), "spare_legs": _int_range(0, 64),
              "edge_only": _bool,
              "sip_port_base": _port, "rtp_port_base": _port},
    "web": {"listen": _ipv4, "port": _port, "trusted_proxy": _opt_ipv4,
            "listen_confirm_s": _timer("system.listen_confirm"),
            "firmware_upload_mib": _int_range(1, 65536)},
    "hardware": {"profile": _choice("sim", "real"), "spi_device": _device, "i2c_bus": _device,
                 "spi_fxo": _device_list, "spi_fxs": _device_list, "gpio_chip": _device,
                 "tdm": _device, "watchdog": _device, "console": _device},
    "tones": {"zone": _choice("CN", "EU", "UK", "US")},
    "e1.sim": {"dchannel_socket": _opt_text, "signalling": _choice("pri", "mfcr2"),
               "r2_variant": _choice(*R2_VARIANTS), "timeslot_socket": _ts_pattern},
    **{name: {"signalling": _choice(*SIGNALLING), "framing": _choice("crc4", "doubleframe"),
              "line_code": _choice("hdb3", "ami"), "clock": _choice("line", "master"),
              "r2_variant": _choice(*R2_VARIANTS)}
       for name in E1_SPANS},
    "analog": {"country": _choice(*COUNTRIES), "impedance": _choice("country", *IMPEDANCES),
               "fxo_timeslots": _timeslots, "fxs_timeslots": _timeslots,
               "fxs_seats": _fxs_seats},
    "discovery": {"enabled": _bool, "address": _opt_ipv4, "web_port": _opt_port},
    "demo": {"seats": _int_range(1, 200)},
}


@dataclass(frozen=True)
class Config:
    paths: PathsConfig = field(default_factory=PathsConfig)
    sip: SipConfig = field(default_factory=SipConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    web: WebConfig = field(default_factory=WebConfig)
    hardware: HardwareConfig = field(default_factory=HardwareConfig)
    tones: TonesConfig = field(default_factory=TonesConfig)
    e1_sim: E1SimConfig = field(default_factory=E1SimConfig)
    e1_span1: E1SpanConfig = field(default_factory=E1SpanConfig)
    e1_span2: E1SpanConfig = field(default_factory=E1SpanConfig)
    analog: AnalogConfig = field(default_factory=AnalogConfig)
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    base_dir: Path = Path(".")

    def resolve(self, path: str) -> Path:
        """A path from this config: relative ones are taken from the config file's directory."""
        p = Path(path)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def var_dir(self) -> Path:
        return self.resolve(self.paths.var)

    @property
    def timeslot_socket_pattern(self) -> str | None:
        """``[e1.sim] timeslot_socket`` resolved (``{ts}`` kept), or None when not set."""
        pattern = self.e1_sim.timeslot_socket
        return str(self.resolve(pattern)) if pattern else None

    @property
    def dchannel_socket(self) -> Path | None:
        """``[e1.sim] dchannel_socket`` resolved, or None when not set."""
        sock = self.e1_sim.dchannel_socket
        return self.resolve(sock) if sock else None

    def span_config(self, n: int) -> E1SpanConfig:
        """``[e1.spanN]`` (span 1 or 2)."""
        return self.e1_span1 if n == 1 else self.e1_span2

    def card_settings(self) -> CardSettings:
        """What ``drivers.card.Card`` applies to the spans and ports at start."""
        a = self.analog
        return CardSettings(spans=(self.e1_span1.settings(), self.e1_span2.settings()),
                            analog=AnalogSettings(a.country, a.impedance, self.tones.zone,
                                                  a.fxo_timeslots, a.fxs_timeslots))

    def board_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``drivers.board_profile.build(profile, clock, **kwargs)``."""
        kw: dict[str, Any] = {**self.hardware.board_paths(), "zone": self.tones.zone,
                                 "fxo_country": self.analog.country}
        if self.hardware.profile == "sim":
            sock = self.dchannel_socket
            kw["dchannel_socket"] = str(sock) if sock is not None else None
            kw["e1_signalling"] = SIGNALLING[self.e1_span1.signalling]
        return kw

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def db_path(self) -> Path:
        return self.var_dir / "callbox.db"

    @property
    def recordings_dir(self) -> Path:
        return self.var_dir / "recordings"

    @property
    def prompts_dir(self) -> Path:
        return self.var_dir / "prompts"


_SECTIONS = {"paths": "paths", "sip": "sip", "media": "media", "web": "web",
             "hardware": "hardware", "tones": "tones", "e1.sim": "e1_sim",
             "e1.span1": "e1_span1", "e1.span2": "e1_span2", "analog": "analog",
             "discovery": "discovery", "demo": "demo"}


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Turn ``{"e1": {"sim": {...}}}`` into section names like ``e1.sim``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        nests = any(section.startswith(name + ".") for section in _SECTIONS)
        if isinstance(value, dict) and name not in _SECTIONS and nests:
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def from_dict(data: dict[str, Any], base_dir: Path = Path(".")) -> Config:
    cfg = Config(base_dir=base_dir)
    for section, values in _flatten(data).items():
        if section not in _SECTIONS:
            raise ConfigError(f"unknown section [{section}]", key=section,
                              expected="one of " + ", ".join(sorted(_SECTIONS)))
        if not isinstance(values, dict):
            raise ConfigError(f"{section}: expected a table", key=section, expected="a [table]")
        attr = _SECTIONS[section]
        current = getattr(cfg, attr)
        known = {f.name for f in fields(current)}
        updates: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"unknown key {section}.{key}", key=f"{section}.{key}",
                                  expected="one of " + ", ".join(sorted(known)))
            try:
                updates[key] = _CHECKS[section][key](value)
            except ValueError as exc:
                raise ConfigError(f"{section}.{key}: expected {exc}, got {value!r}",
                                  key=f"{section}.{key}", expected=str(exc)) from None
        cfg = replace(cfg, **{attr: replace(current, **updates)})
    if cfg.media.nodes_min > cfg.media.nodes_max:
        raise ConfigError("media.nodes_min: expected at most media.nodes_max",
                          key="media.nodes_min", expected=f"<= {cfg.media.nodes_max}")
    _check_var(cfg)
    _check_hardware(cfg)
    _check_e1_sim(cfg)
    return cfg


def _check_hardware(cfg: Config) -> None:
    """Checks that span several keys: timeslots across port kinds, one per port (the real
    board's ports are its SPI devices, the simulator has 2 FXO + 2 FXS) and inside the
    card's TDM frame (32 E1 slots + one per analog port), the socket path."""
    a, hw = cfg.analog, cfg.hardware
    both = set(a.fxo_timeslots) & set(a.fxs_timeslots)
    if both:
        ts = min(both)
        raise ConfigError(f"analog.fxs_timeslots: timeslot {ts} is also an FXO port's",
                          key="analog.fxs_timeslots", expected="timeslots no other port uses")
    if hw.profile == "real":
        ports = {"fxo": len(hw.spi_fxo), "fxs": len(hw.spi_fxs)}
        counted = "hardware.spi_{kind}"
    else:
        ports = {"fxo": SIM_FXO_PORTS, "fxs": SIM_FXS_PORTS}
        counted = "the simulated card"
    if len(a.fxs_seats) > ports["fxs"]:
        where = counted.format(kind="fxs")
        raise ConfigError(f"analog.fxs_seats: {len(a.fxs_seats)} seats for {ports['fxs']} FXS "
                          f"ports ({where})", key="analog.fxs_seats",
                          expected="at most one seat per FXS port")
    wrong = misfit(cfg.card_settings().analog, ports["fxo"], ports["fxs"],
                   E1_SLOTS + ports["fxo"] + ports["fxs"])
    if wrong is not None:
        key, text = wrong
        kind = key.split(".")[1][:3]
        raise ConfigError(f"{key}: {text} ({counted.format(kind=kind)})", key=key,
                          expected=f"one timeslot per {kind.upper()} port, inside the TDM frame")
    sock = cfg.dchannel_socket
    if sock is not None:
        _check_socket_path("e1.sim.dchannel_socket", sock)


def _blocking_ancestor(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` if it is not a directory (a file where
    a directory must be created), else None."""
    for parent in path.parents:
        try:
            mode = parent.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            return None              # unreadable: the daemon reports it when it creates it
        return None if stat.S_ISDIR(mode) else parent
    return None


def _check_socket_path(key: str, sock: Path) -> None:
    """A path where a Unix socket will be bound: short enough for AF_UNIX, inside a
    directory (or one that can be made), and free or a socket (a stale one is replaced;
    whether someone still listens is checked when the socket is bound, not here, so a
    running daemon does not make ``callbox check-config`` fail)."""
    size = len(os.fsencode(str(sock)))
    if size + 1 > UNIX_PATH_MAX:
        raise ConfigError(f"{key}: {sock} is {size} bytes, too long for a "
                          f"Unix socket (at most {UNIX_PATH_MAX - 1})", key=key,
                          expected=f"a path of at most {UNIX_PATH_MAX - 1} bytes")
    blocker = _blocking_ancestor(sock)
    if blocker is not None:
        raise ConfigError(f"{key}: {blocker} is a file, not a directory, so {sock} cannot "
                          "be created", key=key, expected="a path inside a directory")
    try:
        mode = sock.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigError(f"{key}: cannot inspect {sock}: {exc.strerror}", key=key,
                          expected="a path where a Unix socket can be created") from None
    if not stat.S_ISSOCK(mode):
        raise ConfigError(f"{key}: {sock} exists and is not a socket; it will not be replaced",
                          key=key, expected="a free path or a stale socket")


def _check_var(cfg: Config) -> None:
    """``paths.var`` must be a directory or creatable as one."""
    var = cfg.var_dir
    if var.exists() and not var.is_dir():
        raise ConfigError(f"paths.var: {var} exists and is not a directory", key="paths.var",
                          expected="a directory for the database, recordings and logs")
    blocker = _blocking_ancestor(var)
    if blocker is not None:
        raise ConfigError(f"paths.var: {blocker} is a file, not a directory, so {var} cannot "
                          "be created", key="paths.var", expected="a path inside a directory")


def _check_e1_sim(cfg: Config) -> None:
    """The [e1.sim] MFC-R2 keys that only make sense together, and the socket paths."""
    sim = cfg.e1_sim
    if sim.signalling == "pri" and sim.timeslot_socket:
        raise ConfigError('e1.sim.timeslot_socket: timeslot sockets carry MFC-R2 (CAS + voice); '
                          'set e1.sim.signalling = "mfcr2" or leave the pattern empty',
                          key="e1.sim.timeslot_socket", expected='"" with signalling = "pri"')
    if sim.signalling == "mfcr2" and sim.dchannel_socket:
        raise ConfigError("e1.sim.dchannel_socket: an MFC-R2 span has no D-channel (TS16 carries "
                          "CAS)", key="e1.sim.dchannel_socket",
                          expected='"" with signalling = "mfcr2"')
    pattern = cfg.timeslot_socket_pattern
    if pattern is None:
        return
    for ts in VOICE_TIMESLOTS:
        _check_socket_path("e1.sim.timeslot_socket", Path(pattern.replace("{ts}", str(ts))))


def load(path: Path | None) -> Config:
    """Read ``path`` (or only the embedded defaults when ``None``)."""
    if path is None:
        return from_dict({}, Path.cwd())
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", key=str(path),
                          expected="a readable TOML file") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", key=str(path),
                          expected="TOML") from None
    return from_dict(data, path.resolve().parent)

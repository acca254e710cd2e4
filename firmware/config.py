"""callbox.toml: what the box needs before it can serve.

Everything an admin changes at run time lives in the database; this file only
holds the hardware profile, listen addresses, ports and paths. Every key has an
embedded default, so ``callbox run`` with no file starts the demo appliance.
A bad value stops start-up with ``ConfigError`` naming the key and the form
it should have ("sip.port: expected an integer 1-65535, got 'abc'").
"""
from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

from firmware.errors import ConfigError


def _port(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 65535:
        raise ValueError("an integer 1-65535")
    return v


def _ipv4(v: Any) -> str:
    try:
        return str(ipaddress.IPv4Address(v))
    except (ipaddress.AddressValueError, ValueError, TypeError):
        raise ValueError("an IPv4 address like 127.0.0.1") from None


def _int_range(lo: int, hi: int) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"an integer {lo}-{hi}")
        return v
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
    if not isinstance(v, list) or not all(isinstance(x, str) and x.startswith("/dev/") for x in v):
        raise ValueError('a list of device paths like ["/dev/spidev1.0", "/dev/spidev1.1"]')
    if len(v) > 8:
        raise ValueError("at most 8 device paths")
    return tuple(v)


def _device(v: Any) -> str:
    if not isinstance(v, str) or not v.startswith("/dev/"):
        raise ValueError("a device path under /dev/")
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


@dataclass(frozen=True)
class MediaConfig:
    nodes_min: int = 1
    nodes_max: int = 40                 # 2 conversations a node: 60 agents' calls and spare
    legs_per_node: int = 4
    spare_legs: int = 8                 # free legs kept ready ahead of demand
    sip_port_base: int = 5070
    rtp_port_base: int = 40000


@dataclass(frozen=True)
class WebConfig:
    listen: str = "127.0.0.1"
    port: int = 8080


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


@dataclass(frozen=True)
class DiscoveryConfig:
    enabled: bool = True


_CHECKS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "paths": {"var": _text},
    "sip": {"listen": _ipv4, "port": _port, "realm": _token, "placement_port": _port},
    "media": {"nodes_min": _int_range(1, 64), "nodes_max": _int_range(1, 64),
              "legs_per_node": _int_range(2, 4), "spare_legs": _int_range(0, 64),
              "sip_port_base": _port, "rtp_port_base": _port},
    "web": {"listen": _ipv4, "port": _port},
    "hardware": {"profile": _choice("sim", "real"), "spi_device": _device, "i2c_bus": _device,
                 "spi_fxo": _device_list, "spi_fxs": _device_list, "gpio_chip": _device,
                 "tdm": _device, "watchdog": _device, "console": _device},
    "tones": {"zone": _choice("CN", "EU", "UK", "US")},
    "e1.sim": {"dchannel_socket": _opt_text},
    "discovery": {"enabled": _bool},
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
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)
    base_dir: Path = Path(".")

    @property
    def var_dir(self) -> Path:
        p = Path(self.paths.var)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

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
             "discovery": "discovery"}


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
    return cfg


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

"""The image's systemd units read as values, for the checks that depend on them.

The daemon's watchdog bound (how long after the daemon hangs systemd starts a new
one) follows from its unit, so the qemu harness and the tests read it from the
file the image ships instead of repeating the numbers.
"""
from __future__ import annotations

from pathlib import Path

from firmware.errors import ConfigError

UNITS = Path(__file__).resolve().parent / "rootfs/etc/systemd/system"
DAEMON = UNITS / "callbox.service"

Unit = dict[str, dict[str, list[str]]]


def parse(text: str) -> Unit:
    """``{section: {key: [values in order]}}``; a key may repeat (ExecStart= resets)."""
    unit: Unit = {}
    section: dict[str, list[str]] | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = unit.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        if section is None or not sep:
            raise ConfigError("unit line is neither a [section] nor key=value inside one",
                              key=f"line {n}", expected="[Section] or Key=value", got=raw)
        section.setdefault(key.strip(), []).append(value.strip())
    return unit


def read(path: Path = DAEMON) -> Unit:
    return parse(path.read_text())


def setting(unit: Unit, section: str, key: str) -> str:
    """The effective (last) value of *key*; ConfigError naming it when absent."""
    values = unit.get(section, {}).get(key)
    if not values:
        raise ConfigError("unit setting is not set", key=f"[{section}] {key}",
                          expected="a value")
    return values[-1]


def seconds(value: str) -> float:
    """A systemd time span of plain seconds, or with s/ms/min units ("15", "500ms", "2min")."""
    v = value.strip()
    scale = 1.0
    for suffix, factor in (("ms", 0.001), ("min", 60.0), ("s", 1.0)):
        if v.endswith(suffix):
            v, scale = v[: -len(suffix)].strip(), factor
            break
    try:
        return float(v) * scale
    except ValueError:
        raise ConfigError("not a time span this reader knows", key="time span",
                          expected="N, Nms, Ns or Nmin", got=value) from None


def watchdog_bound_s(unit: Unit) -> float:
    """Seconds from a hang to systemd starting the next daemon: WatchdogSec + RestartSec.

    The bound holds only when the watchdog's signal kills at once (SIGKILL): the
    default SIGABRT is not acted on by a stopped process and adds TimeoutAbortSec.
    """
    if setting(unit, "Service", "WatchdogSignal") not in ("SIGKILL", "KILL", "9"):
        raise ConfigError("a hung daemon would wait TimeoutAbortSec more before it is "
                          "killed", key="[Service] WatchdogSignal", expected="SIGKILL",
                          got=setting(unit, "Service", "WatchdogSignal"))
    return (seconds(setting(unit, "Service", "WatchdogSec"))
            + seconds(setting(unit, "Service", "RestartSec")))

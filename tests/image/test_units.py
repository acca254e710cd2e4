"""The image's systemd units: systemd's own parser accepts them, the watchdog bound holds."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from firmware import sdnotify
from firmware.errors import ConfigError
from image import units


def test_systemd_parses_every_unit_of_the_image(tmp_path: Path) -> None:
    """systemd-analyze (systemd 252, Debian 12's) reports unknown keys and bad values;
    the only complaints allowed are the image's programs missing on this host."""
    for f in units.UNITS.glob("*.service"):
        shutil.copyfile(f, tmp_path / f.name)
    names = sorted(str(p) for p in tmp_path.glob("*.service"))
    assert len(names) >= 4
    proc = subprocess.run(["systemd-analyze", "verify", *names], capture_output=True, text=True)
    complaints = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()
                  and "is not executable: No such file or directory" not in line]
    assert complaints == []


def test_daemon_unit_kills_a_hung_daemon_at_once() -> None:
    unit = units.read()
    svc = unit["Service"]
    assert svc["Type"] == ["notify"] and svc["NotifyAccess"] == ["main"]
    assert svc["Restart"] == ["always"]
    # SIGKILL: the default SIGABRT is not acted on by a stopped (SIGSTOP) or hung
    # process, so systemd would wait TimeoutAbortSec before killing it and the restart
    # would come after WatchdogSec + TimeoutAbortSec + RestartSec (22.9 s in qemu)
    assert units.setting(unit, "Service", "WatchdogSignal") == "SIGKILL"
    assert units.watchdog_bound_s(unit) == 15 + 2


def test_pings_are_twice_per_watchdog_period() -> None:
    """The daemon pings every WatchdogSec/2, so a hang leaves systemd between half and
    all of WatchdogSec before its timer fires: the bound counts the whole period."""
    wd = units.seconds(units.setting(units.read(), "Service", "WatchdogSec"))
    n = sdnotify.Notifier({"NOTIFY_SOCKET": "/run/systemd/notify",
                           "WATCHDOG_USEC": str(int(wd * 1e6))})
    assert n.ping_interval == wd / 2


def test_the_bound_refuses_the_abort_signal() -> None:
    unit = units.parse("[Service]\nWatchdogSec=15\nRestartSec=2\nWatchdogSignal=SIGABRT\n")
    with pytest.raises(ConfigError, match="WatchdogSignal.*SIGKILL.*SIGABRT"):
        units.watchdog_bound_s(unit)
    with pytest.raises(ConfigError, match=r"\[Service\] WatchdogSignal"):
        units.watchdog_bound_s(units.parse("[Service]\nWatchdogSec=15\nRestartSec=2\n"))


def test_unit_reader_keeps_repeated_keys_and_time_spans() -> None:
    unit = units.parse("# c\n[Service]\nExecStart=\nExecStart=/bin/false\nRestartSec=500ms\n")
    assert unit["Service"]["ExecStart"] == ["", "/bin/false"]
    assert units.setting(unit, "Service", "ExecStart") == "/bin/false"
    assert units.seconds("500ms") == 0.5 and units.seconds("2min") == 120
    assert units.seconds("15s") == 15 and units.seconds("15") == 15
    with pytest.raises(ConfigError, match="time span"):
        units.seconds("soon")
    with pytest.raises(ConfigError, match="line 1"):
        units.parse("WatchdogSec=15\n")

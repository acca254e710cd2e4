"""What ``make image-test`` reads from the guest, and the verdict it draws from it.

Pure: the harness (image/qemu_test.py) feeds it the serial console's bytes and the
results of its own probes over the forwarded HTTPS port, so the decisions -- which
slot booted when, whether the watchdog kept its bound, whether the box rolled back
-- are tested without qemu (tests/image/test_console.py).

A verdict never rests on one line the guest printed just before it went away: the
serial log is read to its last byte once qemu has exited (the unfinished last line
too), the guest waits for the host to power it off, and the rollback is decided
from GRUB's own boot lines and a health probe the host made itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
BOOT = re.compile(r"callbox: booting slot ([AB])")
RAUC = re.compile(r"CBTEST rauc phase=(\d+) booted=(\S+)")
WATCHDOG = re.compile(r"CBTEST watchdog stop=([0-9.]+) fired=([0-9.]*) restart=([0-9.]*) "
                      r"newpid=([0-9.]*)")
#: seconds: systemd's timers (watchdog, RestartSec) fire up to 250 ms late each
TIMER_SLACK_S = 0.5


def interesting(line: str) -> bool:
    """Lines the harness keeps: GRUB's slot choice and boot steps, the guest script's,
    the deadline's."""
    return ("callbox: booting slot" in line or "callbox: slot " in line
            or line.startswith("CBTEST")
            or "callbox-boot-deadline" in line or "watchdog" in line.lower())


class Console:
    """Lines of the serial log as its bytes arrive.

    Splits on "\\n" only: GRUB writes lone "\\r"s, which ``splitlines()`` would take
    for ends of lines that never get their "\\n". ``flush`` hands over the unfinished
    last line once no more bytes can come (qemu has exited).
    """

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[str]:
        *complete, self._rest = (self._rest + data).split(b"\n")
        return [self._clean(raw) for raw in complete]

    def flush(self) -> list[str]:
        rest, self._rest = self._rest, b""
        line = self._clean(rest)
        return [line] if line else []

    @staticmethod
    def _clean(raw: bytes) -> str:
        return ANSI.sub("", raw.decode(errors="replace")).replace("\r", "").strip()


@dataclass
class Run:
    """The events of one image-test run: (seconds since qemu started, line)."""

    events: list[tuple[float, str]] = field(default_factory=list)
    #: host probes of /api/health over the forwarded port: (when, phase, status or None)
    probes: list[tuple[float, str, str | None]] = field(default_factory=list)

    def add(self, t: float, line: str) -> bool:
        """Keep *line* if it matters; a CBTEST line that kernel or daemon output (the
        same serial port) ran into is kept from its marker on."""
        at = line.find("CBTEST ")
        if at > 0:
            line = line[at:]
        if interesting(line):
            self.events.append((t, line))
            return True
        return False

    def first(self, prefix: str) -> float | None:
        return next((t for t, e in self.events if e.startswith(prefix)), None)

    def has(self, prefix: str) -> bool:
        return self.first(prefix) is not None

    def boots(self) -> list[tuple[float, str]]:
        """GRUB's slot choices in order, with their times."""
        return [(t, m.group(1)) for t, e in self.events if (m := BOOT.search(e))]

    def rauc_booted(self, phase: str) -> str | None:
        """The slot ``rauc status`` called booted in the guest's line for *phase*."""
        for _, e in self.events:
            m = RAUC.match(e)
            if m and m.group(1) == phase:
                return m.group(2)
        return None

    def watchdog(self) -> dict[str, float]:
        """Seconds from the SIGSTOP to systemd's watchdog firing, to its restart of the
        service (the journal's "Scheduled restart job"), and to the new daemon's PID."""
        for _, e in self.events:
            m = WATCHDOG.search(e)
            if m:
                stop = float(m.group(1))
                return {name: round(float(v) - stop, 1)
                        for name, v in zip(("fired_after_s", "restart_after_s",
                                            "new_pid_after_s"), m.groups()[1:]) if v}
        return {}

    def after_bad_install(self) -> list[tuple[float, str]]:
        """GRUB's boots after the bad bundle was installed."""
        t = self.first("CBTEST update-bad rc=0")
        return [] if t is None else [(tb, s) for tb, s in self.boots() if tb > t]

    def bad_slot_boots(self) -> int:
        """Boots of slot A after the bad install, before another slot booted."""
        n = 0
        for _, s in self.after_bad_install():
            if s != "A":
                break
            n += 1
        return n

    def rolled_back(self) -> tuple[bool, str]:
        """True when the bad slot was tried 1-3 times, GRUB then booted B, and B was
        proven healthy after that boot by the host's own probe and by RAUC in the
        guest; else why not."""
        boots = self.after_bad_install()
        if not boots:
            return False, "no boot after the bad install"
        tried = [s for _, s in boots[:-1]]
        if not tried or set(tried) != {"A"} or len(tried) > 3:
            return False, f"boots after the bad install: {[s for _, s in boots]}"
        t_last, last = boots[-1]
        if last != "B":
            return False, f"the last boot is slot {last}"
        ok = [t for t, phase, status in self.probes if t > t_last and status == "ok"]
        if not ok:
            return False, "no healthy probe over HTTPS after the fallback boot"
        booted = self.rauc_booted("3")
        if booted != "B":
            return False, f"RAUC in the guest reports booted slot {booted}"
        return True, f"A tried {len(tried)} times, then B booted and is healthy"

    def checks(self, watchdog_bound_s: float, boot_only: bool) -> dict[str, bool]:
        checks = {"healthy over https": any(p == "1" and s == "ok" for _, p, s in self.probes)}
        if boot_only:
            return checks
        wd = self.watchdog()
        checks.update({
            "selftest passed": self.has("CBTEST selftest rc=0"),
            "watchdog restarted the stopped daemon": "new_pid_after_s" in wd,
            f"restart within WatchdogSec + RestartSec ({watchdog_bound_s:g} s)":
                "restart_after_s" in wd
                and wd["restart_after_s"] <= watchdog_bound_s + TIMER_SLACK_S,
            "good update installed": self.has("CBTEST update-good rc=0"),
            "good update booted healthy on B": self.has("CBTEST healthy slot=B phase=2"),
            "bad update installed": self.has("CBTEST update-bad rc=0"),
            "bad slot tried 1 to 3 times": 1 <= self.bad_slot_boots() <= 3,
            "rolled back to B": self.rolled_back()[0],
        })
        return checks

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {"boots": [s for _, s in self.boots()]}
        boots = self.boots()
        healthy = self.first("CBTEST healthy")
        if boots and healthy is not None:
            out["boot_to_healthy_s"] = round(healthy - boots[0][0], 1)
        out["watchdog"] = self.watchdog()
        out["bad_slot_boots"] = self.bad_slot_boots()
        out["rolled_back"] = self.rolled_back()[1]
        out["probes"] = [(round(t, 1), p, s) for t, p, s in self.probes]
        out["events"] = [(round(t, 1), e) for t, e in self.events]
        return out

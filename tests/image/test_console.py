"""image-test's reading of the guest's serial console and its verdict, without qemu.

The transcript below is the shape of a real run's serial log (GRUB's slot lines,
the guest script's CBTEST lines, console noise around them); the cases change the
part of it that each decision rests on.
"""
from __future__ import annotations

import pytest

from image import console

RAUC_B = "booted=B primary=rootfs.1"
RAUC_A = "booted=A primary=rootfs.0"


def transcript(*, rolled_back_line: bool = True, bad_tries: int = 3,
               fallback: str = "B", rauc3: str = RAUC_B,
               watchdog: str = "CBTEST watchdog stop=200.0 fired=213.1 restart=215.1 "
                               "newpid=216.0") -> list[tuple[float, str]]:
    """(time since qemu started, line) of a whole run."""
    t = 0.0
    out: list[tuple[float, str]] = []

    def at(dt: float, line: str) -> None:
        nonlocal t
        t += dt
        out.append((t, line))

    at(14, "callbox: booting slot A")
    at(1, "[    0.000000] Linux version 6.1.0-28-amd64")
    at(200, "CBTEST healthy slot=A phase=1 uptime=178.2")
    at(1, f"CBTEST rauc phase=1 {RAUC_A}")
    at(30, "CBTEST selftest rc=0 PASS")
    at(1, "CBTEST sigstop pid=812 uptime=200.0")
    at(16, "CBTEST restarted pid=1290 after=16.3 s")
    at(1, watchdog)
    at(40, "CBTEST update-good rc=0 took=58.1 s")
    at(90, "callbox: booting slot B")
    at(130, "CBTEST healthy slot=B phase=2 uptime=113.0")
    at(1, f"CBTEST rauc phase=2 {RAUC_B}")
    at(44, "CBTEST update-bad rc=0")
    for _ in range(bad_tries):
        at(60, "callbox: booting slot A")
        at(110, "callbox-boot-deadline: slot not marked good after 200 s; rebooting")
    at(60, f"callbox: booting slot {fallback}")
    at(54, f"CBTEST healthy slot={fallback} phase=3 uptime=53.5")
    at(1, f"CBTEST rauc phase=3 {rauc3}")
    if rolled_back_line:
        at(1, f"CBTEST rolled-back slot={fallback}")
    return out


def run_of(lines: list[tuple[float, str]], probe3: str | None = "ok",
           probe3_at: float | None = None) -> console.Run:
    run = console.Run()
    for t, line in lines:
        run.add(t, line)
    run.probes.append((run.first("CBTEST healthy slot=A") or 0.0, "1", "ok"))
    last = lines[-1][0]
    run.probes.append((last + 5 if probe3_at is None else probe3_at, "3", probe3))
    return run


def test_console_splits_on_newline_only_and_keeps_the_unfinished_line() -> None:
    c = console.Console()
    assert c.feed(b"\x1b[0mcallbox: booting slot A\r\n\rGRUB  ") == ["callbox: booting slot A"]
    assert c.feed(b"loading\rkernel\nCBTEST rolled-") == ["GRUB  loadingkernel"]
    assert c.feed(b"back slot=B") == []
    assert c.flush() == ["CBTEST rolled-back slot=B"]      # the line cut by power-off
    assert c.flush() == []


def test_a_marker_run_into_by_other_output_is_kept_from_the_marker() -> None:
    run = console.Run()
    assert run.add(1.0, "[  212.1] callbox[812]: INFO healthyCBTEST update-bad rc=0")
    assert not run.add(2.0, "[  212.5] systemd[1]: Started nginx.service")
    assert run.events == [(1.0, "CBTEST update-bad rc=0")]


def test_grubs_boot_steps_are_kept_so_a_hang_shows_its_step() -> None:
    run = console.Run()
    assert run.add(1.0, "callbox: slot B: loading the kernel")
    assert run.add(2.0, "    Booting `Callbox slot B'callbox: slot B: starting the kernel")
    assert not run.add(3.0, "Booting `Callbox slot B'")
    assert [e for _, e in run.events] == [
        "callbox: slot B: loading the kernel",
        "    Booting `Callbox slot B'callbox: slot B: starting the kernel"]


def test_console_gives_the_same_lines_whatever_the_chunks() -> None:
    data = "\n".join(line for _, line in transcript()).encode() + b"\n"
    whole = console.Console().feed(data)
    c = console.Console()
    pieces: list[str] = []
    for i in range(0, len(data), 7):
        pieces += c.feed(data[i:i + 7])
    assert pieces == whole and c.flush() == []
    assert len(whole) == len(transcript())


def test_a_whole_run_passes_every_check() -> None:
    run = run_of(transcript())
    checks = run.checks(17.0, boot_only=False)
    assert checks == {name: True for name in checks} and len(checks) == 9
    assert run.rolled_back() == (True, "A tried 3 times, then B booted and is healthy")
    figures = run.figures()
    assert figures["boots"] == ["A", "B", "A", "A", "A", "B"]
    assert figures["bad_slot_boots"] == 3
    assert figures["boot_to_healthy_s"] == 201.0
    assert figures["watchdog"] == {"fired_after_s": 13.1, "restart_after_s": 15.1,
                                   "new_pid_after_s": 16.0}


def test_rollback_needs_no_last_line_from_the_guest() -> None:
    """The guest's last line lost at power-off: GRUB's lines, the host's probe and
    RAUC's booted slot decide."""
    run = run_of(transcript(rolled_back_line=False))
    assert run.rolled_back()[0]


@pytest.mark.parametrize("change, why", [
    ({"bad_tries": 4}, "boots after the bad install: ['A', 'A', 'A', 'A', 'B']"),
    ({"bad_tries": 0}, "boots after the bad install: ['B']"),
    ({"fallback": "A"}, "the last boot is slot A"),
    ({"rauc3": RAUC_A}, "RAUC in the guest reports booted slot A"),
    ({"rauc3": "booted=unknown primary=unknown (Expecting value: line 1 column 1 (char 0))"},
     "RAUC in the guest reports booted slot unknown"),
    ({"rauc3": ""}, "RAUC in the guest reports booted slot None"),
])
def test_rollback_refused(change: dict[str, object], why: str) -> None:
    run = run_of(transcript(**change))  # type: ignore[arg-type]
    assert run.rolled_back() == (False, why)
    assert not run.checks(17.0, boot_only=False)["rolled back to B"]


@pytest.mark.parametrize("probe3, probe3_at", [(None, None), ("media_nodes is down", None),
                                               ("ok", 100.0)])
def test_rollback_needs_a_healthy_probe_after_the_fallback_boot(
        probe3: str | None, probe3_at: float | None) -> None:
    run = run_of(transcript(), probe3=probe3, probe3_at=probe3_at)
    assert run.rolled_back() == (False, "no healthy probe over HTTPS after the fallback boot")


def test_watchdog_bound_is_checked_from_systemds_own_times() -> None:
    late = "CBTEST watchdog stop=200.0 fired=222.0 restart=225.0 newpid=226.0"
    run = run_of(transcript(watchdog=late))
    assert run.watchdog()["restart_after_s"] == 25.0
    checks = run.checks(17.0, boot_only=False)
    assert not checks["restart within WatchdogSec + RestartSec (17 s)"]
    assert checks["watchdog restarted the stopped daemon"]
    # no journal times (the guest found no "Scheduled restart job"): not proven
    run = run_of(transcript(watchdog="CBTEST watchdog stop=200.0 fired= restart= newpid=216.0"))
    assert run.watchdog() == {"new_pid_after_s": 16.0}
    assert not run.checks(17.0, boot_only=False)["restart within WatchdogSec + RestartSec (17 s)"]


def test_boot_only_checks_health_alone() -> None:
    run = run_of(transcript()[:4])
    assert run.checks(17.0, boot_only=True) == {"healthy over https": True}

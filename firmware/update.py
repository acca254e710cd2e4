"""Updates: a signed RAUC bundle into the inactive root slot.

RAUC does the work that must be right -- CMS signature against the keyring,
dm-verity over the payload while it is written, writing the inactive slot and
flipping GRUB's ORDER only after the slot is complete. This module adds what RAUC
leaves to the integrator, before RAUC is asked to install anything:

* ``compatible`` must equal this system's (RAUC checks it too, at install);
* the bundle's version must not be older than the running slot's (no downgrades;
  RAUC 1.8 has no version policy of its own);
* a clear error naming the reason for every refusal.

Used by ``callbox update FILE`` and by the web UI's upload (``firmware/update_job.py``
runs the same ``check`` and ``install`` as a background job and shows each step).
After the reboot GRUB boots the new slot on trial; the daemon marks it good once
healthy (firmware/slot.py), else GRUB falls back after 3 tries.
"""
from __future__ import annotations

import configparser
import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from firmware.errors import UpdateError

SYSTEM_CONF = Path("/etc/rauc/system.conf")
KEYRING = Path("/etc/rauc/keyring.pem")
VERSION_FILE = Path("/etc/callbox/image-version")

Progress = Callable[[int, str], None]          # (percent, what RAUC is doing)
Step = Callable[[str], None]                   # a check passed: "signature", "compatible", ...
Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]

_PROGRESS = re.compile(r"^\s*(\d{1,3})%\s+(.*\S)\s*$")
_SLOT = re.compile(r"^(?:Checking slot|Copying image to|Updating slot)\s+(\S+?)(?:\s+done\.?)?$")


def parse_version(text: str) -> tuple[int, ...]:
    """'0.1.0.1796452555' -> (0, 1, 0, 1796452555); anything else is refused."""
    parts = text.strip().split(".")
    if not text.strip() or not all(p.isdigit() for p in parts):
        raise UpdateError(f"version {text.strip()!r} is not dotted numbers", reason="version")
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class BundleInfo:
    compatible: str
    version: str

    @classmethod
    def parse(cls, info_json: str) -> "BundleInfo":
        """From ``rauc info --output-format=json``."""
        try:
            data = json.loads(info_json)
            return cls(str(data["compatible"]), str(data["version"]))
        except (ValueError, KeyError, TypeError):
            raise UpdateError("rauc info gave no compatible/version", reason="info") from None


def progress_of(line: str) -> tuple[int, str] | None:
    """``rauc install``'s progress lines ("  40% Copying image to rootfs.1") as (40, text)."""
    m = _PROGRESS.match(line)
    return (int(m.group(1)), m.group(2)) if m else None


def slot_of(text: str) -> str | None:
    """The slot a progress step names ("Copying image to rootfs.1" -> "rootfs.1")."""
    m = _SLOT.match(text.strip())
    return m.group(1) if m else None


def info_argv(bundle: Path, keyring: Path) -> list[str]:
    return ["rauc", "info", "--keyring", str(keyring), "--output-format=json", str(bundle)]


def install_argv(bundle: Path) -> list[str]:
    """The RAUC CLI call that installs *bundle* into the inactive slot."""
    return ["rauc", "install", str(bundle)]


def installed_image(conf: Path = SYSTEM_CONF) -> bool:
    """Whether this process runs on the installed image (RAUC's system config is there):
    only then may the web UI reboot the machine."""
    return conf.is_file()


def reboot() -> None:
    """Reboot the machine (into the slot GRUB's ORDER names first)."""
    proc = _run(["systemctl", "reboot"])
    if proc.returncode != 0:
        raise UpdateError(f"the reboot was refused: {_why(proc)}", reason="reboot")


def system_compatible(conf: Path = SYSTEM_CONF) -> str:
    parser = configparser.ConfigParser()
    if not parser.read(conf):
        raise UpdateError(f"no RAUC system config at {conf}: this is not an installed box",
                          reason="system")
    try:
        return parser["system"]["compatible"]
    except KeyError:
        raise UpdateError(f"{conf} has no [system] compatible", reason="system") from None


def _run(argv: list[str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(argv, capture_output=True, text=True)


def _why(proc: "subprocess.CompletedProcess[str]") -> str:
    text = (proc.stderr or "") + (proc.stdout or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit {proc.returncode}"


class Updater:
    def __init__(self, keyring: Path = KEYRING, system_conf: Path = SYSTEM_CONF,
                 version_file: Path = VERSION_FILE, run: Runner = _run,
                 install_cmd: Callable[[Path], list[str]] = install_argv) -> None:
        self.keyring, self.system_conf, self.version_file = keyring, system_conf, version_file
        self.run = run
        self.install_cmd = install_cmd      # tests run a stand-in for ``rauc install``

    def current_version(self) -> str:
        try:
            return self.version_file.read_text().strip()
        except OSError:
            raise UpdateError(f"cannot read the running version from {self.version_file}",
                              reason="system") from None

    def check(self, bundle: Path, verify_payload: bool = False,
              step: Step | None = None) -> BundleInfo:
        """Refuse a bundle that is unsigned, wrongly signed, for another system or older.

        ``verify_payload`` also checks every payload block against the signed verity
        hash (``rauc extract``; RAUC's install does the same on the fly through
        dm-verity, so the box needs it only to refuse before rebooting anything)."""
        if not bundle.is_file():
            raise UpdateError(f"bundle {bundle} does not exist", bundle=str(bundle),
                              reason="missing")
        proc = self.run(info_argv(bundle, self.keyring))
        if proc.returncode != 0:
            raise UpdateError(f"refusing {bundle.name}: not a bundle signed by a trusted key "
                              f"({_why(proc)})", bundle=str(bundle), reason="signature")
        info = BundleInfo.parse(proc.stdout)
        if step:
            step("signature")
        mine = system_compatible(self.system_conf)
        if info.compatible != mine:
            raise UpdateError(f"refusing {bundle.name}: it is for {info.compatible!r}, this box "
                              f"is {mine!r}", bundle=str(bundle), reason="compatible")
        if step:
            step("compatible")
        current = self.current_version()
        if parse_version(info.version) < parse_version(current):
            raise UpdateError(f"refusing {bundle.name}: version {info.version} is older than "
                              f"the running {current} (downgrades are not allowed)",
                              bundle=str(bundle), reason="downgrade")
        if step:
            step("version")
        if verify_payload:
            with tempfile.TemporaryDirectory(prefix="callbox-bundle-") as tmp:
                out = Path(tmp) / "payload"
                proc = self.run(["rauc", "extract", "--keyring", str(self.keyring),
                                 str(bundle), str(out)])
                if proc.returncode != 0:
                    raise UpdateError(f"refusing {bundle.name}: its payload does not match its "
                                      f"signature ({_why(proc)})", bundle=str(bundle),
                                      reason="payload")
        return info

    def install(self, bundle: Path, progress: Progress | None = None,
                step: Step | None = None) -> BundleInfo:
        """Check, then ``rauc install`` into the inactive slot; progress as RAUC reports it."""
        info = self.check(bundle, step=step)
        tail: list[str] = []
        with subprocess.Popen(self.install_cmd(bundle), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                tail = (tail + [line.rstrip()])[-5:]
                done = progress_of(line)
                if done and progress:
                    progress(*done)
        if proc.wait() != 0:
            why = next((t.removeprefix("LastError:").strip() for t in reversed(tail)
                        if t.startswith("LastError:")), None)   # RAUC's reason, if it gave one
            raise UpdateError(f"installing {bundle.name} failed: "
                              f"{why or next((t for t in reversed(tail) if t), 'no output')}",
                              bundle=str(bundle), reason="install")
        return info

"""``callbox flash`` and ``callbox update``: the image tools a technician runs."""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from firmware import update
from firmware.errors import CallboxError

COMMANDS = ("flash", "update")


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    fl = sub.add_parser("flash", help="write a signed image to a device, verified (docs/image.md)")
    fl.add_argument("image", metavar="IMAGE", help="build/callbox.img (with .bmap, SHA256SUMS, "
                    "SHA256SUMS.sig beside it)")
    fl.add_argument("device", metavar="DEVICE", help="the target block device or image file")
    fl.add_argument("--keyring", metavar="PEM", default=str(update.KEYRING),
                    help="certificate(s) trusted to sign images (default: %(default)s)")
    up = sub.add_parser("update", help="install a signed RAUC bundle into the inactive slot")
    up.add_argument("bundle", metavar="FILE")
    up.add_argument("--check-only", action="store_true",
                    help="verify signature, compatible, version and payload; install nothing")


class ProgressLine:
    """One line per stage on the terminal: percentage and speed, rewritten in place."""

    def __init__(self, out: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 every_s: float = 0.5) -> None:
        self.out = out or sys.stderr
        self.clock, self.every_s = clock, every_s
        self.stage = ""
        self.t0 = self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if stage != self.stage:
            if self.stage:
                self.out.write("\n")
            self.stage, self.t0, self.last = stage, now, 0.0
        if now - self.last < self.every_s and done < total:
            return
        self.last = now
        rate = done / (now - self.t0) / 2**20 if now > self.t0 else 0.0
        pct = 100 * done // total if total else 100
        self.out.write(f"\r{stage}: {pct:3d}% {done / 2**20:8.1f}/{total / 2**20:.1f} MiB "
                       f"{rate:6.1f} MiB/s")
        self.out.flush()

    def end(self) -> None:
        if self.stage:
            self.out.write("\n")


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "flash":
            from firmware.flash import Flasher
            line = ProgressLine()
            try:
                report = Flasher(Path(args.image), Path(args.device), Path(args.keyring),
                                 progress=line).run()
            finally:
                line.end()
            print(f"flashed {report.image.name} to {report.device}: {report.written / 2**20:.1f} "
                  f"MiB written and read back in {report.seconds:.1f} s "
                  f"({report.written / 2**20 / max(report.seconds, 1e-9):.1f} MiB/s)")
            return 0
        up = update.Updater()
        if args.check_only:
            info = up.check(Path(args.bundle), verify_payload=True)
            print(f"bundle ok: {info.compatible} version {info.version}")
            return 0
        info = up.install(Path(args.bundle),
                          progress=lambda pct, what: print(f"{pct:3d}% {what}", flush=True))
        print(f"installed version {info.version} into the inactive slot; reboot to start it "
              "(it is kept only if the daemon becomes healthy)")
        return 0
    except CallboxError as exc:
        print(f"callbox {args.command}: {exc}", file=sys.stderr)
        return 1

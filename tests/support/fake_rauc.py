"""A stand-in for ``rauc install`` where RAUC cannot install (no device-mapper, no
slots): run as ``python -m tests.support.fake_rauc --keyring PEM --slots DIR install
BUNDLE``.

It does what can be done for real here and says it the way RAUC 1.8's CLI does (its
``%3i%% %s`` progress lines, "Checking slot rootfs.1", "Copying image to rootfs.1",
"Installing `...` succeeded|failed"): the bundle's signature and every payload block
are checked by the real ``rauc extract`` against the keyring, and the extracted root
image is copied into ``DIR/rootfs.1`` (the "inactive slot"). A bundle whose payload
does not match its signature fails there, as ``rauc install`` fails on it through
dm-verity.

``--hold PATH`` stops after "Checking slot" until PATH exists (at most ``HOLD_S``), so
that a test can see an install in progress without racing it.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SLOT = "rootfs.1"
HOLD_S = 120.0


def say(percent: int, text: str) -> None:
    print(f"{percent:3d}% {text}", flush=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="fake-rauc")
    ap.add_argument("--keyring", required=True)
    ap.add_argument("--slots", required=True)
    ap.add_argument("--hold", default="")
    ap.add_argument("command", choices=["install"])
    ap.add_argument("bundle")
    args = ap.parse_args(argv)
    print("installing", flush=True)
    say(0, "Installing")
    say(0, "Determining slot states")
    say(20, "Determining slot states done.")
    say(20, "Checking bundle")
    say(20, "Verifying signature")
    with tempfile.TemporaryDirectory(prefix="fake-rauc-") as tmp:
        out = Path(tmp) / "bundle"
        proc = subprocess.run(["rauc", "extract", "--keyring", args.keyring, args.bundle,
                               str(out)], capture_output=True, text=True)
        if proc.returncode != 0:
            say(40, "Verifying signature failed.")
            last = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
            print(f"LastError: {last[-1] if last else 'rauc extract failed'}", flush=True)
            print(f"Installing `{args.bundle}` failed", flush=True)
            return 1
        say(40, "Verifying signature done.")
        say(40, "Checking bundle done.")
        say(40, "Checking manifest contents")
        say(60, "Checking manifest contents done.")
        say(60, "Determining target install group")
        say(80, "Determining target install group done.")
        say(80, "Updating slots")
        say(80, f"Checking slot {SLOT}")
        if args.hold:
            until = time.monotonic() + HOLD_S
            while not Path(args.hold).exists():
                if time.monotonic() > until:
                    print(f"LastError: held for {HOLD_S:.0f} s and never let go", flush=True)
                    return 1
                time.sleep(0.05)
        say(90, f"Checking slot {SLOT} done.")
        say(90, f"Copying image to {SLOT}")
        slots = Path(args.slots)
        slots.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / "rootfs.squashfs", slots / SLOT)
    say(100, f"Copying image to {SLOT} done.")
    say(100, "Updating slots done.")
    say(100, "Installing done.")
    print("idle", flush=True)
    print(f"Installing `{args.bundle}` succeeded", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The boot slot: tell the bootloader this slot is good once the daemon is healthy.

A freshly installed slot boots on trial (image/render.py's GRUB config counts its
tries). Only the daemon knows the box works -- Kamailio up, media nodes answering,
database ok -- so it, not a boot-time unit, runs ``rauc status mark-good`` after
that health verdict, and leaves a marker in /run for the boot deadline unit.
"""
from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger("callbox.slot")

REQUIRED = ("kamailio", "media_nodes", "database")
MARKER = Path("/run/callbox/slot-good")

Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def healthy_for_boot(health: Mapping[str, Any]) -> tuple[bool, str]:
    """True when every component the box needs reports ok; else the first that does not."""
    comps = health.get("components", {})
    for name in REQUIRED:
        status = comps.get(name, {}).get("status")
        if status != "ok":
            return False, f"{name} is {status or 'missing'}"
    return True, "kamailio, media nodes and database ok"


def _run(argv: list[str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(argv, capture_output=True, text=True)


def mark_good(run: Runner = _run, marker: Path = MARKER) -> bool:
    """``rauc status mark-good`` for the booted slot; True when RAUC accepted it."""
    proc = run(["rauc", "status", "mark-good"])
    if proc.returncode != 0:
        log.error("slot mark-good failed rc=%s error=%s", proc.returncode,
                  (proc.stderr or proc.stdout).strip()[-300:])
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("good\n")
    log.info("slot marked good (%s)", (proc.stdout or "").strip()[-200:])
    return True

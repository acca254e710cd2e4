"""Restoring a backup from the system page on a running box: stop, swap, start again.

A restore replaces the data folder (``firmware.backup.restore``), which the running
daemon, Kamailio and the media nodes all hold open, so it cannot happen under them.
The page therefore asks the daemon to do what an admin would do by hand, in order:

1. refuse while call legs are up (stopping would end them) and check the archive in
   full first (frames, passphrase, manifest, versions, database integrity), so a bad
   archive never stops the box;
2. stop the daemon the normal way (calls, nodes, Kamailio, web server, database);
3. swap the data folder atomically (``restore_backup``: the old one is kept as
   ``<var>.before-restore-<time>``); the running box's ``callbox.toml`` is kept, so a
   backup made elsewhere cannot move this box to addresses nobody reaches;
4. start again in the same process (``os.execv`` of the original command line: same
   PID for systemd), where ``take_outcome`` finds what happened and it is audited.

A restore that fails at step 3 leaves the data folder as it was (the swap is one
rename) and the box starts again on it, with the failure in its audit log.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware.backup.archive import BackupError
from firmware.backup.restore import restore_backup

log = logging.getLogger("callbox.restore")

OUTCOME_FILE = "restore-outcome.json"


@dataclass(frozen=True)
class RestoreRequest:
    archive: Path
    passphrase: str | None
    by: str
    role: str


def carry_out(request: RestoreRequest, var_dir: Path) -> dict[str, Any]:
    """Step 3, with the daemon stopped: swap the data folder and leave the outcome where
    the next start finds it (the new data folder, or the old one if nothing changed)."""
    outcome: dict[str, Any] = {"archive": request.archive.name, "by": request.by,
                               "role": request.role}
    try:
        result = restore_backup(request.archive, var_dir, passphrase=request.passphrase,
                                config_path=None)
        outcome.update(ok=True, previous=result["previous"],
                       schema_version=result["schema_version"],
                       firmware_version=result["firmware_version"], files=result["files"])
        log.warning("restored %s; previous data kept at %s", request.archive.name,
                    result["previous"])
    except (BackupError, OSError) as exc:
        outcome.update(ok=False, error=str(exc))
        log.error("restore of %s failed, the data folder is unchanged: %s",
                  request.archive.name, exc)
    path = var_dir / OUTCOME_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(outcome), "utf-8")
    os.replace(tmp, path)
    return outcome


def take_outcome(var_dir: Path) -> dict[str, Any] | None:
    """At start: what the restore before this start did (None: there was none)."""
    path = var_dir / OUTCOME_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        data = {"ok": False, "error": f"unreadable outcome file: {exc}"}
    path.unlink(missing_ok=True)
    return data


def start_again() -> None:
    """Step 4: the same command line in this process (systemd keeps the same PID)."""
    logging.shutdown()
    os.execv(sys.executable, list(sys.orig_argv))

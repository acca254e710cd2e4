"""A firmware install as a background job: what the system page starts after an upload
and then watches (``GET /api/system/firmware``), so that no web request waits minutes
for ``rauc install``.

One job at a time (a second start is refused naming the running one). The job runs
``Updater.install`` in a thread of its own: the checks (signature, compatible,
version) are reported one by one as they pass, then RAUC's own percentage lines,
then the slot it wrote. Whatever the outcome the uploaded bundle is removed: RAUC has
copied it into the slot, or it was refused (the reason kept in the job).

The job's life is a small state table (``TRANSITIONS``); ``status()`` is a copy of its
fields for the web UI.
"""
from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from firmware.errors import IllegalTransition, UpdateError
from firmware.update import Updater, slot_of

log = logging.getLogger("callbox.update")

CHECKS = ("signature", "compatible", "version")

# (state, event) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    ("checking", "checked"): "installing",
    ("checking", "refused"): "failed",
    ("installing", "written"): "installed",
    ("installing", "failed"): "failed",
}
RUNNING = frozenset({"checking", "installing"})
RESERVE_BYTES = 64 * 1024 * 1024    # an upload leaves this much free for the database and logs


def clear_leftovers(folder: Path) -> int:
    """Remove bundles a crash or power cut left in *folder* (an upload or an install that
    never ended: nothing will pick them up). Called at start-up; returns how many."""
    gone = 0
    for left in folder.glob("*.raucb") if folder.is_dir() else ():
        left.unlink(missing_ok=True)
        gone += 1
    return gone


def free_bytes(folder: Path) -> int:
    """What an upload may use in *folder* (on the data partition): its free space less
    ``RESERVE_BYTES``."""
    return max(0, shutil.disk_usage(folder).free - RESERVE_BYTES)


@dataclass
class Job:
    id: str
    name: str                       # the file name the browser sent
    by: str
    started_at: float
    state: str = "checking"
    checks: list[str] = field(default_factory=list)      # passed so far, in CHECKS order
    percent: int = 0
    activity: str = ""
    lines: list[str] = field(default_factory=list)       # RAUC's progress lines, the last few
    version: str = ""
    compatible: str = ""
    slot: str = ""
    reason: str = ""
    error: str = ""
    ended_at: float | None = None

    def on(self, event: str) -> None:
        nxt = TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise IllegalTransition(f"install job {self.id}: {event!r} cannot happen while "
                                    f"{self.state}", job=self.id, event=event)
        self.state = nxt


def plain(exc: UpdateError) -> str:
    """The error's message without its context fields (the page shows the reason apart)."""
    text = str(exc)
    return text[:text.rfind(" (")] if exc.context else text


class UpdateJobs:
    """Starts and remembers the install job (only the last one is kept)."""

    def __init__(self, updater: Callable[[], Updater],
                 now: Callable[[], float] = time.time) -> None:
        self._updater = updater
        self._now = now
        self._lock = threading.Lock()
        self._job: Job | None = None
        self._thread: threading.Thread | None = None

    def busy(self) -> dict[str, Any] | None:
        """The running job's status, or None when another may start."""
        with self._lock:
            job = self._job
            return asdict(job) if job is not None and job.state in RUNNING else None

    def start(self, bundle: Path, job_id: str, name: str, by: str,
              ended: Callable[[dict[str, Any]], None] = lambda _s: None) -> dict[str, Any]:
        """Check and install *bundle* in the background; refused (reason ``busy``, the
        bundle removed) while another install runs."""
        with self._lock:
            running = self._job
            if running is not None and running.state in RUNNING:
                bundle.unlink(missing_ok=True)
                raise UpdateError(f"an install is already running: {running.name} "
                                  f"(started by {running.by}, {running.state})",
                                  reason="busy", job=running.id)
            job = self._job = Job(job_id, name, by, self._now())
            self._thread = threading.Thread(target=self._run, args=(job, bundle, ended),
                                            name=f"firmware-install-{job_id}", daemon=True)
        self._thread.start()
        return self.status() or {}

    def status(self) -> dict[str, Any] | None:
        with self._lock:
            return asdict(self._job) if self._job is not None else None

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running job's thread (shutdown and tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self, job: Job, bundle: Path,
             ended: Callable[[dict[str, Any]], None]) -> None:
        def step(name: str) -> None:
            with self._lock:
                job.checks.append(name)
                if name == CHECKS[-1]:
                    job.on("checked")

        def progress(percent: int, text: str) -> None:
            with self._lock:
                job.percent, job.activity = percent, text
                job.lines = (job.lines + [f"{percent}% {text}"])[-20:]
                job.slot = slot_of(text) or job.slot

        info, failure = None, None
        try:
            info = self._updater().install(bundle, progress=progress, step=step)
        except UpdateError as exc:
            failure = (str(exc.context.get("reason") or "install"), plain(exc))
        except OSError as exc:              # no rauc: not an installed box
            failure = ("installer", f"the installer cannot run here ({exc.strerror}: "
                                    f"{exc.filename}); updates need the installed image")
        except Exception as exc:            # a bug must still end the job, not leave it running
            log.exception("firmware install crashed job=%s", job.id)
            failure = ("internal", f"the install stopped on an internal error: {exc}")
        finally:
            bundle.unlink(missing_ok=True)  # before the job ends: an ended job has no file
        if failure is not None or info is None:
            self._fail(job, *(failure or ("internal", "the install gave no result")))
        else:
            with self._lock:
                job.version, job.compatible = info.version, info.compatible
                job.percent = 100
                job.on("written")
                job.ended_at = self._now()
            log.info("firmware installed job=%s version=%s slot=%s", job.id, info.version,
                     job.slot or "?")
        ended(self.status() or {})

    def _fail(self, job: Job, reason: str, message: str) -> None:
        with self._lock:
            job.on("refused" if job.state == "checking" else "failed")
            job.reason, job.error, job.ended_at = reason, message, self._now()
        log.warning("firmware install failed job=%s reason=%s: %s", job.id, reason, message)

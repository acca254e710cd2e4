"""The system page's half of ``firmware.api.Api``: what the box listens on, its time,
recent log lines, the hardware self-test, checking and restoring a backup, firmware update.

Mixed into ``firmware.api.Api`` (which provides ``_run``, ``_store``, ``crm``). The
composition root hands over the configuration with ``attach_system(cfg, path)``;
without it (tests of other areas) the network part says so.

The listen addresses are changed through ``firmware.listen_change.ListenChange``
(attached by the composition root with ``attach_listen_change``): checked against the
box's interfaces, written to callbox.toml, applied, and kept only if confirmed by a
request that arrives on the new web address within ``[web] listen_confirm_s``.

What it will not do, and says so instead (``ApiError`` 409 naming the reason):

- change the web address behind the image's HTTPS front (``web.trusted_proxy`` set:
  the front owns it; the SIP edge's address can still be changed), or any address on a
  box started without a callbox.toml (nothing to write), or move the SIP edge while
  calls are up (its restart would end them);
- run the self-test on real hardware while the daemon holds the board (the
  simulator's self-test runs in a child process, its output kept under
  ``var/selftest/``);
- restore while call legs are up: a restore stops the daemon, swaps the data folder
  and starts it again (``firmware/restore_live.py``), which would end them. An archive
  is checked in full (frames, passphrase, manifest, versions, database integrity)
  before anything stops;
- update the firmware when this build has no ``firmware.update`` module (with it, an
  uploaded RAUC bundle goes through ``firmware.update.Updater`` as a background job,
  ``firmware/update_job.py``: signature, system, no downgrade, then ``rauc install``),
  or start a second install while one runs;
- reboot where the composition root attached no way to (not an installed image).
"""
from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable

from firmware.crm.facade import endpoint
from firmware.crm.permissions import Principal
from firmware.errors import ApiError, CallboxError, ListenError

FIRMWARE_UPLOAD_MIB = 2048       # [web] firmware_upload_mib's default
LOG_TAIL_MAX = 1000
SELFTEST_KEEP = 10


class SystemApi:
    _run: Callable[..., Any]
    _store: Any
    crm: Any
    _system_cfg: Any = None
    _system_cfg_path: Path | None = None
    _selftest: dict[str, Any] | None = None
    _selftest_task: "asyncio.Future[None] | None" = None
    _listen: Any = None                          # firmware.listen_change.ListenChange
    _restore: Callable[[Any], None] | None = None    # App.request_restore
    _legs_in_use: Callable[[], int] | None = None
    _jobs: Any = None                            # firmware.update_job.UpdateJobs, made on first use
    _updater_factory: Callable[[], Any] | None = None
    _reboot: Callable[[], None] | None = None

    def attach_system(self, cfg: Any, config_path: Path | None) -> None:
        """The running configuration and the file it came from (None: defaults)."""
        self._system_cfg = cfg
        self._system_cfg_path = config_path

    def attach_listen_change(self, change: Any) -> None:
        """The daemon's ``ListenChange`` (the confirm-or-revert state machine)."""
        self._listen = change

    def attach_restore(self, request: Callable[[Any], None], legs_in_use: Callable[[], int]
                       ) -> None:
        """How the daemon restores a backup while running (stop, swap, start again) and
        how many call legs a stop would end."""
        self._restore = request
        self._legs_in_use = legs_in_use

    def _var(self) -> Path:
        return Path(self._store.path).parent

    # -- network and time -------------------------------------------------------------
    @endpoint("system.admin")
    async def system_info(self, p: Principal) -> dict[str, Any]:
        """Listen addresses, whether they may be changed here (and why not), the time,
        the firmware version, whether a firmware update is possible in this build."""
        from firmware.backup import FIRMWARE_VERSION
        cfg = self._system_cfg
        wall = self._store.db.wall()
        out: dict[str, Any] = {
            "firmware_version": FIRMWARE_VERSION,
            "time": wall, "timezone": time.strftime("%Z", time.localtime(wall)),
            "config_file": str(self._system_cfg_path) if self._system_cfg_path else None,
            "firmware_update": update_available(),
        }
        if cfg is None:
            out["network"] = None
            out["network_change"] = "the daemon did not hand its configuration to the API"
            return out
        proxy = getattr(cfg.web, "trusted_proxy", "") or ""
        change = self._listen
        current = change.current if change is not None else None
        out["network"] = {
            "web_listen": current.web_listen if current else cfg.web.listen,
            "web_port": current.web_port if current else cfg.web.port,
            "sip_listen": current.sip_listen if current else cfg.sip.listen,
            "sip_port": current.sip_port if current else cfg.sip.port,
            "sip_realm": cfg.sip.realm, "trusted_proxy": proxy or None}
        out["network_change"] = network_refusal(proxy, change)
        out["listen_change"] = None if change is None else change.view()
        out["web_changeable"] = change is not None and change.refusal() is None and not proxy
        out["sip_changeable"] = change is not None and change.refusal() is None
        return out

    def _listen_change(self) -> Any:
        if self._listen is None:
            raise ApiError(network_refusal("", None), status=409, field="web_listen")
        return self._listen

    @endpoint("system.admin", "write", timeout=60)
    async def set_listen(self, p: Principal, web_listen: str | None = None,
                         web_port: int | None = None, sip_listen: str | None = None,
                         sip_port: int | None = None) -> dict[str, Any]:
        """Check the new addresses against the box's interfaces, write callbox.toml
        (keeping callbox.toml.prev), move the edge and the web server, and start the
        confirmation window. Unchanged fields may be left out."""
        from firmware.listen_change import check_request
        change = self._listen_change()
        data = {k: v for k, v in (("web_listen", web_listen), ("web_port", web_port),
                                  ("sip_listen", sip_listen), ("sip_port", sip_port))
                if v is not None}
        try:
            new = await asyncio.to_thread(check_request, data, change.current, change.cfg)
            await change.apply(new, p.user, p.role)
        except ListenError as exc:
            raise ApiError(str(exc).split(" (field=")[0], status=exc.status,
                           field=exc.context["field"]) from None
        except CallboxError as exc:        # callbox.toml cannot be edited in place
            raise ApiError(str(exc), status=409, field="config") from None
        return change.view()

    @endpoint("system.admin", "write", timeout=30)
    async def confirm_listen(self, p: Principal, arrived_on: str) -> dict[str, Any]:
        """Keep the new addresses; ``arrived_on`` is the "host:port" of the web server that
        took the request (``environ["callbox.listen"]``), which must be the new one."""
        change = self._listen_change()
        try:
            await change.confirm(arrived_on, p.user, p.role)
        except ListenError as exc:
            raise ApiError(str(exc).split(" (field=")[0], status=exc.status,
                           field=exc.context["field"]) from None
        return change.view()

    @endpoint("system.admin", "write", timeout=60)
    async def revert_listen(self, p: Principal) -> dict[str, Any]:
        """Go back to the previous addresses now, before the window ends."""
        change = self._listen_change()
        try:
            await change.revert(p.user, p.role)
        except ListenError as exc:
            raise ApiError(str(exc).split(" (field=")[0], status=exc.status,
                           field=exc.context["field"]) from None
        return change.view()

    @endpoint("system.admin")
    async def recent_logs(self, p: Principal, lines: int = 200) -> dict[str, Any]:
        """The last ``lines`` lines of var/log/callbox.log (the daemon's log)."""
        if not 1 <= lines <= LOG_TAIL_MAX:
            raise ApiError(f"lines: expected 1-{LOG_TAIL_MAX}", status=400, field="lines")
        path = self._var() / "log" / "callbox.log"

        def tail() -> list[str]:
            if not path.is_file():
                return []
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - lines * 400))
                return [x.decode("utf-8", "replace") for x in
                        deque(f.read().splitlines(), maxlen=lines)]
        return {"path": str(path), "lines": await asyncio.to_thread(tail)}

    @endpoint("system.admin")
    async def log_file(self, p: Principal) -> str:
        """The daemon's log file to download (404 when there is none)."""
        path = self._var() / "log" / "callbox.log"
        if not path.is_file():
            raise ApiError("no log file yet", status=404, path=str(path))
        return str(path)

    @endpoint("system.admin", "write")
    async def upload_dir(self, p: Principal) -> str:
        """Where the system page keeps uploads it hands to these methods."""
        folder = self._var() / "uploads" / "system"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return str(folder)

    # -- self-test --------------------------------------------------------------------
    @endpoint("system.admin", "write")
    async def selftest_start(self, p: Principal) -> dict[str, Any]:
        cfg = self._system_cfg
        profile = cfg.hardware.profile if cfg is not None else "sim"
        if profile != "sim":
            raise ApiError("the hardware self-test needs the board, which the running daemon "
                           "holds: stop the box and run `callbox selftest`", status=409,
                           field="profile")
        if self._selftest is not None and self._selftest["state"] == "running":
            raise ApiError("a self-test is running", status=409, field="selftest")
        folder = self._var() / "selftest"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self._store.db.wall()))
        out = folder / f"selftest-{stamp}.txt"
        argv = [sys.executable, "-m", "hw_tests", "--profile", "sim"]
        if self._system_cfg_path is not None:
            argv += ["--config", str(self._system_cfg_path)]
        state: dict[str, Any] = {"state": "running", "output": str(out), "exit_code": None,
                                 "started_at": self._store.db.wall(), "by": p.user}
        self._selftest = state
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            cwd=str(Path(__file__).resolve().parents[1]))
        self._selftest_task = asyncio.ensure_future(self._follow(proc, out, state))
        await self.crm.audited(p, "system.selftest", out.name)
        for old in sorted(folder.glob("selftest-*.txt"))[:-SELFTEST_KEEP]:
            old.unlink(missing_ok=True)
        return self._selftest_view(state)

    async def _follow(self, proc: Any, out: Path, state: dict[str, Any]) -> None:
        """Write the child's lines to ``out`` as they come (the page shows them live). If
        the daemon stops meanwhile the child is killed and reaped, never left behind."""
        try:
            with open(out, "wb") as f:
                assert proc.stdout is not None
                while line := await proc.stdout.readline():
                    f.write(line)
                    f.flush()
            state["exit_code"] = await proc.wait()
        except asyncio.CancelledError:
            if proc.returncode is None:
                proc.kill()
            await asyncio.shield(proc.wait())
            state["state"], state["exit_code"] = "failed", proc.returncode
            raise
        state["state"] = "passed" if state["exit_code"] == 0 else "failed"

    def _selftest_view(self, state: dict[str, Any]) -> dict[str, Any]:
        path = Path(state["output"])
        text = path.read_text(errors="replace")[-20000:] if path.is_file() else ""
        return {"state": state["state"], "exit_code": state["exit_code"],
                "started_at": state["started_at"], "by": state["by"], "output": text}

    @endpoint("system.admin")
    async def selftest_status(self, p: Principal) -> dict[str, Any]:
        """The last self-test started here: state (running, passed, failed), its output."""
        if self._selftest is None:
            return {"state": "never", "exit_code": None, "started_at": None, "by": None,
                    "output": ""}
        return self._selftest_view(self._selftest)

    # -- backup and restore -----------------------------------------------------------------
    @endpoint("system.backup")
    async def backup_file(self, p: Principal, name: str) -> str:
        """A backup archive made on this box, to download."""
        folder = self._var() / "backups"
        path = folder / name
        if "/" in name or not name.endswith(".cbbak") or not path.is_file():
            raise ApiError("no such backup", status=404, field="name")
        return str(path)

    @endpoint("system.backup")
    async def backups(self, p: Principal) -> list[dict[str, Any]]:
        folder = self._var() / "backups"
        if not folder.is_dir():
            return []
        return [{"name": x.name, "bytes": x.stat().st_size, "created_at": x.stat().st_mtime}
                for x in sorted(folder.glob("*.cbbak"), reverse=True)]

    @endpoint("system.admin", "read", timeout=600)
    async def check_restore(self, p: Principal, path: str, passphrase: str | None = None
                            ) -> dict[str, Any]:
        """Check an uploaded archive as a restore would (nothing on the box changes) and
        say how to restore it."""
        from firmware.backup.archive import BackupError
        from firmware.backup.restore import verify_backup
        archive = Path(path)
        try:
            result = await asyncio.to_thread(verify_backup, archive, self._var().parent,
                                             passphrase)
        except BackupError as exc:
            raise ApiError(f"this archive cannot be restored: {exc}", status=400,
                           field="file") from None
        await self.crm.audited(p, "system.restore_check", archive.name,
                               {"schema": result["schema_version"]})
        cfg_arg = f" --config {self._system_cfg_path}" if self._system_cfg_path else ""
        return {**result, "archive": str(archive), "name": archive.name,
                "live": self._restore is not None,
                "how": f"stop the box, then run: callbox restore{cfg_arg} {archive}"
                       + (" --passphrase-file FILE" if passphrase else "")
                       + " (a running box cannot replace its own database)"}

    def _restorable(self, name: str) -> Path:
        """A backup made on this box (``backups/``) or uploaded on the page (``uploads/``)."""
        if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".cbbak"):
            raise ApiError("backup: expected the name of a .cbbak made or uploaded on this "
                           "box", status=400, field="backup")
        for folder in ("backups", "uploads/system"):
            path = self._var() / folder / name
            if path.is_file():
                return path
        raise ApiError(f"backup: no backup {name} on this box", status=404, field="backup")

    @endpoint("system.admin", "write", timeout=600)
    async def restore_now(self, p: Principal, backup: str, passphrase: str | None = None
                          ) -> dict[str, Any]:
        """Restore a backup into this running box: checked in full, then the daemon
        stops, swaps its data folder (the old one kept beside it) and starts again a
        moment after this answer. Refused (409) while call legs are up."""
        from firmware.backup.archive import BackupError
        from firmware.backup.restore import verify_backup
        from firmware.restore_live import RestoreRequest
        archive = self._restorable(backup)
        if self._restore is None or self._legs_in_use is None:
            raise ApiError("this daemon cannot restore while running (started without its "
                           "restart): stop it and run callbox restore", status=409,
                           field="backup")
        legs = self._legs_in_use()
        if legs:
            raise ApiError(f"backup: {legs} call legs are up; a restore stops the box, which "
                           "would end them: try again when it is idle", status=409,
                           field="backup")
        try:
            result = await asyncio.to_thread(verify_backup, archive, self._var().parent,
                                             passphrase)
        except BackupError as exc:
            raise ApiError(f"this archive cannot be restored: {exc}", status=400,
                           field="backup") from None
        await self.crm.audited(p, "system.restore_start", archive.name,
                               {"schema": result["schema_version"]})
        try:
            self._restore(RestoreRequest(archive, passphrase, p.user, p.role))
        except CallboxError as exc:
            raise ApiError(str(exc).split(" (field=")[0], status=409, field="backup") from None
        return {**result, "state": "restarting", "backup": archive.name}

    # -- firmware update ---------------------------------------------------------------------
    def attach_updater(self, factory: Callable[[], Any]) -> None:
        """How install jobs make their ``firmware.update.Updater`` (tests: a keyring,
        system.conf and version file of their own and a stand-in for ``rauc install``)."""
        self._updater_factory = factory

    def attach_reboot(self, reboot: Callable[[], None]) -> None:
        """How the box reboots (the composition root, on an installed image only)."""
        self._reboot = reboot

    def update_folder(self) -> Path:
        """var/update: uploaded bundles, written there as they arrive (``webui/spool.py``)."""
        return self._var() / "update"

    def firmware_upload_max(self) -> int:
        """The largest bundle the web UI takes, in bytes (``[web] firmware_upload_mib``)."""
        cfg = self._system_cfg
        mib = cfg.web.firmware_upload_mib if cfg is not None and hasattr(
            cfg.web, "firmware_upload_mib") else FIRMWARE_UPLOAD_MIB
        return int(mib) * 1024 * 1024

    def firmware_busy(self) -> str | None:
        """Why no bundle can be uploaded now (an install running), for the web server to
        refuse the upload before it is written; None when one can."""
        running = self._jobs.busy() if self._jobs is not None else None
        if running is None:
            return None
        return (f"an install is already running: {running['name']} (started by "
                f"{running['by']}, {running['state']})")

    def _update_jobs(self) -> Any:
        if self._jobs is None:
            from firmware.update_job import UpdateJobs
            update = importlib.import_module("firmware.update")
            self._jobs = UpdateJobs(lambda: (self._updater_factory or update.Updater)())
        return self._jobs

    @endpoint("system.admin", "write")
    async def firmware_update(self, p: Principal, path: str, name: str = "") -> dict[str, Any]:
        """Start installing an uploaded RAUC bundle in the background (``firmware/
        update_job.py``: signature, ``compatible`` and no-downgrade checks, then
        ``rauc install`` into the inactive slot); watch it with ``firmware_status``.
        Refused (409) when this build has no ``firmware.update`` module or while another
        install runs (naming it); a refused bundle is removed."""
        bundle = Path(path)
        if not update_available():
            bundle.unlink(missing_ok=True)
            raise ApiError("firmware update: not available in this build", status=409,
                           field="file")
        from firmware.errors import UpdateError
        from firmware.update_job import plain
        jobs = self._update_jobs()
        job_id = bundle.stem.split("-")[-1]
        loop = asyncio.get_running_loop()

        def ended(status: dict[str, Any]) -> None:
            detail = {"job": status.get("id"), **{k: status.get(k) for k in (
                "state", "version", "slot", "reason")}}
            loop.call_soon_threadsafe(lambda: loop.create_task(self.crm.audited(
                p, "system.firmware_installed" if status.get("state") == "installed"
                else "system.firmware_failed", status.get("name", ""), detail)))
        try:
            started = jobs.start(bundle, job_id, name or bundle.name, p.user, ended)
        except UpdateError as exc:
            raise ApiError(plain(exc), status=409, field="file",
                           job=exc.context.get("job")) from None
        await self.crm.audited(p, "system.firmware_update", name or bundle.name,
                               {"job": job_id})
        return started

    @endpoint("system.admin", "read")
    async def firmware_status(self, p: Principal) -> dict[str, Any]:
        """The last install job (None before the first) and what an upload may be: the
        size limit, the room on the data partition, whether this box can reboot here."""
        from firmware.update_job import free_bytes
        folder = self.update_folder()
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            room = free_bytes(folder)
        except OSError:
            room = 0
        jobs = self._jobs
        return {"available": update_available(), "max_bytes": self.firmware_upload_max(),
                "free_bytes": room, "can_reboot": self._reboot is not None,
                "job": jobs.status() if jobs is not None else None}

    @endpoint("system.admin", "write")
    async def reboot(self, p: Principal) -> dict[str, Any]:
        """Reboot the box (into the slot an install wrote); 409 where this process may
        not reboot the machine (not an installed image) or while an install runs."""
        if self._reboot is None:
            raise ApiError("rebooting from the web UI needs the installed image; this "
                           "process is not running on one", status=409, field="reboot")
        jobs = self._jobs
        running = jobs.busy() if jobs is not None else None
        if running is not None:
            raise ApiError(f"an install is running ({running['name']}, {running['state']}); "
                           "reboot once it has ended", status=409, field="reboot")
        job = jobs.status() if jobs is not None else None
        await self.crm.audited(p, "system.reboot", "",
                               {"slot": job.get("slot") if job else None})
        await asyncio.to_thread(self._reboot)
        return {"state": "rebooting"}


def update_available() -> bool:
    """Whether this build can install firmware (``firmware/update.py`` is present)."""
    return importlib.util.find_spec("firmware.update") is not None


def network_refusal(trusted_proxy: str, change: Any) -> str:
    """What the network panel says about changing the addresses here."""
    front = (f"this box is reached through the image's HTTPS front ({trusted_proxy}), which "
             "owns the web address, so only the SIP edge's address can be changed here"
             if trusted_proxy else "")
    why = ("the daemon did not hand its listen-change service to the API: edit [web] and "
           "[sip] listen in callbox.toml and restart the box" if change is None
           else change.refusal())
    if why is not None:
        return f"{front}; {why}" if front else why
    window = (f"a change is undone unless it is confirmed from the new web address within "
              f"{change.window:g} s")
    return f"{front}; {window}" if front else window

"""The system page ``/admin/system``: the addresses the box listens on (shown; changing
them is refused with the reason, see ``firmware.api_system``), its time and firmware
version, backup download, checking an uploaded backup before a restore, the hardware
self-test with its output as it runs, recent log lines and the log download, and
firmware upload when this build can install firmware.

Uploads go through the web server's body limit (``webui.server.MAX_BODY``, 32 MiB):
a bigger archive or image is copied to the box instead (the page says so).
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

import bottle
from bottle import request, response

from firmware.api import ApiError
from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import ANY_OBJ, BOOL, INT, STR, arr, args, json_body, me, obj
from webui.pages import local_time, page, redirect
from webui.params import p_int
from webui.routing import Router
from webui.server import MAX_BODY

TAG = "admin-system"
LISTEN_IN = obj((), web_listen={"type": "string", "maxLength": 64},
                sip_listen={"type": "string", "maxLength": 64})
BACKUP_IN = obj((), passphrase={"type": "string", "maxLength": 200})
SELFTEST = obj(("state", "output"), state=STR, exit_code={"type": ["integer", "null"]},
               output=STR, by={"type": ["string", "null"]})
UPLOAD_MAX_AGE_S = 3600


def _file(path: str, mimetype: str, download: bool) -> Any:
    if not os.path.isfile(path):
        raise fail(404, "the file is missing")
    res = bottle.static_file(os.path.basename(path), root=os.path.dirname(path),
                             mimetype=mimetype,
                             download=os.path.basename(path) if download else False)
    res.set_header("Cache-Control", "private, no-store")
    return res


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    def uploads() -> Path:
        """var/uploads/system (uploads older than an hour are removed at the next one)."""
        folder = Path(api.upload_dir(me()))
        for old in folder.iterdir():
            if old.stat().st_mtime < time.time() - UPLOAD_MAX_AGE_S:
                old.unlink(missing_ok=True)
        return folder

    def save_upload(field: str, suffixes: tuple[str, ...]) -> Path:
        upload = request.files.get(field)
        if upload is None or not upload.raw_filename:
            raise ApiError(f"{field}: choose a file", status=400, field=field)
        suffix = Path(upload.raw_filename).suffix.lower()
        if suffix not in suffixes:
            raise ApiError(f"{field}: expected a {' or '.join(suffixes)} file", status=400,
                           field=field)
        dest = uploads() / f"{secrets.token_hex(8)}{suffix}"
        try:
            upload.save(str(dest))
        finally:
            close_body()
        return dest

    def close_body() -> None:
        """bottle keeps a big request body and each uploaded part in temporary files
        that it never closes; close them once the upload is saved."""
        for part in request.files.values():
            part.file.close()
        body = request.environ.get("bottle.request.body")
        if body is not None:
            body.close()

    # -- API ---------------------------------------------------------------------------
    @r.get("/api/system", permission="system.admin", response=obj(
        ("firmware_version", "network_change", "firmware_update"), firmware_version=STR,
        network={"type": ["object", "null"]}, network_change=STR, firmware_update=BOOL,
        time={"type": "number"}), summary=(
            "Listen addresses (and why they cannot be changed here), time, firmware version, "
            "whether this build can install firmware"))
    def api_system() -> dict[str, Any]:
        return api.system_info(me())

    @r.put("/api/system/listen", permission="system.admin", body=LISTEN_IN,
           response=ANY_OBJ, summary="Change the listen addresses: refused (409) with the "
           "reason (HTTPS front, or not built)")
    def api_listen() -> dict[str, Any]:
        return api.set_listen(me(), **json_body(LISTEN_IN))

    @r.get("/api/system/logs", permission="system.admin", query={"lines": p_int(1, 1000)},
           response=obj(("lines",), path=STR, lines=arr(STR)),
           summary="The last lines of the daemon's log")
    def api_logs() -> dict[str, Any]:
        return api.recent_logs(me(), args().get("lines", 200))

    @r.get("/api/system/logs/download", permission="system.admin", kind="file",
           summary="The daemon's log file")
    def api_log_file() -> Any:
        return _file(api.log_file(me()), "text/plain", True)

    @r.get("/api/system/selftest", permission="system.admin", response=SELFTEST,
           summary="The last self-test: running, passed or failed, with its output")
    def api_selftest() -> dict[str, Any]:
        return api.selftest_status(me())

    @r.post("/api/system/selftest", permission="system.admin", response=SELFTEST,
            summary="Start the hardware self-test (simulator; real hardware: 409 with why)")
    def api_selftest_start() -> dict[str, Any]:
        return api.selftest_start(me())

    @r.get("/api/system/backups", permission="system.backup", response=arr(obj(
        ("name", "bytes"), name=STR, bytes=INT)), summary="Backups made on this box")
    def api_backups() -> list[dict[str, Any]]:
        return api.backups(me())

    @r.post("/api/system/backups", permission="system.backup", body=BACKUP_IN,
            response=ANY_OBJ, summary="Make a backup now (optionally encrypted)")
    def api_backup() -> dict[str, Any]:
        b = json_body(BACKUP_IN)
        out = api.backup(me(), b.get("passphrase") or None)
        return {**out, "name": Path(out["path"]).name}

    @r.get("/api/system/backups/<name>", permission="system.backup", kind="file",
           summary="Download a backup")
    def api_backup_file(name: str) -> Any:
        return _file(api.backup_file(me(), name), "application/octet-stream", True)

    # -- the page ------------------------------------------------------------------------
    def view(error: str = "", made: dict[str, Any] | None = None,
             checked: dict[str, Any] | None = None, updated: dict[str, Any] | None = None,
             status: int = 200) -> str:
        p = me()
        response.status = status
        info = api.system_info(p)
        info["local_time"] = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(info["time"]))
        info["utc_time"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(info["time"]))
        backups = api.backups(p) if p.can("system.backup") else []
        for b in backups:
            b["time"] = local_time(b.get("created_at"))
        return page("admin_system", "System", info=info, logs=api.recent_logs(p, 60),
                    selftest=api.selftest_status(p), backups=backups, error=error,
                    made=made, checked=checked, updated=updated,
                    max_upload_mib=MAX_BODY // (1024 * 1024), body_class="system")

    @r.get("/admin/system", permission="system.admin",
           summary="Network, time, backup and restore, self-test, logs, firmware update")
    def admin_system() -> str:
        return view()

    @r.post("/admin/system/listen", permission="system.admin", kind="form",
            summary="Change a listen address (form): refused with the reason")
    def admin_listen() -> str:
        try:
            api.set_listen(me(), web_listen=(request.forms.getunicode("web_listen") or None),
                           sip_listen=(request.forms.getunicode("sip_listen") or None))
        except ApiError as exc:
            return view(error=str(exc), status=exc.status)
        redirect("/admin/system")

    @r.post("/admin/system/backup", permission="system.backup", kind="form",
            summary="Make a backup now (form)")
    def admin_backup() -> str:
        made = api.backup(me(), request.forms.getunicode("passphrase") or None)
        return view(made={**made, "name": Path(made["path"]).name})

    @r.post("/admin/system/restore", permission="system.admin", kind="form",
            max_body=MAX_BODY, summary="Upload a backup and check it for a restore (form)")
    def admin_restore() -> str:
        try:
            path = save_upload("file", (".cbbak",))
            checked = api.check_restore(me(), str(path),
                                        request.forms.getunicode("passphrase") or None)
        except ApiError as exc:
            if exc.status not in (400, 409):
                raise
            return view(error=str(exc), status=exc.status)
        return view(checked=checked)

    @r.post("/admin/system/selftest", permission="system.admin", kind="form",
            summary="Start the self-test (form)")
    def admin_selftest() -> str:
        try:
            api.selftest_start(me())
        except ApiError as exc:
            if exc.status != 409:
                raise
            return view(error=str(exc), status=409)
        redirect("/admin/system#selftest")

    @r.post("/admin/system/firmware", permission="system.admin", kind="form",
            max_body=MAX_BODY, summary="Upload and install a firmware image (form), when "
            "this build can")
    def admin_firmware() -> str:
        try:
            if not api.system_info(me())["firmware_update"]:
                raise ApiError("firmware update: not available in this build", status=409,
                               field="file")
            path = save_upload("file", (".raucb",))
            updated = api.firmware_update(me(), str(path))
        except ApiError as exc:
            if exc.status not in (400, 409):
                raise
            return view(error=str(exc), status=exc.status)
        return view(updated=updated)

"""The system page ``/admin/system``: the addresses the box listens on and changing
them with a way back (``firmware.listen_change``: the browser is sent to the new web
address, where "Keep these settings" confirms; unconfirmed, the box goes back by
itself), its time and firmware version, backup download, checking an uploaded backup
and restoring it into the running box (``firmware/restore_live.py``), the hardware
self-test with its output as it runs, recent log lines and the log download, and
firmware update when this build can install firmware.

Backup uploads go through the web server's body limit (``webui.server.MAX_BODY``,
32 MiB): a bigger archive is copied to the box instead (the page says so). A firmware
bundle (~320 MiB) is ``PUT /api/system/firmware`` as the raw request body, which the
web server writes to var/update/ as it arrives (``webui/spool.py``, up to ``[web]
firmware_upload_mib``); the handler takes that file and starts the install as a
background job (``firmware/update_job.py``) that the page then polls
(``GET /api/system/firmware``, ``webui/static/firmware.js``), ending with a reboot
button.
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
from webui.params import p_int, p_text
from webui.routing import Router
from webui.server import MAX_BODY
from webui.spool import Spool, claim, spooled_file

TAG = "admin-system"
LISTEN_IN = obj((), web_listen={"type": "string", "maxLength": 64},
                web_port={"type": "integer", "minimum": 1, "maximum": 65535},
                sip_listen={"type": "string", "maxLength": 64},
                sip_port={"type": "integer", "minimum": 1, "maximum": 65535})
ADDRS = obj(("web_listen", "web_port", "sip_listen", "sip_port"), web_listen=STR,
            web_port=INT, sip_listen=STR, sip_port=INT)
LISTEN_OUT = obj(("state", "window_s", "pending"), state={"type": "string",
                 "enum": ["steady", "pending"]}, window_s={"type": "number"},
                 pending={**obj(("previous", "new", "confirm_by", "by", "confirm_url"),
                                previous=ADDRS, new=ADDRS, confirm_by={"type": "number"},
                                by=STR, confirm_url=STR), "type": ["object", "null"]})
BACKUP_IN = obj((), passphrase={"type": "string", "maxLength": 200})
RESTORE_IN = obj(("backup",), backup={"type": "string", "maxLength": 100},
                 passphrase={"type": "string", "maxLength": 200})
SELFTEST = obj(("state", "output"), state=STR, exit_code={"type": ["integer", "null"]},
               output=STR, by={"type": ["string", "null"]})
UPLOAD_MAX_AGE_S = 3600
FIRMWARE_PATH = "/api/system/firmware"
# the route's own check; the real limit ([web] firmware_upload_mib, at most this) is the
# web server's, before a byte is written (webui/spool.py)
FIRMWARE_CEILING = 65536 * 1024 * 1024
JOB = {"type": ["object", "null"], "properties": {
    "id": STR, "name": STR, "by": STR, "state": {"type": "string", "enum": [
        "checking", "installing", "installed", "failed"]},
    "checks": arr(STR), "percent": INT, "activity": STR, "lines": arr(STR), "version": STR,
    "compatible": STR, "slot": STR, "reason": STR, "error": STR,
    "started_at": {"type": ["number", "string"]},
    "ended_at": {"type": ["number", "string", "null"]}}}
FIRMWARE = obj(("available", "max_bytes", "free_bytes", "can_reboot", "job"), available=BOOL,
               max_bytes=INT, free_bytes=INT, can_reboot=BOOL, job=JOB)


def firmware_spool(api: Any) -> Spool:
    """The firmware route's streamed upload: to var/update/, up to the configured size,
    refused while an install runs."""
    return Spool("PUT", FIRMWARE_PATH, lambda: api.update_folder(),
                 lambda: api.firmware_upload_max(), suffix=".raucb",
                 busy=lambda: api.firmware_busy())


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
    spool = firmware_spool(api)
    ui.spools = (*getattr(ui, "spools", ()), spool)

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
        listen_change={"type": ["object", "null"]}, time={"type": "number"}), summary=(
            "Listen addresses (whether and how they can be changed here, a change waiting "
            "for its confirmation), time, firmware version, whether this build can install "
            "firmware"))
    def api_system() -> dict[str, Any]:
        return api.system_info(me())

    @r.put("/api/system/listen", permission="system.admin", body=LISTEN_IN,
           response=LISTEN_OUT, errors=(409,), summary=(
               "Change the web UI's and the SIP edge's listen addresses (fields left out are "
               "kept): checked against the box's interfaces (400 naming the field), written "
               "to callbox.toml, applied; undone unless confirmed from the new web address "
               "within [web] listen_confirm_s (409: HTTPS front owns the web address, calls "
               "up, a change already pending, no callbox.toml)"))
    def api_listen() -> dict[str, Any]:
        return api.set_listen(me(), **json_body(LISTEN_IN))

    @r.post("/api/system/listen/confirm", permission="system.admin", response=LISTEN_OUT,
            errors=(409,), summary=("Keep the pending listen change; only a request that "
                                    "arrives on the new web address confirms (409 otherwise)"))
    def api_listen_confirm() -> dict[str, Any]:
        return api.confirm_listen(me(), str(request.environ.get("callbox.listen", "")))

    @r.post("/api/system/listen/revert", permission="system.admin", response=LISTEN_OUT,
            errors=(409,), summary="Go back to the previous listen addresses now")
    def api_listen_revert() -> dict[str, Any]:
        return api.revert_listen(me())

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

    @r.post("/api/system/restore", permission="system.admin", body=RESTORE_IN,
            response=obj(("state", "backup"), state=STR, backup=STR,
                         schema_version=INT), errors=(404, 409), summary=(
                "Restore a backup made or uploaded on this box into the running box: checked "
                "in full (400 naming why not), then the daemon stops, swaps its data folder "
                "(the old one kept) and starts again; 409 while call legs are up"))
    def api_restore() -> dict[str, Any]:
        b = json_body(RESTORE_IN)
        return api.restore_now(me(), b["backup"], b.get("passphrase") or None)

    @r.get("/api/system/backups/<name>", permission="system.backup", kind="file",
           summary="Download a backup")
    def api_backup_file(name: str) -> Any:
        return _file(api.backup_file(me(), name), "application/octet-stream", True)

    # -- the page ------------------------------------------------------------------------
    def view(error: str = "", made: dict[str, Any] | None = None,
             checked: dict[str, Any] | None = None, status: int = 200) -> str:
        p = me()
        response.status = status
        info = api.system_info(p)
        info["local_time"] = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(info["time"]))
        info["utc_time"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(info["time"]))
        change = info.get("listen_change") or {}
        pending = change.get("pending")
        until = time.strftime("%H:%M:%S", time.localtime(pending["confirm_by"])) if pending else ""
        backups = api.backups(p) if p.can("system.backup") else []
        for b in backups:
            b["time"] = local_time(b.get("created_at"))
        return page("admin_system", "System", info=info, logs=api.recent_logs(p, 60),
                    selftest=api.selftest_status(p), backups=backups, error=error,
                    made=made, checked=checked, firmware=api.firmware_status(p),
                    max_upload_mib=MAX_BODY // (1024 * 1024), body_class="system",
                    here=str(request.environ.get("callbox.listen", "")), pending_until=until)

    @r.get("/admin/system", permission="system.admin",
           summary="Network, time, backup and restore, self-test, logs, firmware update")
    def admin_system() -> str:
        return view()

    @r.post("/admin/system/listen", permission="system.admin", kind="form",
            summary="Change the listen addresses (form); then the browser goes to the new "
            "web address to confirm")
    def admin_listen() -> str:
        f = request.forms
        fields: dict[str, Any] = {}
        for name in ("web_listen", "sip_listen"):
            if f.getunicode(name):
                fields[name] = f.getunicode(name).strip()
        for name in ("web_port", "sip_port"):
            raw = (f.getunicode(name) or "").strip()
            if raw:
                if not raw.isdigit():
                    return view(error=f"{name}: expected a port 1-65535, got {raw!r}",
                                status=400)
                fields[name] = int(raw)
        try:
            done = api.set_listen(me(), **fields)
        except ApiError as exc:
            if exc.status not in (400, 409):
                raise
            return view(error=str(exc).split(" (field=")[0], status=exc.status)
        new = done["pending"]["new"]
        if f"{new['web_listen']}:{new['web_port']}" == request.environ.get("callbox.listen"):
            redirect("/admin/system#network")     # the web address stays: confirm here
        return page("admin_listen_moved", "System: confirm the new addresses",
                    change=done, here=request.environ.get("callbox.listen", ""),
                    body_class="system")

    @r.post("/admin/system/listen/confirm", permission="system.admin", kind="form",
            summary="Keep the pending listen change (form, on the new web address)")
    def admin_listen_confirm() -> str:
        try:
            api.confirm_listen(me(), str(request.environ.get("callbox.listen", "")))
        except ApiError as exc:
            if exc.status != 409:
                raise
            return view(error=str(exc).split(" (field=")[0], status=409)
        redirect("/admin/system#network")

    @r.post("/admin/system/listen/revert", permission="system.admin", kind="form",
            summary="Go back to the previous listen addresses now (form)")
    def admin_listen_revert() -> str:
        try:
            api.revert_listen(me())
        except ApiError as exc:
            if exc.status != 409:
                raise
            return view(error=str(exc).split(" (field=")[0], status=409)
        return view()

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

    @r.post("/admin/system/restore/apply", permission="system.admin", kind="form",
            summary="Restore a checked backup into the running box now (form)")
    def admin_restore_apply() -> str:
        try:
            done = api.restore_now(me(), request.forms.getunicode("backup") or "",
                                   request.forms.getunicode("passphrase") or None)
        except ApiError as exc:
            if exc.status not in (400, 404, 409):
                raise
            return view(error=str(exc).split(" (field=")[0], status=exc.status)
        return page("admin_restoring", "System: restoring", done=done, body_class="system")

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

    # -- firmware update -----------------------------------------------------------------
    @r.put(FIRMWARE_PATH, permission="system.admin", max_body=FIRMWARE_CEILING,
           query={"name": p_text(200)}, response=JOB, status=202,
           errors=(409, 411, 507), summary=(
               "Upload a signed RAUC bundle (.raucb) as the raw request body (Content-Length "
               "required; streamed to the data partition, up to [web] firmware_upload_mib) and "
               "start installing it into the inactive slot in the background; 409 while "
               "another install runs or in a build without firmware update, 507 when the data "
               "partition has no room. Follow it with GET " + FIRMWARE_PATH))
    def api_firmware_upload() -> dict[str, Any]:
        path = spooled_file(request.environ, spool)
        if path is None:
            raise fail(400, "send the bundle as the request body, with a Content-Length")
        name = Path(args().get("name") or "upload.raucb").name
        if not name.lower().endswith(".raucb"):
            path.unlink(missing_ok=True)
            raise fail(400, f"{name}: expected a .raucb file (a signed RAUC bundle)")
        bundle = claim(path, path.name.replace("incoming-", "bundle-", 1))
        try:
            started = api.firmware_update(me(), str(bundle), name)
        except BaseException:
            bundle.unlink(missing_ok=True)
            raise
        response.status = 202
        return started

    @r.get(FIRMWARE_PATH, permission="system.admin", response=FIRMWARE, summary=(
        "The firmware install job (its checks, RAUC's progress, the slot written or why it "
        "failed) and what an upload may be (size limit, room on the data partition)"))
    def api_firmware_status() -> dict[str, Any]:
        return api.firmware_status(me())

    @r.post("/api/system/reboot", permission="system.admin", response=obj(
        ("state",), state=STR), errors=(409,), summary=(
            "Reboot the box (into the slot an install wrote); 409 while an install runs or "
            "where this process may not reboot the machine"))
    def api_reboot() -> dict[str, Any]:
        return api.reboot(me())

    @r.post("/admin/system/reboot", permission="system.admin", kind="form",
            summary="Reboot the box (form)")
    def admin_reboot() -> str:
        try:
            api.reboot(me())
        except ApiError as exc:
            if exc.status != 409:
                raise
            return view(error=str(exc).split(" (field=")[0], status=409)
        return page("admin_rebooting", "System: rebooting", body_class="system")

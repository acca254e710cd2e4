"""Customer import: upload a CSV or XLSX file, follow the import's progress, download the
rejected rows. The daemon reads the file (``api.start_import``) from a folder of uploads
this module keeps (files older than an hour are removed at the next upload)."""
from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import bottle
from bottle import request

from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import ANY_OBJ, INT, OPT_STR, STR, me, obj
from webui.pages import page, redirect
from webui.routing import Router
from webui.server import MAX_BODY

TAG = "customers"
UPLOADS = Path(tempfile.gettempdir()) / "callbox-imports"
KEEP_S = 3600.0
STATUS = obj(("id", "state"), id=INT, file=STR, state=STR, started_at=OPT_STR,
             finished_at=OPT_STR, summary=ANY_OBJ, progress=ANY_OBJ)


def _clean() -> None:
    now = time.time()
    for f in UPLOADS.glob("*"):
        try:
            if now - f.stat().st_mtime > KEEP_S:
                f.unlink()
        except OSError:
            pass


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.get("/api/imports/<import_id:int>", permission="customers.import", response=STATUS,
           summary="An import's state, progress and summary")
    def api_import(import_id: int) -> dict[str, Any]:
        return api.import_status(me(), import_id)

    @r.get("/api/imports/<import_id:int>/rejects", permission="customers.import", kind="file",
           summary="The rows an import rejected, as uploaded, with the reason per row")
    def api_rejects(import_id: int) -> Any:
        path = api.import_rejects(me(), import_id)
        res = bottle.static_file(os.path.basename(path), root=os.path.dirname(path),
                                 mimetype="text/csv", download=f"import-{import_id}-rejected.csv")
        res.set_header("Cache-Control", "private, no-store")
        return res

    @r.get("/customers/import", permission="customers.import", summary="Import customers")
    def import_form() -> str:
        return page("import", "Import customers", status=None, error="")

    @r.post("/customers/import", permission="customers.import", kind="form", max_body=MAX_BODY,
            summary="Upload a CSV/XLSX file and start the import (form)")
    def import_upload() -> str:
        upload = request.files.get("file")
        if upload is None or not upload.raw_filename:
            raise fail(400, "file: choose a CSV or XLSX file", parameter="file")
        suffix = Path(upload.raw_filename).suffix.lower()
        if suffix not in (".csv", ".xlsx", ".txt"):
            raise fail(400, "file: expected a .csv or .xlsx file", parameter="file")
        UPLOADS.mkdir(mode=0o700, exist_ok=True)
        _clean()
        dest = UPLOADS / f"{secrets.token_hex(8)}{suffix}"
        upload.save(str(dest))
        on_duplicate = request.forms.get("on_duplicate") or "skip"
        started = api.start_import(me(), str(dest), filename=upload.raw_filename[:200],
                                   on_duplicate=on_duplicate)
        redirect(f"/customers/import/{started['id']}")

    @r.get("/customers/import/<import_id:int>", permission="customers.import",
           summary="An import's progress")
    def import_page(import_id: int) -> str:
        return page("import", "Import customers", status=api.import_status(me(), import_id),
                    error="")

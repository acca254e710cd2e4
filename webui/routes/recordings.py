"""Recordings: search, play in the browser, download; every play and download audited.

The audio is streamed by ``bottle.static_file`` (HTTP Range: the browser's
player seeks with 206 answers). The API's ``recording_file`` checks the
permission and scope and writes the audit row; so that one play (a first
request and then many range requests while seeking) is one audit row, the
path it returns is kept for ``GRANT_S`` per user, recording and purpose, and
only a request starting at byte 0 asks the API again.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any
from urllib.parse import urlencode

import bottle
from bottle import request

from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import INT, NUM, OPT_STR, STR, args, me, obj, paged
from webui.pages import duration, local_time, page
from webui.params import p_choice, p_int, p_name, p_text, parse_time
from webui.routing import Router

TAG = "recordings"
MAY = ("recordings.play", "recordings.download")
GRANT_S = 600.0
RECORDING = obj(("path", "call_id"), path=STR, call_id=STR, seconds=NUM, bytes=INT,
                created_at=STR, caller_number=OPT_STR, caller_name=OPT_STR, queue=OPT_STR,
                agent=OPT_STR)
SEARCH = {"since": parse_time, "until": parse_time, "agent": p_name, "queue": p_name,
          "number": p_text(40), "call": p_text(64), "limit": p_int(1, 500),
          "offset": p_int(0, 10**9)}


class Grants:
    """(user, path, purpose) -> (absolute path, expiry): one audit row per play."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[tuple[str, str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            found = self._grants.get(key)
            return found[0] if found and found[1] > time.monotonic() else None

    def put(self, key: tuple[str, str, str], path: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._grants) > 2000:
                self._grants = {k: v for k, v in self._grants.items() if v[1] > now}
            self._grants[key] = (path, now + GRANT_S)


def _seeking() -> bool:
    """A range request past the start: the same play, not a new one."""
    rng = request.environ.get("HTTP_RANGE", "")
    return rng.startswith("bytes=") and not rng.startswith("bytes=0-")


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api
    grants = Grants()

    @r.get("/api/recordings", permission=MAY, query=SEARCH, response=paged(RECORDING),
           summary="Recordings by time, agent, queue, complete number or call")
    def api_recordings() -> dict[str, Any]:
        return api.find_recordings(me(), **args())

    @r.get("/api/recordings/audio", permission=MAY, kind="file",
           query={"path": p_text(300), "download": p_choice("1")},
           summary="The audio of a recording (HTTP Range supported); audited as "
           "recording.play, or recording.download with download=1")
    def api_audio() -> Any:
        p = me()
        a = args()
        path = a.get("path")
        if not path:
            raise fail(400, "path: required", parameter="path")
        purpose = "download" if a.get("download") else "play"
        key = (p.user, path, purpose)
        full = grants.get(key) if _seeking() else None
        if full is None:
            full = api.recording_file(p, path, purpose)
            grants.put(key, full)
        if not os.path.isfile(full):
            raise fail(404, "the recording file is missing")
        res = bottle.static_file(os.path.basename(full), root=os.path.dirname(full),
                                 mimetype="audio/wav",
                                 download=os.path.basename(full) if purpose == "download"
                                 else False)
        res.set_header("Cache-Control", "private, no-store")
        return res

    @r.get("/recordings", permission=MAY, query=SEARCH, summary="Search and play recordings")
    def recordings_page() -> str:
        a = args()
        a.setdefault("limit", 50)
        a.setdefault("offset", 0)
        result = api.find_recordings(me(), **a)
        rows = [{**x, "time": local_time(x.get("created_at")), "length": duration(x["seconds"]),
                 "play": "/api/recordings/audio?" + urlencode({"path": x["path"]}),
                 "download": "/api/recordings/audio?" + urlencode({"path": x["path"],
                                                                   "download": "1"})}
                for x in result["items"]]
        shown = {k: v for k, v in request.query.items() if v and k != "offset"}

        def link(offset: int) -> str:
            return "/recordings?" + urlencode({**shown, "offset": offset})
        lim, off = a["limit"], a["offset"]
        return page("recordings", "Recordings", rows=rows, total=result["total"],
                    filters=shown,
                    newer=link(max(0, off - lim)) if off > 0 else None,
                    older=link(off + lim) if off + lim < result["total"] else None)

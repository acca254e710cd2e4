"""The call list (page and API): newest first, filtered, scoped and masked by the API
(``calls.read``: the principal's own seat; ``calls.read_all``: every call)."""
from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from bottle import request

from firmware.api import DISPOSITIONS
from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import ANY_OBJ, OPT_NUM, OPT_STR, STR, args, me, obj, paged
from webui.pages import duration, local_time, page
from webui.params import CALL_PARAMS
from webui.routing import Router

TAG = "calls"
READ = ("calls.read", "calls.read_all")
CALL = obj(("id", "started_at", "disposition"), id=STR, started_at=STR, caller_number=STR,
           caller_name=STR, did=STR, queue=STR, agent=STR, disposition=STR, wait_s=OPT_NUM,
           talk_s=OPT_NUM, recording=OPT_STR, ended_at=OPT_STR)
CALL_DETAIL = {**CALL, "properties": {**CALL["properties"],
                                      "queue_events": {"type": "array", "items": ANY_OBJ},
                                      "recordings": {"type": "array", "items": ANY_OBJ}}}


def row(c: dict[str, Any]) -> dict[str, Any]:
    return {**c, "time": local_time(c["started_at"]), "wait": duration(c["wait_s"]),
            "talk": duration(c["talk_s"]),
            "caller": " ".join(x for x in (c["caller_name"], c["caller_number"]) if x)}


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.get("/api/calls", permission=READ, query=CALL_PARAMS, response=paged(CALL),
           summary="Calls, newest first (own seat's without calls.read_all)")
    def api_calls() -> dict[str, Any]:
        return api.calls(me(), **args())

    @r.get("/api/calls/<call_id>", permission=READ, response=CALL_DETAIL,
           summary="One call with its queue events, recordings and cost")
    def api_call(call_id: str) -> dict[str, Any]:
        if len(call_id) > 64:
            raise fail(404, "no such call")
        return api.call(me(), call_id)

    @r.get("/calls", permission=READ, query=CALL_PARAMS, summary="The call list page")
    def calls_page() -> str:
        a = args()
        a.setdefault("limit", 50)
        a.setdefault("offset", 0)
        p = me()
        result = api.calls(p, **a)
        shown = {k: v for k, v in request.query.items() if v and k not in ("offset",)}

        def link(offset: int) -> str:
            return "/calls?" + urlencode({**shown, "offset": offset})
        lim, off = a["limit"], a["offset"]
        return page("calls", "Calls", calls=[row(c) for c in result["items"]],
                    total=result["total"], filters=shown, dispositions=DISPOSITIONS,
                    all_calls=p.can("calls.read_all"),
                    newer=link(max(0, off - lim)) if off > 0 else None,
                    older=link(off + lim) if off + lim < result["total"] else None,
                    self_url=request.fullpath + ("?" + request.query_string
                                                 if request.query_string else ""),
                    updated=time.strftime("%H:%M:%S"))

"""The web UI as one bottle application: pages and the REST/JSON API of every area.

Everything shown comes from ``firmware.api.Api`` (a thread-safe facade over the
daemon loop); this package holds no call logic, opens no database, checks no
permission of a data row and masks no number itself (the API does, per
principal). What this package decides is *which route* a principal may use:
each route is declared through ``webui.routing.Router`` with a permission
from the seam's list, checked by ``webui.access.AccessPlugin`` together with
the CSRF token, the Origin and the body size. The areas live in
``webui/routes/``, one module each; ``/api/openapi.json`` is generated from the
same declarations (``webui.openapi``).
"""
from __future__ import annotations

import json
import logging
from typing import Any

import bottle
from bottle import HTTPError, request, response

from firmware.api import Api, Clock
from webui import openapi
from webui.access import AccessPlugin, WebUi, is_api
from webui.pages import nav_for, render, user_view
from webui.routes import ROUTE_MODULES
from webui.routing import Router
from webui.spool import Spool

log = logging.getLogger("callbox.web")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")


def _headers() -> None:
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), geolocation=(), microphone=()"
    if "Cache-Control" not in h:
        h["Cache-Control"] = "no-cache" if request.path.startswith("/static/") else "no-store"


def make_app(api: Api, *, clock: Clock | None = None, stream_slots: int = 8) -> bottle.Bottle:
    """The web application; ``clock`` (the daemon's) drives login throttling;
    ``stream_slots`` caps the event streams open at once (each holds a server thread)."""
    app = bottle.Bottle(catchall=True, autojson=True)
    ui = WebUi(api, clock, stream_slots=stream_slots)
    plugin = AccessPlugin(ui)
    app.install(plugin)
    app.add_hook("after_request", _headers)
    routers: list[Router] = []
    for module in ROUTE_MODULES:
        r = Router(module.TAG)
        module.routes(r, ui, plugin)
        r.install(app)
        routers.append(r)
    doc = openapi.document([spec for r in routers for spec, _ in r.routes])
    app.config["callbox.openapi"] = doc
    app.config["callbox.ui"] = ui
    app.config["callbox.spools"] = ui.spools

    def error_page(err: HTTPError) -> str:
        if err.status_code >= 500 and err.traceback:
            log.error("unhandled error path=%s\n%s", request.path, err.traceback)
        message = err.body if isinstance(err.body, str) and err.status_code < 500 \
            else "internal error" if err.status_code >= 500 else "error"
        _headers()
        if is_api():
            response.content_type = "application/json"
            return json.dumps({"error": message})
        response.content_type = "text/html; charset=utf-8"
        p = ui.resolve_quietly()
        return render("error", title=err.status_line, status=err.status_line, message=message,
                      user=user_view(p), nav=nav_for(p), code=err.status_code)
    app.default_error_handler = error_page
    return app


def spools_of(app: bottle.Bottle) -> tuple[Spool, ...]:
    """The routes whose bodies the web server must stream to disk (``WebServer(spools=)``)."""
    return tuple(app.config["callbox.spools"])


def openapi_document(app: bottle.Bottle) -> dict[str, Any]:
    return app.config["callbox.openapi"]

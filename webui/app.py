"""The web UI: login, the Calls page and the JSON API, as one bottle application.

Everything the pages show comes from ``firmware.api.Api`` (a thread-safe
facade over the daemon loop); this package holds no call logic and opens no
database. Access is declared per route and checked by one plugin, default
deny: a route states ``public=True`` or the ``roles`` that may use it, and a
route that states neither answers 403. The same plugin checks CSRF on every
non-GET request and turns every unexpected exception into a plain 500 (the
traceback goes to the log, never to the client).

``/api/health`` is public, as a monitoring probe needs it to be, but shows an
anonymous caller only each component's status; the details (counts, versions,
paths) need a login. It answers 503 when any component is down.
Agents see only the calls their seat took.
"""
from __future__ import annotations

import hmac
import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, NoReturn
from urllib.parse import urlencode

import bottle
from bottle import HTTPError, HTTPResponse, request, response

from firmware.api import (DISPOSITIONS, Api, ApiError, Clock, StoreError, SystemClock,
                          ValidationError)
from webui.auth import LOGIN_NONCE_COOKIE, SESSION_COOKIE, CookieSigner, LoginThrottle, same_origin
from webui.params import CALL_PARAMS, ParamError, parse_query

log = logging.getLogger("callbox.web")

HERE = Path(__file__).resolve().parent
VIEWS = str(HERE / "views")
STATIC = str(HERE / "static")
ALL_ROLES = ("admin", "supervisor", "agent")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
STATIC_FILES = {"style.css", "calls.js", "favicon.svg"}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def fail(status: int, message: str, **extra: Any) -> HTTPResponse:
    """An error response: JSON under /api/, a small page elsewhere."""
    if _is_api():
        return HTTPResponse(json.dumps({"error": message, **extra}), status=status,
                            headers={"Content-Type": "application/json"})
    return HTTPError(status, message)


def _local_time(iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone() \
        .strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float | None) -> str:
    if not seconds:
        return "0:00"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def redirect(url: str) -> NoReturn:
    """``bottle.redirect`` (303, keeps cookies set on ``response``), typed as never returning."""
    bottle.redirect(url, 303)
    raise AssertionError("bottle.redirect returned")


def render(name: str, **kw: Any) -> str:
    return bottle.template(name, template_lookup=[VIEWS], **kw)


class WebUi:
    """Request-time helpers shared by the routes (one per application)."""

    def __init__(self, api: Api, clock: Clock) -> None:
        self.api = api
        self.signer = CookieSigner(api.secret("web.cookie"))
        self.throttle = LoginThrottle(clock)

    # sessions ---------------------------------------------------------------
    def session(self) -> dict[str, Any] | None:
        env = request.environ
        if "callbox.session" not in env:
            token = self.signer.unsign(request.get_cookie(SESSION_COOKIE))
            env["callbox.session"] = None if token is None else self.api.session(token)
            env["callbox.token"] = token
        return env["callbox.session"]

    def set_cookie(self, name: str, value: str, **kw: Any) -> None:
        response.set_cookie(name, value, path="/", httponly=True, samesite="Strict",
                            secure=request.urlparts.scheme == "https", **kw)

    # checks the access plugin runs ---------------------------------------------
    def check_csrf(self) -> None:
        if not same_origin(request.get_header("Host"), request.get_header("Origin"),
                           request.get_header("Referer")):
            raise fail(403, "cross-site request refused")
        token = request.forms.get("csrf") or request.get_header("X-CSRF-Token")
        if request.path == "/login":
            ok = self.signer.check_login_csrf(request.get_cookie(LOGIN_NONCE_COOKIE), token)
        else:
            s = self.session()
            ok = s is not None and token is not None and \
                hmac.compare_digest(str(token), s["csrf"])
        if not ok:
            raise fail(403, "missing or wrong form token; reload the page and try again")

    def require(self, roles: tuple[str, ...]) -> dict[str, Any]:
        s = self.session()
        if s is None:
            if _is_api() or request.method not in SAFE_METHODS:
                raise fail(401, "login required")
            redirect("/login")
        if s["role"] not in roles:
            raise fail(403, "your role may not use this page")
        return s


class AccessPlugin:
    """Per-route access (``public=True`` or ``roles=(...)``), CSRF and error hygiene."""

    name = "callbox_access"
    api = 2

    def __init__(self, ui: WebUi) -> None:
        self.ui = ui

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        public = route.config.get("public", False) is True
        roles = tuple(route.config.get("roles", ()))
        ui = self.ui

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                if request.method not in SAFE_METHODS:
                    ui.check_csrf()
                if not public:
                    if not roles:
                        log.error("route %s %s declares no access; denied", route.method,
                                  route.rule)
                        raise fail(403, "forbidden")
                    request.environ["callbox.user"] = ui.require(roles)
                return callback(*args, **kwargs)
            except HTTPResponse:
                raise
            except ParamError as exc:
                raise fail(400, str(exc), parameter=exc.parameter) from None
            except ValidationError as exc:
                raise fail(400, f"{exc.field}: expected {exc.expected}",
                           parameter=exc.field) from None
            except ApiError as exc:
                log.warning("api error on %s: %s", request.path, exc)
                raise fail(exc.status, "the appliance is busy; try again" if exc.status == 503
                           else "request refused") from None
            except Exception as exc:
                log.exception("web handler failed path=%s", request.path)
                what = "database error" if isinstance(exc, StoreError) else "internal error"
                raise fail(500, what) from None
        return wrapper


def _headers() -> None:
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cache-Control"] = "no-cache" if request.path.startswith("/static/") else "no-store"


def make_app(api: Api, *, clock: Clock | None = None) -> bottle.Bottle:
    """The web application; ``clock`` (the daemon's) drives login throttling."""
    app = bottle.Bottle(catchall=True, autojson=True)
    ui = WebUi(api, clock or SystemClock())
    app.install(AccessPlugin(ui))
    app.add_hook("after_request", _headers)

    def error_page(err: HTTPError) -> str:
        if err.status_code >= 500 and err.traceback:
            log.error("unhandled error path=%s\n%s", request.path, err.traceback)
        message = err.body if isinstance(err.body, str) and err.status_code < 500 \
            else "internal error" if err.status_code >= 500 else "error"
        if _is_api():
            response.content_type = "application/json"
            return json.dumps({"error": message})
        response.content_type = "text/html; charset=utf-8"
        return render("error", title=err.status_line, status=err.status_line, message=message,
                      user=None)
    app.default_error_handler = error_page  # type: ignore[method-assign]

    @app.get("/", public=True)
    def index() -> None:
        redirect("/calls")

    @app.get("/static/<name>", public=True)
    def static(name: str) -> Any:
        if name not in STATIC_FILES:
            raise fail(404, "not found")
        return bottle.static_file(name, root=STATIC)

    # login / logout ------------------------------------------------------------
    def login_form(error: str = "", username: str = "", status: int = 200) -> str:
        nonce = request.get_cookie(LOGIN_NONCE_COOKIE)
        if not nonce or len(nonce) > 64:
            nonce = ui.signer.new_login_nonce()
            ui.set_cookie(LOGIN_NONCE_COOKIE, nonce)
        response.status = status
        return render("login", title="Log in", csrf=ui.signer.login_csrf(nonce),
                      error=error, username=username, user=None)

    @app.get("/login", public=True)
    def login_get() -> str:
        if ui.session() is not None:
            redirect("/calls")
        return login_form()

    @app.post("/login", public=True)
    def login_post() -> str:
        username = (request.forms.getunicode("username") or "").strip()[:64]
        password = request.forms.getunicode("password") or ""
        ip = request.environ.get("REMOTE_ADDR", "")
        wait = ui.throttle.retry_after(ip, username)
        if wait > 0:
            response.set_header("Retry-After", str(int(wait) + 1))
            return login_form(f"Too many failed attempts. Try again in {int(wait) + 1} s.",
                              username, 429)
        user = api.login(username, password) if username and password else None
        if user is None:
            n = ui.throttle.failure(ip, username)
            log.warning("web login failed user=%r src=%s failures=%d", username, ip, n)
            api.publish("web.login_failed", user=username, src=ip, failures=n)
            if ui.throttle.locked(username):
                api.publish("web.login_locked", user=username, src=ip)
            return login_form("Wrong user name or password.", username, 200)
        ui.throttle.success(ip, username)
        old = ui.signer.unsign(request.get_cookie(SESSION_COOKIE))
        if old:
            api.close_session(old)               # a login always starts a new session
        token, _ = api.open_session(user["username"])
        ui.set_cookie(SESSION_COOKIE, ui.signer.sign(token))
        response.delete_cookie(LOGIN_NONCE_COOKIE, path="/")
        log.info("web login user=%r role=%s src=%s", user["username"], user["role"], ip)
        redirect("/calls")

    @app.post("/logout", roles=ALL_ROLES)
    def logout() -> None:
        token = request.environ.get("callbox.token")
        if token:
            api.close_session(token)
        response.delete_cookie(SESSION_COOKIE, path="/")
        redirect("/login")

    # calls -------------------------------------------------------------------
    def call_query() -> dict[str, Any]:
        query = {k: request.query.getall(k) for k in request.query.keys()}
        args = parse_query(query, CALL_PARAMS)
        user = request.environ["callbox.user"]
        if user["role"] == "agent":              # agents see their own seat's calls only
            args["agent"] = user["seat"] or "-"
        return args

    @app.get("/api/calls", roles=ALL_ROLES)
    def api_calls() -> dict[str, Any]:
        return api.list_calls(**call_query())

    @app.get("/api/calls/<call_id>", roles=ALL_ROLES)
    def api_call(call_id: str) -> dict[str, Any]:
        c = api.get_call(call_id[:64])
        user = request.environ["callbox.user"]
        if c is None or (user["role"] == "agent" and c["agent"] != user["seat"]):
            raise fail(404, "no such call")
        return {"call": c, "queue_events": api.queue_events(c["id"])}

    @app.get("/calls", roles=ALL_ROLES)
    def calls_page() -> str:
        args = call_query()
        args.setdefault("limit", 50)
        args.setdefault("offset", 0)
        page = api.list_calls(**args)
        rows = [{**c, "time": _local_time(c["started_at"]), "wait": _duration(c["wait_s"]),
                 "talk": _duration(c["talk_s"]),
                 "caller": " ".join(x for x in (c["caller_name"], c["caller_number"]) if x)}
                for c in page["items"]]
        shown = {k: v for k, v in request.query.items() if v and k not in ("offset",)}

        def link(offset: int) -> str:
            return "/calls?" + urlencode({**shown, "offset": offset})
        lim, off = args["limit"], args["offset"]
        return render("calls", title="Calls", user=request.environ["callbox.user"], calls=rows,
                      total=page["total"], filters=shown, dispositions=DISPOSITIONS,
                      newer=link(max(0, off - lim)) if off > 0 else None,
                      older=link(off + lim) if off + lim < page["total"] else None,
                      self_url=request.fullpath + ("?" + request.query_string
                                                   if request.query_string else ""),
                      updated=time.strftime("%H:%M:%S"))

    # health ------------------------------------------------------------------
    @app.get("/api/health", public=True)
    def api_health() -> dict[str, Any]:
        try:
            h = api.health()
        except ApiError as exc:
            h = {"status": "down", "components": {
                "daemon": {"status": "down", "detail": "the daemon did not answer"}}}
            log.warning("health check failed: %s", exc)
        if ui.session() is None:                  # anonymous: statuses only, no details
            h = {"status": h["status"], "time": h.get("time"),
                 "components": {k: {"status": v["status"]} for k, v in h["components"].items()}}
        response.status = 503 if h["status"] == "down" else 200
        return h

    return app

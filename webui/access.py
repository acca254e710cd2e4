"""Per request: who is asking, may they, is the request genuine; and errors as 4xx.

``AccessPlugin`` wraps every route declared through ``webui.routing.Router``:

1. the request body is within the route's ``max_body`` (413 otherwise);
2. the principal is resolved once: an ``Authorization: Bearer`` API token, or
   else the signed session cookie (``api.web_session``: principal and CSRF token
   in one trip to the daemon);
3. state-changing requests made with a session cookie carry the session's CSRF
   token (form field ``csrf`` or header ``X-CSRF-Token``) and, when the browser
   sends one, an ``Origin``/``Referer`` naming this host. Requests with an API
   token carry no ambient authority and need neither;
4. the route's permission (``RouteSpec.allows``): no principal is 401 (a page
   redirects to the login form), a principal without it is 403;
5. the route's query parameters are parsed (``request.environ["callbox.args"]``);
6. errors become answers: ``ParamError``/``ValidationError``/``ApiError`` keep
   their status, anything else is a 500 that says nothing of the inside.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Callable
from urllib.parse import urlencode

import bottle
from bottle import HTTPError, HTTPResponse, request

from firmware.api import Api, ApiError, Clock, StoreError, SystemClock, ValidationError
from firmware.crm.permissions import Principal
from webui.auth import LOGIN_NONCE_COOKIE, SESSION_COOKIE, CookieSigner, LoginThrottle, same_origin
from webui.params import ParamError, parse_query
from webui.routing import PUBLIC, spec_of

log = logging.getLogger("callbox.web")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_api() -> bool:
    return request.path.startswith("/api/")


def fail(status: int, message: str, headers: dict[str, str] | None = None,
         **extra: Any) -> HTTPResponse:
    """An error answer: JSON under /api/, the error page (with navigation) elsewhere."""
    if is_api():
        return HTTPResponse(json.dumps({"error": message, **extra}), status=status,
                            headers={"Content-Type": "application/json", **(headers or {})})
    return HTTPError(status, message, headers=headers)


class WebUi:
    """Request-time state shared by the routes (one per application)."""

    def __init__(self, api: Api, clock: Clock | None = None, *, stream_slots: int = 8) -> None:
        self.api = api
        self.signer = CookieSigner(api.secret("web.cookie"))
        self.throttle = LoginThrottle(clock or SystemClock())
        self.stream_slots = stream_slots
        self.streams: Any = None            # webui.routes.meta.StreamSlots, once installed
        self.spools: tuple[Any, ...] = ()   # webui.spool.Spool: bodies the server streams to disk

    # identity -----------------------------------------------------------------
    def resolve(self) -> Principal | None:
        """The principal of this request (cached in the environ), or None."""
        env = request.environ
        if "callbox.principal" in env:
            return env["callbox.principal"]
        p: Principal | None = None
        auth = request.get_header("Authorization") or ""
        env["callbox.csrf"] = None
        env["callbox.token"] = None
        if auth:
            scheme, _, secret = auth.partition(" ")
            if scheme.lower() == "bearer" and 0 < len(secret.strip()) <= 200:
                p = self.api.principal_for_api_token(secret.strip())
        else:
            token = self.signer.unsign(request.get_cookie(SESSION_COOKIE))
            if token is not None:
                s = self.api.web_session(token)
                if s is not None:
                    p, env["callbox.csrf"], env["callbox.token"] = s["principal"], s["csrf"], token
        env["callbox.principal"] = p
        return p

    def resolve_quietly(self) -> Principal | None:
        """For error pages: the principal if it can be had, else None (never raises)."""
        try:
            return self.resolve()
        except Exception:
            return None

    def set_cookie(self, name: str, value: str, **kw: Any) -> None:
        bottle.response.set_cookie(name, value, path="/", httponly=True, samesite="Strict",
                                   secure=request.urlparts.scheme == "https", **kw)

    # checks -----------------------------------------------------------------------
    def check_csrf(self, p: Principal | None) -> None:
        if p is not None and p.via == "token":
            return
        if not same_origin(request.get_header("Host"), request.get_header("Origin"),
                           request.get_header("Referer")):
            raise fail(403, "cross-site request refused")
        token = request.get_header("X-CSRF-Token")
        if token is None and request.content_type.startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            token = request.forms.get("csrf")
        if request.path == "/login":
            ok = self.signer.check_login_csrf(request.get_cookie(LOGIN_NONCE_COOKIE), token)
        else:
            expected = request.environ.get("callbox.csrf")
            ok = expected is not None and token is not None and \
                hmac.compare_digest(str(token), str(expected))
        if not ok:
            raise fail(403, "missing or wrong form token; reload the page and try again")


def _content_length() -> int:
    try:
        return int(request.environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise fail(400, "Content-Length is not a number") from None


class AccessPlugin:
    name = "callbox_access"
    api = 2

    def __init__(self, ui: WebUi) -> None:
        self.ui = ui
        self.closing: list[Callable[[], None]] = []

    def close(self) -> None:
        for fn in self.closing:
            fn()

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        spec = spec_of(route)
        ui = self.ui

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                if spec is None:
                    log.error("route %s %s bypassed the router; denied", route.method, route.rule)
                    raise fail(403, "forbidden")
                if _content_length() > spec.max_body:
                    raise fail(413, f"request body too large (at most {spec.max_body} bytes)",
                               limit=spec.max_body)
                p = ui.resolve()
                if request.method not in SAFE_METHODS:
                    ui.check_csrf(p)
                if spec.permission != PUBLIC:
                    if p is None:
                        if spec.kind == "page" and request.method in SAFE_METHODS:
                            here = request.fullpath + (
                                "?" + request.query_string if request.query_string else "")
                            bottle.redirect("/login?" + urlencode({"next": here}), 303)
                        raise fail(401, "login required")
                    if not spec.allows(p.permissions):
                        raise fail(403, "your role may not use this page" if spec.kind == "page"
                                   else "forbidden", permission=_perm_text(spec.permission))
                query = {k: request.query.getall(k) for k in request.query.keys()}
                request.environ["callbox.args"] = parse_query(query, spec.query)
                result = callback(*args, **kwargs)
                if spec.kind == "api" and isinstance(result, (dict, list)):
                    bottle.response.content_type = "application/json"
                    return json.dumps(result, ensure_ascii=False)
                return result
            except HTTPResponse:
                raise
            except ParamError as exc:
                raise fail(400, str(exc), parameter=exc.parameter) from None
            except ValidationError as exc:
                raise fail(400, f"{exc.field}: expected {exc.expected}",
                           parameter=exc.field) from None
            except ApiError as exc:
                if exc.status >= 500:
                    log.warning("api error on %s: %s", request.path, exc)
                    raise fail(exc.status, "the appliance is busy; try again"
                               if exc.status == 503 else "internal error") from None
                extra = {k: v for k, v in exc.context.items()
                         if k in ("field", "expected", "permission", "limit")}
                raise fail(exc.status, str(exc), **extra) from None
            except Exception as exc:
                log.exception("web handler failed path=%s", request.path)
                what = "database error" if isinstance(exc, StoreError) else "internal error"
                raise fail(500, what) from None
        return wrapper


def _perm_text(permission: str | tuple[str, ...]) -> str:
    return permission if isinstance(permission, str) else " or ".join(permission)

"""One way to declare a route: its permission, its parameters and its answer.

Every handler of the web UI is declared through a ``Router`` with

- ``permission``: a name from ``firmware.crm.permissions.PERMISSIONS`` (or a
  tuple of them, any of which will do), ``LOGGED_IN`` (any principal) or
  ``PUBLIC`` (no login). There is no default: a route without one cannot be
  declared, and the access plugin refuses a bottle route that bypassed the router;
- ``query``: the query parameters with their parsers (``webui.params``), parsed
  before the handler runs (an unknown or malformed one is 400 naming it);
- ``body`` / ``response``: JSON Schemas of the request and 200 answer of API
  routes, from which ``webui.openapi`` writes ``/api/openapi.json``;
- ``max_body``: the largest request body the route takes (413 above).

Role names never appear in a route: the role editor can make any role, and
the route x role matrix test derives the expected answer from the permission.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from firmware.crm.permissions import PERMISSIONS

PUBLIC = "public"
LOGGED_IN = "logged-in"
DEFAULT_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str                                   # bottle rule: /api/customers/<customer_id:int>
    permission: str | tuple[str, ...]
    summary: str
    kind: str = "page"                          # page | api | file | stream | form
    query: Mapping[str, Callable[[str], Any]] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None       # JSON Schema of the request body (api)
    response: Mapping[str, Any] | None = None   # JSON Schema of the 200 answer (api)
    status: int = 200                           # the success status
    max_body: int = DEFAULT_MAX_BODY
    tag: str = ""
    errors: tuple[int, ...] = ()                # more error statuses than the usual ones

    def allows(self, permissions: frozenset[str] | set[str] | None) -> bool:
        """Whether a principal holding ``permissions`` (None: nobody logged in) may call it."""
        if self.permission == PUBLIC:
            return True
        if permissions is None:
            return False
        if self.permission == LOGGED_IN:
            return True
        wanted = (self.permission,) if isinstance(self.permission, str) else self.permission
        return any(p in permissions for p in wanted)


def _check_permission(permission: str | tuple[str, ...]) -> None:
    names = (permission,) if isinstance(permission, str) else permission
    if not names:
        raise ValueError("a route needs a permission")
    for n in names:
        if n not in PERMISSIONS and n not in (PUBLIC, LOGGED_IN):
            raise ValueError(f"unknown permission {n!r}")


class Router:
    """Collects ``(RouteSpec, handler)`` pairs; ``install(app)`` adds them to bottle."""

    def __init__(self, tag: str = "") -> None:
        self.tag = tag
        self.routes: list[tuple[RouteSpec, Callable[..., Any]]] = []

    def route(self, method: str, path: str, *, permission: str | tuple[str, ...],
              summary: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        _check_permission(permission)
        if path.startswith("/api/"):
            kw.setdefault("kind", "api")
        if kw.get("body") is not None:              # an API body names its fields exactly
            kw["body"] = {**kw["body"], "additionalProperties": False}
        spec = RouteSpec(method, path, permission, summary, tag=kw.pop("tag", self.tag), **kw)

        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.routes.append((spec, fn))
            return fn
        return deco

    def get(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("DELETE", path, **kw)

    def install(self, app: Any) -> None:
        for spec, fn in self.routes:
            app.route(spec.path, spec.method, fn, spec=spec)


def spec_of(route: Any) -> RouteSpec | None:
    spec = route.config.get("spec")
    return spec if isinstance(spec, RouteSpec) else None

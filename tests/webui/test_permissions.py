"""Every route x every built-in role (and nobody): the answer follows the route's permission.

The expected answer is derived from ``RouteSpec.permission`` and the role's permission
set (``firmware.crm.permissions.BUILTIN_ROLES``), never written per route: a route
that a role may use must not answer 401/403 to it, a route it may not use must answer
403 (a page: the error page with the role's navigation), and nobody logged in gets
401 from the API and the login form from a page. Every request is genuine (session
cookie, CSRF token, same Origin) so that only the permission decides.
"""
from __future__ import annotations

import http.client
import re
from typing import Any, Iterator

import pytest

from firmware.crm.permissions import BUILTIN_ROLES
from tests.webui.support import PASSWORD, Client, Web
from webui.routing import LOGGED_IN, PUBLIC, RouteSpec, spec_of

ROLES = sorted(BUILTIN_ROLES)


@pytest.fixture(scope="module")
def sessions(web: Web) -> dict[str, tuple[Client, str]]:
    """A logged-in client and its CSRF token per built-in role."""
    assert web.daemon.store is not None
    out = {}
    for role in ROLES:
        name = f"m-{role.replace('_', '-')}"
        web.daemon.run(web.daemon.store.users.put(name, PASSWORD, role, "209"))
        c, r = web.login(name)
        assert r.status == 303, (role, r.status)
        out[role] = (c, c.get("/account").form_token())
    return out


def _routes(web: Web) -> list[tuple[str, RouteSpec]]:
    out = []
    for route in web.app.routes:
        spec = spec_of(route)
        assert spec is not None
        if spec.path in ("/logout", "/login", "/account/password"):
            continue                      # they end or change the session: tested in test_app
        path = re.sub(r"<[a-z_]+:int>", "999999", spec.path)
        path = re.sub(r"<[a-z_]+(:[a-z]+)?>", "nonexistent", path)
        out.append((path, spec))
    return out


def _call(web: Web, client: Client | None, csrf: str, path: str, spec: RouteSpec) -> int:
    headers = {**web.origin}
    if client is not None:
        headers["X-CSRF-Token"] = csrf
    if spec.kind == "stream":                  # read the status line, then hang up
        conn = http.client.HTTPConnection("127.0.0.1", web.server.port, timeout=10)
        try:
            if client is not None:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            conn.request(spec.method, path, headers=headers)
            return conn.getresponse().status
        finally:
            conn.close()
    c = client or web.client()
    if spec.method == "GET":
        return c.get(path, headers=headers).status
    if spec.kind == "api":
        return c.request(spec.method, path, json={}, headers=headers).status
    return c.request(spec.method, path, form={"csrf": csrf}, headers=headers).status


def test_the_matrix_has_every_route(web: Web) -> None:
    specs = [s for _, s in _routes(web)]
    assert len(specs) >= 80
    assert {s.permission for s in specs if isinstance(s.permission, str)} >= {
        PUBLIC, LOGGED_IN, "customers.read", "users.admin", "queues.admin", "supervise",
        "reports.read", "audit.read", "tickets.write"}


@pytest.mark.parametrize("role", ROLES)
def test_route_x_role(web: Web, sessions: dict[str, tuple[Client, str]], role: str) -> None:
    client, csrf = sessions[role]
    perms = BUILTIN_ROLES[role]
    wrong = []
    for path, spec in _routes(web):
        status = _call(web, client, csrf, path, spec)
        if spec.allows(perms):
            if status in (401, 403) or status >= 500:
                wrong.append(f"{spec.method} {spec.path}: {status}, expected allowed")
        elif status != 403:
            wrong.append(f"{spec.method} {spec.path}: {status}, expected 403")
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)


def test_route_x_nobody(web: Web) -> None:
    wrong = []
    for path, spec in _routes(web):
        status = _call(web, None, "", path, spec)
        if spec.permission == PUBLIC:
            ok = status not in (401, 403) and status < 500
        elif spec.kind == "page" and spec.method == "GET":
            ok = status == 303
        elif spec.method == "GET":
            ok = status == 401
        else:
            ok = status in (401, 403)          # no session: no CSRF token either
        if not ok:
            wrong.append(f"{spec.method} {spec.path}: {status}")
    assert wrong == []


def test_every_page_answers_an_api_token_too(web: Web) -> None:
    """Integrations may read pages with a token (no session, no CSRF token): no 5xx."""
    from firmware.crm.permissions import Principal
    token = web.api.create_api_token(Principal.system("test"), "m-pages", "admin")["token"]
    c = web.client()
    wrong = []
    for path, spec in _routes(web):
        if spec.method == "GET" and spec.kind == "page":
            status = c.get(path, headers={"Authorization": f"Bearer {token}"}).status
            if status >= 500 or status in (401, 403):
                wrong.append(f"{path}: {status}")
    assert wrong == []


def test_a_403_page_keeps_the_navigation_of_the_role(web: Web,
                                                     sessions: dict[str, Any]) -> None:
    client, _ = sessions["agent"]
    r = client.get("/admin/users")
    assert r.status == 403
    assert 'id="nav"' in r.text and 'href="/desk"' in r.text and 'id="logout"' in r.text
    assert 'href="/admin"' not in r.text                    # not offered what it may not use
    assert "your role may not use this page" in r.text and "Traceback" not in r.text
    api = client.get("/api/users")
    assert api.status == 403 and api.json()["permission"] == "users.admin"


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's web UI lives across tests
    yield

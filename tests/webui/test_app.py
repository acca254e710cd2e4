"""The web UI over real HTTP (waitress on a random port, a real daemon loop and store)."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from firmware.store.db import load_migrations, newest
from tests.store.support import T0
from tests.webui.support import PASSWORD, Reply, Web, healthy, start_web, stop_web
from webui.app import make_app

@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    w = start_web(tmp_path_factory.mktemp("web"))
    yield w
    stop_web(w)


@pytest.fixture
def own_web(tmp_path: Path) -> Iterator[Web]:
    """A web UI of its own, for tests that change state (throttle, closed store)."""
    w = start_web(tmp_path)
    yield w
    stop_web(w)


# login, sessions, cookies --------------------------------------------------------

def test_root_and_pages_send_an_anonymous_visitor_to_the_login(web: Web) -> None:
    c = web.client()
    r = c.get("/")
    assert (r.status, r.headers["Location"]) == (303, f"{web.server.url}/login")
    r = c.get("/calls?queue=support")
    assert (r.status, r.headers["Location"]) == (
        303, f"{web.server.url}/login?next=%2Fcalls%3Fqueue%3Dsupport")
    form = c.get("/login?next=/calls%3Fqueue%3Dsupport")
    assert 'name="next" value="/calls?queue=support"' in form.text
    token = form.form_token()
    r = c.post("/login", {"csrf": token, "username": "admin", "password": PASSWORD,
                          "next": "/calls?queue=support"}, headers=web.origin)
    assert r.headers["Location"] == f"{web.server.url}/calls?queue=support"   # back to it
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        c2 = web.client()
        token = c2.get("/login").form_token()
        r = c2.post("/login", {"csrf": token, "username": "admin", "password": PASSWORD,
                               "next": evil}, headers=web.origin)
        assert r.headers["Location"] == f"{web.server.url}/admin", evil   # never off-site
    c, _ = web.login("admin")
    r = c.get("/")
    assert (r.status, r.headers["Location"]) == (303, f"{web.server.url}/admin")


def test_login_sets_a_signed_httponly_strict_cookie(web: Web) -> None:
    c, r = web.login("admin")
    assert r.status == 303 and r.headers["Location"].endswith("/admin")
    cookie = next(s for s in r.set_cookies if s.startswith("callbox_session="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    token, mac = c.cookies["callbox_session"].split(".")
    assert len(token) >= 40 and len(mac) >= 40
    page = c.get("/calls")
    assert page.status == 200 and "admin · admin" in page.text
    _, r = web.login("ann")
    assert r.headers["Location"].endswith("/desk")          # an agent lands on the desk


def test_wrong_password_and_unknown_user_look_the_same(web: Web) -> None:
    _, wrong = web.login("admin", "not the password")
    _, unknown = web.login("mallory", "not the password")
    for r in (wrong, unknown):
        assert r.status == 200 and "Wrong user name or password." in r.text
        assert not any(s.startswith("callbox_session=") for s in r.set_cookies)


def test_a_forged_or_foreign_cookie_is_not_a_session(web: Web) -> None:
    c = web.client()
    c.cookies["callbox_session"] = "abc.def"
    assert c.get("/api/calls").status == 401
    c2, _ = web.login("admin")
    token = c2.cookies["callbox_session"].split(".")[0]
    c.cookies["callbox_session"] = token + ".forgedmac"
    assert c.get("/api/calls").status == 401


def test_logout_needs_its_token_and_ends_the_session(web: Web) -> None:
    c, _ = web.login("admin")
    stolen = dict(c.cookies)
    assert c.post("/logout", {}, headers=web.origin).status == 403       # no token
    assert c.get("/api/calls").status == 200                               # still logged in
    token = c.get("/calls").form_token()
    r = c.post("/logout", {"csrf": token}, headers=web.origin)
    assert (r.status, r.headers["Location"]) == (303, f"{web.server.url}/login")
    assert "callbox_session" not in c.cookies
    replay = web.client()
    replay.cookies.update(stolen)
    assert replay.get("/api/calls").status == 401                          # revoked server-side


def test_login_rotates_the_session(web: Web) -> None:
    c, _ = web.login("admin")
    first = dict(c.cookies)
    fresh = web.client()                       # a login form, posted with c's session cookie
    token = fresh.get("/login").form_token()
    c.cookies["callbox_login"] = fresh.cookies["callbox_login"]
    r = c.post("/login", {"csrf": token, "username": "admin", "password": PASSWORD},
               headers=web.origin)
    assert r.status == 303
    assert c.cookies["callbox_session"] != first["callbox_session"]
    old = web.client()
    old.cookies.update(first)
    assert old.get("/api/calls").status == 401


def test_login_form_without_token_or_from_another_site_is_refused(web: Web) -> None:
    c = web.client()
    token = c.get("/login").form_token()
    creds = {"username": "admin", "password": PASSWORD}
    assert c.post("/login", creds, headers=web.origin).status == 403
    assert c.post("/login", {**creds, "csrf": "x" + token}, headers=web.origin).status == 403
    r = c.post("/login", {**creds, "csrf": token}, headers={"Origin": "http://evil.example"})
    assert r.status == 403 and "cross-site" in r.text
    other = web.client()                              # a token without its nonce cookie
    assert other.post("/login", {**creds, "csrf": token}, headers=web.origin).status == 403


def test_every_non_get_route_checks_csrf(web: Web) -> None:
    import re
    c, _ = web.login("admin")
    posts = [r for r in web.app.routes if r.method not in ("GET", "HEAD")]
    assert {"/login", "/logout"} <= {r.rule for r in posts}
    for route in posts:
        path = re.sub(r"<[^>]+>", "1", route.rule)
        r = c.request(route.method, path, form={"username": "admin", "password": PASSWORD},
                      headers=web.origin)
        assert r.status == 403, route.rule
        assert "form token" in r.text or "cross-site" in r.text, route.rule


def test_every_route_declares_its_access() -> None:
    from webui.routing import PUBLIC, spec_of
    app = make_app(_NoDaemonApi())  # type: ignore[arg-type]
    for route in app.routes:
        spec = spec_of(route)
        assert spec is not None, f"{route.method} {route.rule} bypassed the router"
    public = sorted(r.rule for r in app.routes if spec_of(r).permission == PUBLIC)
    assert public == ["/", "/api/health", "/api/openapi.json", "/login", "/login",
                      "/static/<name>"]


class _NoDaemonApi:
    def secret(self, name: str) -> bytes:
        return bytes(32)


# the calls API and page --------------------------------------------------------

def test_api_calls_needs_a_session(web: Web) -> None:
    r = web.client().get("/api/calls")
    assert r.status == 401 and r.json() == {"error": "login required"}


def test_api_calls_lists_newest_first_with_filters(web: Web) -> None:
    c, _ = web.login("admin")
    body = c.get("/api/calls").json()
    assert body["total"] == 3 and body["limit"] == 50 and body["offset"] == 0
    assert [x["id"] for x in body["items"]] == [x.id for x in reversed(web.calls)]
    assert body["items"][-1]["started_at"] == "2026-11-18T11:06:40.000Z"
    assert [x["caller_name"] for x in c.get("/api/calls?queue=support").json()["items"]] == \
        ["Cy", "Ann Caller"]
    assert c.get("/api/calls?disposition=abandoned&limit=1").json()["total"] == 1
    assert c.get(f"/api/calls?since={T0 + 60}&until=2026-11-18T11:08:40Z").json()["total"] == 1
    one = c.get(f"/api/calls/{web.calls[0].id}").json()
    assert one["agent"] == "201" and one["queue_events"] == [] and one["recordings"] == []
    assert c.get(f"/api/calls/{uuid.uuid4()}").status == 404


@pytest.mark.parametrize("query, param", [
    ("limit=abc", "limit"), ("limit=0", "limit"), ("offset=-3", "offset"),
    ("since=someday", "since"), ("disposition=busy", "disposition"), ("sort=time", "sort"),
    ("limit=5&limit=6", "limit"), ("queue=%3Cscript%3E", "queue"),
])
def test_a_bad_parameter_is_400_naming_it(web: Web, query: str, param: str) -> None:
    c, _ = web.login("admin")
    r = c.get(f"/api/calls?{query}")
    assert r.status == 400
    body = r.json()
    assert body["parameter"] == param and body["error"].startswith(f"{param}: expected")
    page = c.get(f"/calls?{query}")                     # the page says it too, as HTML
    assert page.status == 400 and f"{param}: expected" in page.text
    assert "<script>" not in page.text


def test_an_agent_sees_only_their_seats_calls(web: Web) -> None:
    c, _ = web.login("ann")
    body = c.get("/api/calls?agent=202").json()          # cannot widen it either
    assert [x["agent"] for x in body["items"]] == ["201"]
    assert c.get(f"/api/calls/{web.calls[1].id}").status == 404
    page = c.get("/calls").text
    assert "Ann Caller" in page and "Bob" not in page


def test_calls_page_shows_the_calls_escaped(web: Web) -> None:
    c, _ = web.login("admin")
    page = c.get("/calls")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    text = page.text
    assert text.count('<tr data-call="') == 3
    assert "Bob &lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    for cell in ("Ann Caller 5551234", ">100<", ">support<", ">201<", ">0:07<", ">1:00<",
                 "disp-answered", "disp-abandoned", "recorded", 'id="refresh"'):
        assert cell in text, cell
    filtered = c.get("/calls?disposition=abandoned").text
    assert filtered.count('<tr data-call="') == 1 and 'value="abandoned" selected' in filtered


def test_paging_links(web: Web) -> None:
    c, _ = web.login("admin")
    first = c.get("/calls?limit=2").text
    assert "Older" in first and "Newer" not in first
    second = c.get("/calls?limit=2&offset=2").text
    assert second.count('<tr data-call="') == 1 and "Newer" in second


# health ---------------------------------------------------------------------

def test_health_is_public_with_statuses_only(web: Web) -> None:
    r = web.client().get("/api/health")
    body = r.json()
    assert r.status == 200 and body["status"] == "ok"
    assert body["components"] == {k: {"status": "ok"} for k in
                                  ("kamailio", "media_nodes", "hardware", "database")}


def test_health_details_need_a_login(web: Web) -> None:
    c, _ = web.login("admin")
    body = c.get("/api/health").json()
    assert body["components"]["database"]["schema_version"] == newest(load_migrations())
    assert body["components"]["media_nodes"]["legs_free"] == 4


def test_health_down_is_503(tmp_path: Path) -> None:
    async def kamailio_down() -> dict[str, Any]:
        return {**await healthy(), "kamailio": {"status": "down", "detail": "exited 1"}}
    w = start_web(tmp_path, kamailio_down)
    try:
        r = w.client().get("/api/health")
        assert r.status == 503
        assert r.json()["status"] == "down"
        assert r.json()["components"]["kamailio"] == {"status": "down"}
    finally:
        stop_web(w)


def test_health_of_a_stuck_daemon_is_503_not_a_hang(own_web: Web) -> None:
    import threading
    release = threading.Event()
    own_web.daemon.block(release)
    try:
        r = own_web.client().get("/api/health")
    finally:
        release.set()
    assert r.status == 503
    assert r.json()["components"] == {"daemon": {"status": "down"}}


# hardening --------------------------------------------------------------------

def _assert_hardened(r: Reply) -> None:
    h = r.headers
    assert "default-src 'self'" in h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"


def test_security_headers_everywhere(web: Web) -> None:
    c, _ = web.login("admin")
    for path in ("/login", "/calls", "/api/calls", "/api/health", "/nope", "/api/nope",
                 "/static/style.css"):
        r = c.get(path)
        _assert_hardened(r)
        if not path.startswith("/static/"):
            assert r.headers["Cache-Control"] == "no-store", path
    assert c.get("/api/nope").json() == {"error": "Not found: '/api/nope'"}


def test_static_files_only_the_known_ones(web: Web) -> None:
    c = web.client()
    r = c.get("/static/style.css")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/css")
    assert "@import" not in r.text and "http" not in r.text       # no external fonts or CDNs
    assert c.get("/static/calls.js").status == 200
    for bad in ("/static/..%2fapp.py", "/static/app.py", "/static/%2e%2e/app.py"):
        assert c.get(bad).status == 404, bad


def test_no_stack_trace_reaches_the_client(own_web: Web) -> None:
    c, _ = own_web.login("admin")
    assert own_web.daemon.store is not None
    own_web.daemon.run(own_web.daemon.store.close())      # the database goes away
    r = c.get("/api/calls")
    assert r.status == 500 and r.json() == {"error": "database error"}
    page = c.get("/calls")
    assert page.status == 500
    for leak in ("Traceback", "File \"", "sqlite", "aiosqlite"):
        assert leak not in r.text and leak not in page.text
    _assert_hardened(page)


def test_login_is_throttled_with_429_then_allowed_again(own_web: Web) -> None:
    from webui.auth import LoginThrottle
    c = own_web.client()
    for _ in range(LoginThrottle.FREE):
        assert "Wrong user name" in own_web.login("admin", "guess", client=c)[1].text
    _, r = own_web.login("admin", PASSWORD, client=c)      # even the right password waits
    assert r.status == 429 and r.headers["Retry-After"] == "2"
    assert "Too many failed attempts" in r.text
    own_web.clock.advance(1.0)
    _, r = own_web.login("admin", PASSWORD, client=c)
    assert r.status == 303
    own_web.flush_events()
    logged = own_web.daemon.run(own_web.daemon.store.events.query(kind="web.login_failed"))
    assert [e.data["failures"] for e in logged] == [1, 2, 3]
    assert logged[0].data["src"] == "127.0.0.1"

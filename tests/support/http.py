"""A tiny HTTP client for tests that talk to the web UI like a browser would."""
from __future__ import annotations

from typing import Any


class Client:
    """A tiny HTTP client over a real socket: keeps cookies, never follows redirects."""

    def __init__(self, base: str) -> None:
        from urllib.parse import urlsplit
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, body: bytes | None = None,
                json: Any = None) -> "Reply":
        import http.client
        from http.cookies import SimpleCookie
        from urllib.parse import urlencode
        import json as json_mod
        hdrs = dict(headers or {})
        if json is not None:
            body = json_mod.dumps(json).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if form is not None:
            body = urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            set_cookies = resp.headers.get_all("Set-Cookie") or []
            for raw in set_cookies:
                for name, morsel in SimpleCookie(raw).items():
                    if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0" \
                            or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return Reply(resp.status, resp.headers, data, set_cookies)
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> "Reply":
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict[str, str], **kw: Any) -> "Reply":
        return self.request("POST", path, form=form, **kw)


class Reply:
    def __init__(self, status: int, headers: Any, body: bytes, set_cookies: list[str]) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.set_cookies = set_cookies

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        import json
        assert self.headers.get("Content-Type", "").startswith("application/json"), \
            self.headers.get("Content-Type")
        return json.loads(self.body)

    def form_token(self) -> str:
        import re
        m = re.search(r'name="csrf" value="([^"]+)"', self.text)
        assert m, "no csrf field in the page"
        return m.group(1)

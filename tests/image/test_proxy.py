"""web.trusted_proxy: X-Forwarded-For believed from nginx only (the image's HTTPS front)."""
from __future__ import annotations

from typing import Any

from webui.proxy import forwarded_client, trust_proxy


def env(peer: str, xff: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"REMOTE_ADDR": peer}
    if xff is not None:
        e["HTTP_X_FORWARDED_FOR"] = xff
    return e


def test_forwarded_address_from_the_trusted_proxy() -> None:
    assert forwarded_client(env("127.0.0.1", "192.0.2.7"), "127.0.0.1") == "192.0.2.7"
    assert forwarded_client(env("127.0.0.1", "198.51.100.1, 192.0.2.7"), "127.0.0.1") \
        == "192.0.2.7"                          # the hop nginx appended, not the client's claim


def test_header_ignored_from_anyone_else_or_when_off() -> None:
    assert forwarded_client(env("192.0.2.9", "10.9.9.9"), "127.0.0.1") == "192.0.2.9"
    assert forwarded_client(env("127.0.0.1", "192.0.2.7"), "") == "127.0.0.1"
    assert forwarded_client(env("127.0.0.1", "not-an-address"), "127.0.0.1") == "127.0.0.1"
    assert forwarded_client(env("127.0.0.1"), "127.0.0.1") == "127.0.0.1"


def test_wsgi_wrapper_rewrites_remote_addr() -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(dict(environ))
        return [b""]

    assert trust_proxy(app, "") is app
    wrapped = trust_proxy(app, "127.0.0.1")
    wrapped(env("127.0.0.1", "192.0.2.7"), lambda *a: None)
    assert seen[-1]["REMOTE_ADDR"] == "192.0.2.7"
    assert seen[-1]["callbox.proxy_addr"] == "127.0.0.1"

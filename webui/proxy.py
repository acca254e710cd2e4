"""Client addresses behind the image's nginx: X-Forwarded-For, from the trusted proxy only.

In the image nginx terminates HTTPS and proxies to the daemon on loopback, so every
request arrives from 127.0.0.1 and login throttling would lump all clients into one.
With ``web.trusted_proxy`` set, a request *from that address* has REMOTE_ADDR
replaced by the address nginx put in X-Forwarded-For (``$remote_addr``: one value,
the peer nginx saw). From any other peer the header is ignored, so a client cannot
choose its own address by sending one.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def forwarded_client(environ: dict[str, Any], trusted_proxy: str) -> str:
    """The client's address: the forwarded one when the peer is the trusted proxy."""
    peer = str(environ.get("REMOTE_ADDR", ""))
    header = str(environ.get("HTTP_X_FORWARDED_FOR", ""))
    if not trusted_proxy or peer != trusted_proxy or not header:
        return peer
    last = header.split(",")[-1].strip()          # the hop nginx itself appended
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return peer                                # garbage: keep the proxy's address


def trust_proxy(app: Wsgi, trusted_proxy: str) -> Wsgi:
    """Wrap *app* so REMOTE_ADDR is the client behind *trusted_proxy* ("" = off)."""
    if not trusted_proxy:
        return app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["callbox.proxy_addr"] = environ.get("REMOTE_ADDR", "")
        environ["REMOTE_ADDR"] = forwarded_client(environ, trusted_proxy)
        return app(environ, start_response)

    return wrapped

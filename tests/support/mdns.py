"""mDNS read by an independent resolver: dig's unicast queries to port 5353.

Every announcer in a namespace binds UDP 5353, and the kernel hands a unicast query to
one of those sockets (one bound to the queried address before a wildcard one, among
equals by a hash of the sender's port). Another announcer may hold the socket a query
is handed to and stay silent, so a query is one try of one second, and the next one
leaves from another port (docs/reference/test-peers.md).
"""
from __future__ import annotations

import subprocess

from tests.support.net import wait_for


def ask(server: str, *query: str) -> str:
    """dig's short answer to one query at ``server``:5353; "" (or dig's ";;" complaint)
    when nobody answered within a second."""
    return subprocess.run(["dig", f"@{server}", "-p", "5353", "+short", "+time=1",
                           "+tries=1", *query], capture_output=True, text=True,
                          timeout=30).stdout


def answer(*query: str, server: str = "127.0.0.1", timeout: float = 30) -> str:
    """The first real answer to ``query`` within ``timeout``, asking again until then."""
    return wait_for(lambda: (out := ask(server, *query)) and not out.startswith(";") and out,
                    timeout, f"an mDNS answer to {' '.join(query)}")

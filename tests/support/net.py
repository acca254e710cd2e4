"""Ports and polling for networked tests (no fixed ports, no blind sleeps)."""
from __future__ import annotations

import random
import socket
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def _port_window() -> tuple[int, int]:
    """High ports below the kernel's ephemeral range.

    A port in the ephemeral range can be taken between our check and the
    server's bind by any client socket the test run opens (HTTP, sipp, RTP).
    """
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return (10000, low - 1) if low > 20000 else (low + 20000, 65000)


LOW, HIGH = _port_window()


def free_port(kind: int = socket.SOCK_DGRAM, also: int | None = socket.SOCK_STREAM,
              host: str = "127.0.0.1") -> int:
    """A random high port free for ``kind`` (and ``also``) on ``host``."""
    for _ in range(200):
        port = random.randint(LOW, HIGH)
        socks = []
        try:
            for k in (kind, also):
                if k is None:
                    continue
                s = socket.socket(socket.AF_INET, k)
                socks.append(s)
                s.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port found")


def free_port_range(count: int, step: int = 1) -> int:
    """The first of ``count`` consecutive free UDP ports (for media-node bases)."""
    for _ in range(200):
        base = random.randint(LOW, HIGH - count * step)
        if all(_udp_free(base + i * step) for i in range(count)):
            return base
    raise RuntimeError("no free port range found")


def sipp_media_port(host: str = "127.0.0.1") -> int:
    """A ``-mp`` for sipp: it binds the port for audio and port + 2 for video, and
    exits with 254 if either is taken."""
    for _ in range(200):
        port = free_port(host=host)
        if _udp_free(port + 2, host):
            return port
    raise RuntimeError("no free sipp media port pair found")


def baresip_sip_port(host: str = "127.0.0.1") -> int:
    """A ``sip_listen`` port for baresip: it binds UDP and TCP there and TLS on port + 1,
    and gives up ("Address already in use") if any is taken (seen once in a suite run)."""
    for _ in range(200):
        port = free_port(host=host)
        if _free(port + 1, host, socket.SOCK_STREAM):
            return port
    raise RuntimeError("no free port pair found")


def _udp_free(port: int, host: str = "127.0.0.1") -> bool:
    return _free(port, host, socket.SOCK_DGRAM)


def _free(port: int, host: str, kind: int) -> bool:
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_for(condition: Callable[[], T], timeout: float, what: str,
             interval: float = 0.1) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - reported if we time out
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                         + (f" (last error: {last_error!r})" if last_error else ""))

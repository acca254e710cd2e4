"""Real SIP peers for the edge tests: sipp processes, free ports, polling, process checks.

Every peer binds 127.0.0.x on a port the kernel just handed out (never a fixed
well-known port), runs as a child of the test and is stopped by its pid.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import shutil
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from firmware.config import from_dict
from firmware.events import Event, EventBus
from firmware.sipedge import EdgeSettings, KamailioEdge
from firmware.sipedge.placer import PlaceAnswer, PlaceRequest
from firmware.supervision import RestartPolicy
from tests.support.net import free_port, free_port_range, sipp_media_port

SCENARIOS = Path(__file__).parent / "scenarios"
T = TypeVar("T")


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A free UDP port below the ephemeral range (see tests.support.net)."""
    return free_port(socket.SOCK_DGRAM, None, host)


async def until(check: Callable[[], Any], what: str, timeout: float = 10.0,
                every: float = 0.05) -> Any:
    """Poll ``check`` (plain or async) every ``every`` seconds until it returns something
    truthy; fail at the deadline. A check that computes (audio analysis) polls less often:
    it runs on the loop of the daemon under test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(every)


def processes_running(needle: str) -> list[int]:
    """Pids whose command line contains ``needle`` (e.g. a Kamailio config path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if needle.encode() in cmd:
            found.append(int(entry.name))
    return found


class Sipp:
    """One sipp run. ``received()`` lists the SIP messages it got (from its message log)."""

    def __init__(self, workdir: Path, name: str, scenario: str, remote: str | None, *,
                 ip: str = "127.0.0.1", port: int | None = None,
                 keys: dict[str, str] | None = None, args: list[str] | None = None,
                 calls: int | None = 1, lifetime: str = "20s") -> None:
        """``lifetime``: sipp's global ``-timeout`` (it exits with an error after it)."""
        sipp = shutil.which("sipp")
        assert sipp, "sipp is not installed (Debian package sip-tester)"
        self.name = name
        self.ip = ip
        self.port = port or free_udp_port(ip)
        self.log = workdir / f"{name}.out"
        self.messages = workdir / f"{name}.messages"
        argv = [sipp, "-sf", str(SCENARIOS / scenario), "-i", ip, "-p", str(self.port),
                "-mp", str(sipp_media_port(ip)), "-nostdin", "-trace_msg",
                "-message_file", str(self.messages), "-timeout", lifetime, "-timeout_error"]
        if calls is not None:
            argv += ["-m", str(calls)]
        for key, value in (keys or {}).items():
            argv += ["-key", key, value]
        argv += args or []
        if remote:
            argv.append(remote)
        self.argv = argv
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> "Sipp":
        with self.log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                stderr=asyncio.subprocess.STDOUT, cwd=str(self.log.parent))  # its files too
        return self

    async def run(self, timeout: float = 25.0) -> int:
        """Start, wait for the scenario to finish, return sipp's exit code (0 = all calls ok)."""
        await self.start()
        return await self.wait(timeout)

    async def wait(self, timeout: float = 25.0) -> int:
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            await self.stop()
            raise AssertionError(f"sipp {self.name} did not finish: {self.tail()}") from None

    async def stop(self, now: bool = False) -> None:
        """Let sipp finish its calls (SIGUSR1), or with ``now`` end them (SIGINT: it
        still writes its logs); killed after 5 s either way."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT if now else signal.SIGUSR1)
        try:
            await asyncio.wait_for(proc.wait(), 5.0)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def kill(self) -> None:
        """Die at once, mid-call (a crashed peer), not sipp's graceful finish."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()

    def tail(self, lines: int = 15) -> str:
        """The end of sipp's screen, and the messages it sent and received (start lines
        with their times): a failure's message then tells what happened on the wire."""
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            text = ["(no output)"]
        return "\n".join(text[-lines:] + ["messages:"] + self.flow())

    def flow(self) -> list[str]:
        """Every message sipp logged, one line each: time, sent/received, start line."""
        try:
            text = self.messages.read_text(errors="replace")
        except OSError:
            return ["(no message log)"]
        out = []
        for block in text.split("-----------------------------------------------")[1:]:
            stamp, _, rest = block.partition("\n")
            head, _, body = rest.partition("\n\n")
            way = "<-" if "received" in head else "->"
            out.append(f"{stamp.strip()} {way} {body.strip().splitlines()[0] if body.strip() else '?'}")
        return out

    def received(self, method: str | None = None) -> list[str]:
        """Messages sipp received, optionally only requests of ``method``."""
        try:
            text = self.messages.read_text(errors="replace")
        except OSError:
            return []
        out = []
        for block in text.split("\n-----------------------------------------------"):
            head, _, body = block.partition("\n\n")
            if "message received" not in head:
                continue
            msg = body.strip("\n")
            if method is None or msg.startswith(method + " "):
                out.append(msg)
        return out


def header(message: str, name: str) -> list[str]:
    """Values of header ``name`` in a SIP message (case-insensitive)."""
    values = []
    for line in message.split("\n\n", 1)[0].splitlines()[1:]:
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == name.lower():
            values.append(value.strip())
    return values


class Placer:
    """The daemon's side of placement, as a test plays it: hands out ``nodes`` in order,
    skipping any node the edge reported as failed, and keeps every question asked."""

    def __init__(self) -> None:
        self.nodes: list[int] = []
        self.asked: list[PlaceRequest] = []
        self.failed: set[int] = set()
        self.refuse: PlaceAnswer | None = None

    def __call__(self, request: PlaceRequest) -> PlaceAnswer:
        self.asked.append(request)
        if request.failed_port is not None:
            self.failed.add(request.failed_port)
        if self.refuse is not None:
            return self.refuse
        for port in self.nodes:
            if port not in self.failed:
                return PlaceAnswer(200, f"sip:127.0.0.1:{port}")
        return PlaceAnswer(503, "no media node has room")


class EdgeUnderTest:
    def __init__(self, edge: KamailioEdge, events: list[Event], placer: Placer,
                 routes: set[str]) -> None:
        self.edge = edge
        self.events = events
        self.placer = placer
        self.routes = routes          # the DIDs that route somewhere (any trunk)

    def node_port(self, i: int) -> int:
        """The SIP port of media node ``i + 1`` (the edge treats these as nodes)."""
        return self.edge.cfg.media.sip_port_base + i

    @property
    def remote(self) -> str:
        return f"{self.edge.cfg.sip.listen}:{self.edge.cfg.sip.port}"

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.kind == kind]


@contextlib.asynccontextmanager
async def running_edge(var: Path, realm: str = "callbox", port: int | None = None,
                       restarts: RestartPolicy | None = None, routes: set[str] | None = None,
                       **settings: Any) -> AsyncIterator[EdgeUnderTest]:
    """A started edge on a free port with ``var`` as its var dir; stopped and checked after.

    Four media-node SIP ports are set aside (``e.node_port(i)``); the test's ``e.placer``
    answers the edge's placement questions for the DIDs in ``e.routes`` (default {"100"}).
    """
    cfg = from_dict({"paths": {"var": str(var)},
                     "sip": {"listen": "127.0.0.1", "port": port or free_udp_port(),
                             "realm": realm,
                             "placement_port": free_port(socket.SOCK_STREAM, None)},
                     "media": {"sip_port_base": free_port_range(4), "nodes_max": 4,
                               "nodes_min": 1}})
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe("sip.", events.append)
    bus.subscribe("security.", events.append)
    placer = Placer()
    dids = {"100"} if routes is None else routes
    edge = KamailioEdge(cfg, bus, settings=EdgeSettings(**settings), placer=placer,
                        routes_somewhere=lambda trunk, did: did in dids, restarts=restarts)
    await edge.start()
    try:
        yield EdgeUnderTest(edge, events, placer, dids)
    finally:
        await edge.stop()
    left = processes_running(str(edge.paths.config))
    assert not left, f"kamailio processes left after stop(): {left}"


class Peers:
    """Creates sipp peers in ``workdir`` and stops every one of them on exit."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._all: list[Sipp] = []

    def sipp(self, name: str, scenario: str, remote: str | None, **kw: Any) -> Sipp:
        peer = Sipp(self.workdir, name, scenario, remote, **kw)
        self._all.append(peer)
        return peer

    async def __aenter__(self) -> "Peers":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*(p.stop() for p in self._all))


def run(coro: Awaitable[T], timeout: float = 120.0) -> T:
    """Run one async test body in a fresh event loop, with a hard deadline."""
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


__all__ = ["Sipp", "EdgeUnderTest", "Placer", "running_edge", "free_udp_port", "until",
           "header", "processes_running", "Peers", "run"]

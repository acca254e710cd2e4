"""``NodeLink``: the daemon's side of one media node (its process and its connection).

A link outlives the process it supervises: when the node dies the pool starts a
new process in the same link (same id, SIP port and RTP range, so Kamailio's
dispatcher entry stays the same) and ``generation`` counts the starts. Replies
are matched to commands by id; events are handed to the pool in arrival order,
and a successful ``dial`` reply registers its new leg before any later event
for it is read, so no event can outrun the leg it belongs to.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import sys
from collections import deque
from pathlib import Path
from typing import Any, Callable

from acd_core.clock import Clock
from firmware.clock import wait_for
from firmware.errors import MediaError
from firmware.media.leg import Leg
from firmware.media.protocol import MAX_LINE, Command, Event, ProtocolError, Reply, decode, encode
from firmware.timers import TIMERS

log = logging.getLogger("callbox.media")
node_log = logging.getLogger("callbox.media.node")

STREAM_LIMIT = MAX_LINE * 2     # the pool's StreamReader limit: a valid line always fits
_LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO,
           "debug": logging.DEBUG}
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


class NodeLink:
    def __init__(self, node_id: int, sip_port: int, rtp_port_base: int, rtp_port_range: int,
                 capacity: int, clock: Clock) -> None:
        self.node_id = node_id
        self._clock = clock
        self.sip_port = sip_port
        self.rtp_port_base = rtp_port_base
        self.rtp_port_range = rtp_port_range
        self.capacity = capacity
        self.state = "starting"            # starting | up | down
        self.generation = 0
        self.restarts = 0
        self.crash_looping = False
        self.proc: asyncio.subprocess.Process | None = None
        self.pid = 0
        self.inband = ""
        self.legs: dict[int, Leg] = {}
        self.convs: dict[int, set[int]] = {}  # conversation (first leg) -> leg numbers
        self.recordings: set[str] = set()
        self.bad_lines = 0
        self.idle_timer: Any = None        # pool's retire timer while the node has no legs
        self.retiring = False              # out of the dispatcher set, draining
        self.retired = False               # stopped on purpose; not restarted
        self.stderr_tail: deque[str] = deque(maxlen=20)
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, tuple[asyncio.Future[dict[str, Any]], Any]] = {}
        self._ids = itertools.count(1)
        self.hello: asyncio.Future[dict[str, Any]] | None = None
        # True once the first process said hello, False if it died or stayed silent first.
        self.first_up: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Event = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []

    # -- capacity ------------------------------------------------------------------------
    def used(self) -> int:
        return sum(max(2, len(members)) for members in self.convs.values())

    def free(self) -> int:
        return self.capacity - self.used() if self.state == "up" else 0

    # -- process -------------------------------------------------------------------------
    async def spawn(self, control_path: str, edge: str, python: str = sys.executable) -> None:
        loop = asyncio.get_running_loop()
        self.generation += 1
        self.state = "starting"
        self.hello = loop.create_future()
        self.closed = asyncio.Event()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PROJECT_ROOT, env.get("PYTHONPATH")) if p)
        self.proc = await asyncio.create_subprocess_exec(
            python, "-m", "firmware.media.node", "--id", str(self.node_id),
            "--sip-port", str(self.sip_port), "--rtp-port-base", str(self.rtp_port_base),
            "--rtp-port-range", str(self.rtp_port_range), "--control", control_path,
            "--edge", edge, "--legs", str(self.capacity),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True)
        self.pid = self.proc.pid
        log.info("media node starting node=%d pid=%d sip_port=%d generation=%d",
                 self.node_id, self.pid, self.sip_port, self.generation)
        self._tasks.append(asyncio.create_task(self._forward_stderr(self.proc),
                                               name=f"media-node-{self.node_id}-stderr"))

    async def _forward_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while True:
            raw = await proc.stderr.readline()
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip()
            self.stderr_tail.append(line)
            level = _LEVELS.get(line.split(" ", 1)[0].removeprefix("level="), logging.INFO)
            node_log.log(level, "node=%d pid=%d %s", self.node_id, proc.pid, line)

    async def terminate(self, grace: float = TIMERS["media.stop_grace"]) -> int | None:
        """SIGTERM this link's process (by PID), SIGKILL after ``grace``; its exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.returncode is None:
            try:
                os.kill(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                await wait_for(self._clock, proc.wait(), grace)
            except asyncio.TimeoutError:
                log.warning("media node ignored SIGTERM node=%d pid=%d", self.node_id, proc.pid)
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await proc.wait()
        await self._drain_tasks()
        return proc.returncode

    async def _drain_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            try:
                await wait_for(self._clock, t, 2.0)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                t.cancel()

    # -- connection ----------------------------------------------------------------------
    def attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
               hello: dict[str, Any], on_event: Callable[["NodeLink", Event], None]) -> None:
        self._writer = writer
        self.inband = str(hello.get("inband", ""))
        self.state = "up"
        self._tasks.append(asyncio.create_task(self._read(reader, writer, on_event),
                                               name=f"media-node-{self.node_id}-control"))
        if self.hello is not None and not self.hello.done():
            self.hello.set_result(hello)
        if not self.first_up.done():
            self.first_up.set_result(True)

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    on_event: Callable[["NodeLink", Event], None]) -> None:
        try:
            while True:
                try:
                    raw = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    self.bad_lines += 1
                    log.warning("media node sent an over-long line node=%d", self.node_id)
                    break
                except ConnectionError:
                    break
                if not raw:
                    break
                try:
                    msg = decode(raw)
                except ProtocolError as exc:
                    self.bad_lines += 1
                    log.warning("bad line from media node node=%d error=%s", self.node_id, exc)
                    continue
                if isinstance(msg, Reply):
                    self._on_reply(msg)
                elif isinstance(msg, Event):
                    try:
                        on_event(self, msg)
                    except Exception:  # noqa: BLE001 - one bad event must not kill the link
                        log.exception("media event handler failed node=%d event=%s",
                                      self.node_id, msg.event)
                else:
                    self.bad_lines += 1
                    log.warning("media node sent a command node=%d", self.node_id)
        finally:
            self.state = "down" if self.state == "up" else self.state
            self._writer = None
            writer.close()
            self.closed.set()

    def _on_reply(self, reply: Reply) -> None:
        entry = self._pending.pop(reply.id, None)
        if entry is None:
            log.warning("reply to no command node=%d id=%d", self.node_id, reply.id)
            return
        fut, on_ok = entry
        if fut.done():
            return
        if reply.ok:
            data = dict(reply.data)
            if on_ok is not None:
                on_ok(data)
            fut.set_result(data)
        else:
            fut.set_exception(MediaError(f"node {self.node_id}: {reply.error}",
                                         node=self.node_id))

    async def command(self, cmd: str, _on_ok: Callable[[dict[str, Any]], None] | None = None,
                      **args: Any) -> dict[str, Any]:
        """Send one command, wait for its reply; MediaError on refusal, timeout or node loss."""
        writer = self._writer
        if writer is None or self.state != "up":
            raise MediaError(f"media node {self.node_id} is not up", node=self.node_id,
                             command=cmd)
        mid = next(self._ids)
        line = encode(Command(mid, cmd, args))
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[mid] = (fut, _on_ok)
        writer.write(line)
        try:
            await writer.drain()
            return await wait_for(self._clock, asyncio.shield(fut), TIMERS["media.command_timeout"])
        except ConnectionError:
            raise MediaError(f"media node {self.node_id} connection lost", node=self.node_id,
                             command=cmd) from None
        except asyncio.TimeoutError:
            raise MediaError(f"media node {self.node_id} did not answer {cmd} in "
                             f"{TIMERS['media.command_timeout']:.0f} s", node=self.node_id,
                             command=cmd) from None
        finally:
            self._pending.pop(mid, None)

    def fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, {}
        for fut, _ in pending.values():
            if not fut.done():
                fut.set_exception(MediaError(f"media node {self.node_id} {why}",
                                             node=self.node_id))

    def end_legs(self, reason: str) -> list[Leg]:
        legs = list(self.legs.values())
        self.legs.clear()
        self.convs.clear()
        for leg in legs:
            leg._on_state("ended", 0, reason)
        return legs


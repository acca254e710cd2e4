"""``NodeLink``: the daemon's side of one media node (its process, connection and room).

A link outlives the process it supervises: when the node dies the pool starts a
new process in the same link (same id, SIP port and RTP range) and
``generation`` counts the starts. Replies are matched to commands by id. Events
about a leg (``leg_state``, ``dtmf``, ``play_done``) are dispatched here to the
leg; the rest (``incoming``, ``recording_done``) go to the pool, in arrival
order. A successful ``dial`` reply registers its new leg before any later event
for it is read, so no event can outrun the leg it belongs to.

Room is counted in legs: each conversation holds ``max(2, its legs)`` (an
opened one, ``max(its reserve, its legs)`` until it is closed), and each call
the pool has placed here but whose INVITE has not yet arrived holds 2 (a
*reservation*, keyed by SIP Call-ID, dropped when the INVITE arrives or after
``media.placement_hold``). A conversation is keyed by its first leg's number,
an opened one by ``"c<conv>"`` (the node's conversation id).
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
from firmware.media.legstate import ENDED
from firmware.media.protocol import MAX_LINE, Command, Event, ProtocolError, Reply, decode, encode
from firmware.supervision import RestartPolicy
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
        self.policy = RestartPolicy(clock)   # the restarts of this node slot
        self.proc: asyncio.subprocess.Process | None = None
        self.pid = 0
        self.inband = ""
        self.legs: dict[int, Leg] = {}
        self.convs: dict[int | str, set[int]] = {}  # conversation key -> leg numbers
        self.opened: dict[str, int] = {}      # opened conversation key -> legs reserved
        self.reservations: dict[str, float] = {}   # placed Call-ID -> expiry (clock time)
        self.suspect = False               # its SIP side missed an INVITE: no placements
        self._on_leg_gone: Callable[["NodeLink", Leg], None] = lambda link, leg: None
        self.recordings: set[str] = set()
        self.bad_lines = 0
        self.retiring = False              # out of the dispatcher set, draining
        self.retired = False               # stopped on purpose; not restarted
        self.respawn = False               # stopped on purpose; started again (edge moved)
        self.stderr_tail: deque[str] = deque(maxlen=20)
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, tuple[asyncio.Future[dict[str, Any]], Any]] = {}
        self._ids = itertools.count(1)
        self.hello: asyncio.Future[dict[str, Any]] | None = None
        # True once the first process said hello, False if it died or stayed silent first.
        self.first_up: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Event = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []

    # -- room ------------------------------------------------------------------------------
    def used(self) -> int:
        self._expire_reservations()
        total = 2 * len(self.reservations)
        for key, members in self.convs.items():
            # an incoming conversation holds 2; an opened one its reserve until closed
            reserve = self.opened.get(key, 0) if isinstance(key, str) else 2
            total += max(reserve, len(members))
        return total

    def free(self) -> int:
        return self.capacity - self.used() if self.state == "up" else 0

    def placeable(self) -> bool:
        """Up, not leaving, not suspect, and room for one more conversation."""
        return (self.state == "up" and not self.retiring and not self.retired
                and not self.suspect and self.free() >= 2)

    def reserve(self, call_id: str) -> None:
        self.reservations[call_id] = self._clock.now() + TIMERS["media.placement_hold"]

    def idle(self) -> bool:
        return not self.legs and not self.convs and not self.reservations and not self.recordings

    def conv_key(self, leg_number: int) -> int | str | None:
        return next((k for k, m in self.convs.items() if leg_number in m), None)

    def room_for(self, leg_number: int, extra: int = 1) -> bool:
        """Can ``leg_number``'s conversation take ``extra`` more legs on this node?"""
        key = self.conv_key(leg_number)
        if key is None or self.state != "up":
            return False
        spare = max(0, self.opened.get(key, 2) - len(self.convs[key])) if isinstance(key, str) \
            else max(0, 2 - len(self.convs[key]))
        return spare + self.free() >= extra

    def open_conv(self, conv_id: int, legs: int) -> str:
        key = f"c{conv_id}"
        self.opened[key] = legs
        self.convs[key] = set()
        return key

    def close_conv(self, key: str) -> None:
        self.opened.pop(key, None)
        if not self.convs.get(key):
            self.convs.pop(key, None)

    def _expire_reservations(self) -> None:
        if self.reservations:
            now = self._clock.now()
            for call_id in [c for c, t in self.reservations.items() if t <= now]:
                del self.reservations[call_id]
                log.warning("placed call never reached its node node=%d call_id=%s",
                            self.node_id, call_id)

    # -- legs ------------------------------------------------------------------------------
    def add_leg(self, number: int, direction: str, info: dict[str, Any],
                near: Leg | None = None, conv_key: str | None = None) -> Leg:
        """Register a leg the node reported (``incoming``) or created for us (``dial``,
        next to ``near`` or into the opened conversation ``conv_key``)."""
        leg = Leg(self, number, f"{self.node_id}.{self.generation}.{number}", direction, info)
        self.legs[number] = leg
        if conv_key is not None:
            self.convs.setdefault(conv_key, set()).add(number)
        elif near is None:
            self.convs[number] = {number}
            self.reservations.pop(str(info.get("call_id", "")), None)
        else:
            for members in self.convs.values():
                if near.number in members:
                    members.add(number)
        return leg

    def _forget(self, leg: Leg) -> None:
        self.legs.pop(leg.number, None)
        for key, members in list(self.convs.items()):
            members.discard(leg.number)
            if not members and key not in self.opened:
                del self.convs[key]

    # -- process -------------------------------------------------------------------------
    async def spawn(self, control_path: str, edge: str, python: str = sys.executable,
                    accept_from: str = "") -> None:
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
            *(["--accept-from", accept_from] if accept_from else []),
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
               hello: dict[str, Any], on_event: Callable[["NodeLink", Event], None],
               on_leg_gone: Callable[["NodeLink", Leg], None]) -> None:
        """``on_event`` gets the pool's events; ``on_leg_gone`` each leg that has ended."""
        self._on_leg_gone = on_leg_gone
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
                        self._dispatch(msg, on_event)
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

    def _dispatch(self, ev: Event, on_event: Callable[["NodeLink", Event], None]) -> None:
        d = ev.data
        if ev.event not in ("leg_state", "dtmf", "play_done", "refer"):
            on_event(self, ev)
            return
        leg = self.legs.get(d["leg"])
        if leg is None:
            log.debug("event for a leg the daemon does not know node=%d event=%s leg=%s",
                      self.node_id, ev.event, d["leg"])
            return
        if ev.event == "leg_state":
            leg.on_state(d["cause"], d["state"], d.get("code", 0), d.get("reason", ""))
            if leg.state == ENDED:
                self._forget(leg)
                self._on_leg_gone(self, leg)
        elif ev.event == "dtmf":
            leg.on_dtmf(d["digit"], d["source"])
        elif ev.event == "refer":
            leg.on_refer(d["target"])
        else:
            leg.on_play_done()

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

    def end_legs(self, reason: str = "node_failed") -> list[Leg]:
        """The node is gone: every leg ends (``reason``: node_failed or shutdown)."""
        legs = list(self.legs.values())
        self.legs.clear()
        self.convs.clear()
        self.opened.clear()
        self.reservations.clear()
        for leg in legs:
            leg.on_node_failed(reason)
        return legs


"""``MediaPool``: the daemon's media nodes: started, placed on, grown, shrunk and restarted.

The pool listens on ``<run_dir>/media.sock``; each node it spawns connects there
and says hello. Node ``i`` (from 1) always gets SIP port ``sip_port_base + i - 1``
and RTP ports ``rtp_port_base + (i - 1) * RTP_STRIDE`` upward, so a restarted
node takes the place of the one that died.

Placement: the daemon, not Kamailio, decides which node takes a call. Kamailio
asks (``firmware/sipedge/placer.py``) for every INVITE it relays to the nodes,
and ``place(call_id)`` reserves one conversation (2 legs) on the lowest
numbered node with room, so the edge never offers a call to a full node and
the busy nodes stay packed while the highest ones idle and can retire. A node
that did not answer an INVITE placed on it is ``report_unresponsive``: it gets
no more calls until it answers a ``status`` probe, and is restarted if it does
not.

Spare room: the pool keeps free legs ready (counting nodes still starting) by
starting as many nodes at once as that takes, up to ``nodes_max``: at least
``media.spare_legs``, and more while calls arrive fast — what the placements
of the last ``RATE_WINDOW_S`` would use up while a node starts (its start time
measured, ``START_MARGIN`` times over), so a burst of calls finds room. A node above ``nodes_min`` that has been idle (no legs,
reservations or recordings) for ``media.idle_retire``, while the others keep
the spare room, is stopped — the highest numbered first, never one with a call.
``on_nodes_changed([sip_port, ...])`` is awaited whenever the set of live nodes
changes. Every delay runs on the injected ``Clock``.

A node that dies ends its legs with ``reason="node_failed"``, fails its pending
commands, salvages its unfinished recordings (header rewritten from the file
length) and is started again after the shared restart policy's delay
(``firmware/supervision.py``: at once, slower while it crash-loops).
"""
from __future__ import annotations

import asyncio
import logging
import math
import os
import signal
import sys
from collections import deque
from pathlib import Path
from typing import Any, Awaitable, Callable

from acd_core.clock import Clock, TimerHandle
from firmware.clock import LoopClock, first, sleep, wait_for
from firmware.config import Config
from firmware.errors import MediaError
from firmware.events import EventBus
from firmware.media import wavfile
from firmware.media.calls import MediaCalls
from firmware.media.client import STREAM_LIMIT, NodeLink
from firmware.media.leg import Leg
from firmware.media.protocol import Event, ProtocolError, decode
from firmware.timers import TIMERS

log = logging.getLogger("callbox.media")

RTP_STRIDE = 40          # RTP ports per node (4 legs x RTP+RTCP, with room to skip busy ports)
RATE_WINDOW_S = 2.0      # placements counted over this window for the arrival rate
START_MARGIN = 2.0       # room kept for this many node start times of arrivals

NodesChanged = Callable[[list[int]], Awaitable[None]]
Incoming = Callable[[Leg], Awaitable[None]]


def _last_error(link: NodeLink) -> str:
    """The node's last error line (what a start-up failure is about), else its last line."""
    tail = list(link.stderr_tail)
    errors = [line for line in tail if line.startswith("level=error")]
    return (errors or tail or ["no hello and no output"])[-1]


class MediaPool(MediaCalls):
    def __init__(self, cfg: Config, bus: EventBus, on_nodes_changed: NodesChanged | None = None,
                 *, python: str = sys.executable, clock: Clock | None = None) -> None:
        self.cfg = cfg
        self.bus = bus
        self.on_nodes_changed = on_nodes_changed
        self.on_incoming: Incoming | None = None
        self._python = python
        self._clock: Clock = clock or LoopClock()
        m = cfg.media
        self._min, self._max, self._legs = m.nodes_min, m.nodes_max, m.legs_per_node
        self._spare = m.spare_legs
        self._edge = f"{cfg.sip.listen}:{cfg.sip.port}"
        self.control_path = str(Path(cfg.run_dir) / "media.sock")
        self._links: dict[int, NodeLink] = {}
        self._supervisors: dict[int, asyncio.Task[None]] = {}
        self._server: asyncio.AbstractServer | None = None
        self._stopping = False
        self._published: list[int] | None = None
        self._publish_lock = asyncio.Lock()
        self._recordings: dict[str, tuple[NodeLink, asyncio.Future[float]]] = {}
        self._stereo: set[str] = set()                  # recordings made of two halves
        self._flow_tasks: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Future[Any]] = set()
        self._idle_timers: dict[int, TimerHandle] = {}
        self._placed_at: deque[float] = deque()         # clock times of recent placements
        self._room: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._room_waiters = 0
        self._start_s = 1.0                             # node spawn -> hello, smoothed
        self._spawned_at: dict[int, float] = {}

    # -- life cycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Listen, start ``nodes_min`` nodes (and the spare room) and wait until they are up."""
        Path(self.control_path).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.unlink(self.control_path)
        except FileNotFoundError:
            pass
        self._server = await asyncio.start_unix_server(self._accept, path=self.control_path,
                                                       limit=STREAM_LIMIT)
        os.chmod(self.control_path, 0o600)
        for _ in range(self._min):
            self._add_node()
        self._check_capacity()
        links = list(self._links.values())
        await self._all_up(links)
        failed = [l for l in links if not (l.first_up.done() and l.first_up.result())]
        if failed:
            why = "; ".join(f"node {l.node_id} (sip port {l.sip_port}): {_last_error(l)}"
                            for l in failed)
            await self.stop()
            raise MediaError(f"media nodes did not start: {why}")
        await self._publish()

    async def stop(self) -> None:
        """Stop every node this pool started (SIGTERM by PID, SIGKILL if it lingers)."""
        self._stopping = True
        for handle in self._idle_timers.values():
            handle.cancel()
        self._idle_timers.clear()
        for task in list(self._background):
            task.cancel()
        sups = list(self._supervisors.values())
        await asyncio.gather(*(link.terminate() for link in self._links.values()),
                             return_exceptions=True)
        if sups:
            await self._settle(sups, TIMERS["media.stop_grace"] * 2)
        for t in sups:
            t.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        try:
            os.unlink(self.control_path)
        except FileNotFoundError:
            pass
        if self._flow_tasks:
            await self._settle(self._flow_tasks, TIMERS["media.stop_grace"])
            for t in list(self._flow_tasks):
                t.cancel()

    @property
    def edge(self) -> str:
        """The edge's "host:port" the nodes dial through and take SIP from."""
        return self._edge

    async def set_edge(self, edge: str) -> None:
        """The edge moved (its listen address was changed on the system page): every node
        is started again with the new address, its dial target and SIP filter, and this
        returns once they are up (or ``media.hello_timeout`` passed). The caller makes sure
        no call is up: a node's calls end with it."""
        if edge == self._edge:
            return
        self._edge = edge
        links = [l for l in self._links.values() if not l.retired and not l.retiring]
        old_pids = {l.node_id: l.pid for l in links}
        for link in links:
            link.respawn = True
        await asyncio.gather(*(link.terminate() for link in links), return_exceptions=True)
        deadline = self._clock.now() + TIMERS["media.hello_timeout"]
        while self._clock.now() < deadline and not all(
                l.state == "up" and l.pid != old_pids[l.node_id] for l in links):
            await sleep(self._clock, 0.05)
        log.info("media nodes follow the edge edge=%s nodes=%d", edge, len(links))

    async def _all_up(self, links: list[NodeLink]) -> None:
        pending = {asyncio.shield(l.first_up) for l in links}
        deadline = self._clock.now() + TIMERS["media.hello_timeout"]
        while pending:
            done = await first(self._clock, pending, deadline - self._clock.now())
            if not done:
                return
            pending -= done

    async def _settle(self, tasks: "set[asyncio.Task[Any]] | list[asyncio.Task[Any]]",
                      timeout: float) -> None:
        """Wait up to ``timeout`` on the clock for every task to finish."""
        pending = {t for t in tasks if not t.done()}
        deadline = self._clock.now() + timeout
        while pending:
            done = await first(self._clock, pending, deadline - self._clock.now())
            if not done:
                return
            pending -= done

    def legs_free(self) -> int:
        """Free legs on nodes that take calls (up, not leaving, not suspect)."""
        return sum(l.free() for l in self._links.values() if self._serving(l))

    def health(self) -> dict[str, Any]:
        nodes = [{"id": l.node_id, "pid": l.pid, "sip_port": l.sip_port, "state": l.state,
                  "legs_in_use": len(l.legs), "legs_reserved": l.used() if l.state == "up" else 0,
                  "placements_pending": len(l.reservations), "capacity": l.capacity,
                  "restarts": l.policy.restarts, "crash_looping": l.policy.crash_looping,
                  "suspect": l.suspect, "retiring": l.retiring, "inband_dtmf": l.inband}
                 for l in sorted(self._links.values(), key=lambda x: x.node_id)]
        up = sum(1 for n in nodes if n["state"] == "up")
        looping = any(n["crash_looping"] for n in nodes)
        status = ("ok" if up and up == len(nodes) and not looping else
                  "degraded" if up else "down")
        return {"status": status, "nodes": nodes, "legs_free": self.legs_free(),
                "spare_legs": self._spare, "spare_wanted": self.spare_wanted(),
                "node_start_s": round(self._start_s, 2), "nodes_max": self._max}

    # -- placement -------------------------------------------------------------------------
    def place(self, call_id: str, prefer: NodeLink | None = None) -> NodeLink | None:
        """Reserve a conversation for the INVITE ``call_id`` on the lowest node with room
        (on ``prefer`` when it has room: a call that will join one already there)."""
        if self._stopping:
            return None
        for link in sorted(self._links.values(), key=lambda x: x.node_id):
            if call_id in link.reservations:
                return link                     # a retransmitted question: same answer
        chosen = prefer if prefer is not None and prefer.placeable() else None
        chosen = chosen or next((l for l in sorted(self._links.values(), key=lambda x: x.node_id)
                                 if l.placeable()), None)
        if chosen is not None:
            chosen.reserve(call_id)
            self._cancel_idle(chosen)
        self._placed_at.append(self._clock.now())
        self._check_capacity()
        return chosen

    def spare_wanted(self) -> int:
        """Free legs to keep ready now: the floor, or what arrivals use while a node starts."""
        now = self._clock.now()
        while self._placed_at and self._placed_at[0] < now - RATE_WINDOW_S:
            self._placed_at.popleft()
        # a burst counts at once: the rate is taken over the time the window's placements
        # really span (at least a quarter second), not over the whole window
        span = max(0.25, now - self._placed_at[0]) if self._placed_at else RATE_WINDOW_S
        legs_per_s = 2 * len(self._placed_at) / span
        return max(self._spare, math.ceil(legs_per_s * self._start_s * START_MARGIN))

    async def place_or_wait(self, call_id: str, prefer: NodeLink | None = None
                            ) -> NodeLink | None:
        """``place``; when no node has room but one is starting, wait (at most
        ``media.placement_wait``) for it rather than refuse the call."""
        link = self.place(call_id, prefer)
        deadline = self._clock.now() + TIMERS["media.placement_wait"]
        while link is None and not self._stopping and any(
                l.state == "starting" for l in self._links.values()):
            left = deadline - self._clock.now()
            if left <= 0:
                break
            self._room_waiters += 1
            try:
                await first(self._clock, [asyncio.shield(self._room)], left)
            finally:
                self._room_waiters -= 1
            link = self.place(call_id)
        return link

    def _room_changed(self) -> None:
        """A node came up or a conversation ended: wake whoever waits for room."""
        if not self._room.done():
            self._room.set_result(None)
        self._room = asyncio.get_running_loop().create_future()

    def report_unresponsive(self, sip_port: int, call_id: str = "") -> None:
        """The edge says the node on ``sip_port`` did not answer an INVITE placed on it."""
        link = next((l for l in self._links.values() if l.sip_port == sip_port), None)
        if link is None or link.suspect or link.state != "up":
            return
        link.reservations.pop(call_id, None)
        link.suspect = True
        log.warning("media node missed an INVITE, probing it node=%d sip_port=%d call_id=%s",
                    link.node_id, sip_port, call_id)
        self.bus.publish("media.node_unresponsive", node=link.node_id, sip_port=sip_port)
        self._check_capacity()
        self._in_background(self._probe(link, link.generation))

    async def _probe(self, link: NodeLink, generation: int) -> None:
        try:
            await wait_for(self._clock, link.command("status"), TIMERS["media.probe_timeout"])
        except (MediaError, asyncio.TimeoutError) as exc:
            if link.generation == generation and link.proc is not None and not self._stopping:
                log.error("media node does not answer, killing it node=%d pid=%d error=%s",
                          link.node_id, link.pid, exc or "timeout")
                try:
                    os.kill(link.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return
        if link.generation == generation:
            link.suspect = False
            log.info("media node answers its probe again node=%d", link.node_id)

    # -- nodes ---------------------------------------------------------------------------
    def _serving(self, link: NodeLink) -> bool:
        return link.state == "up" and not link.retiring and not link.retired and not link.suspect

    def _add_node(self) -> NodeLink:
        node_id = next(i for i in range(1, self._max + 2) if i not in self._links)
        m = self.cfg.media
        link = NodeLink(node_id, m.sip_port_base + node_id - 1,
                        m.rtp_port_base + (node_id - 1) * RTP_STRIDE, RTP_STRIDE, self._legs,
                        self._clock)
        self._links[node_id] = link
        self._supervisors[node_id] = asyncio.create_task(self._supervise(link),
                                                         name=f"media-node-{node_id}")
        return link

    def _check_capacity(self) -> None:
        """Start as many nodes as it takes to keep ``spare_legs`` free (up to ``nodes_max``)."""
        if self._stopping:
            return
        ready = self.legs_free()
        starting = sum(l.capacity for l in self._links.values()
                       if l.state == "starting" and not l.retired)
        wanted = self.spare_wanted()
        while ready + starting < wanted and len(self._links) < self._max:
            link = self._add_node()
            starting += link.capacity
            log.info("media pool growing node=%d free=%d starting=%d wanted=%d", link.node_id,
                     ready, starting, wanted)

    async def _supervise(self, link: NodeLink) -> None:
        policy = link.policy
        while not self._stopping and not link.retired:
            try:
                self._spawned_at[link.node_id] = self._clock.now()
                await link.spawn(self.control_path, self._edge, self._python,
                                 accept_from=self._edge if self.cfg.media.edge_only else "")
                await self._run_once(link)
            except OSError as exc:
                log.error("cannot start media node node=%d error=%s", link.node_id, exc)
            except Exception:  # noqa: BLE001 - the supervisor must outlive any surprise
                log.exception("media node supervision failed node=%d", link.node_id)
                await link.terminate()
            if self._stopping or link.retired:
                break
            if link.respawn:                 # stopped on purpose by set_edge: no death
                link.respawn = False
                continue
            was_looping = policy.crash_looping
            delay = policy.died()
            if policy.crash_looping and not was_looping:
                log.error("media node crash-looping node=%d restarts=%d, restarting every %.0f s",
                          link.node_id, policy.restarts, delay)
                self.bus.publish("media.node_crash_loop", node=link.node_id,
                                 restarts=policy.restarts)
            await sleep(self._clock, delay)
        link.state = "down"
        if link.retired and not self._stopping:
            self._links.pop(link.node_id, None)
            self._supervisors.pop(link.node_id, None)
            log.info("media node retired node=%d", link.node_id)
            self.bus.publish("media.node_retired", node=link.node_id, sip_port=link.sip_port)
            await self._publish()

    async def _run_once(self, link: NodeLink) -> None:
        proc = link.proc
        assert proc is not None and link.hello is not None
        exited = asyncio.ensure_future(proc.wait())
        try:
            await first(self._clock, {exited, link.hello}, TIMERS["media.hello_timeout"])
            if link.state == "up":
                link.suspect = False
                took = self._clock.now() - self._spawned_at.pop(link.node_id, self._clock.now())
                self._start_s = 0.7 * self._start_s + 0.3 * took
                self._room_changed()
                self.bus.publish("media.node_up", node=link.node_id, pid=link.pid,
                                 sip_port=link.sip_port, restarts=link.policy.restarts)
                if self._published is not None:
                    await self._publish()
                self._check_capacity()
                self._idle_check(link)
                closed = asyncio.ensure_future(link.closed.wait())
                await first(self._clock, {exited, closed})
                closed.cancel()
        finally:
            exited.cancel()
        was_up = link.hello.done()
        link.state = "down"
        code = await link.terminate()       # also reads the rest of its stderr
        if not link.first_up.done():
            link.first_up.set_result(False)
        self._cancel_idle(link)
        if self._stopping or link.retired or link.respawn:
            link.end_legs("shutdown")
            link.fail_pending("stopped")
            return
        legs = link.end_legs("node_failed")
        link.fail_pending("failed")
        self._salvage(link)
        log.error("media node failed node=%d pid=%d exit=%s legs=%d last=%s", link.node_id,
                  link.pid, code, len(legs), " | ".join(list(link.stderr_tail)[-3:]))
        self.bus.publish("media.node_failed", node=link.node_id, pid=link.pid, exit_code=code,
                         legs=[leg.id for leg in legs], was_up=was_up, sip_port=link.sip_port)
        await self._publish()
        self._check_capacity()

    def _salvage(self, link: NodeLink) -> None:
        for path in list(link.recordings):
            entry = self._recordings.get(path)
            seconds = 0.0
            for part in self.salvage_paths(path):
                try:
                    seconds = max(seconds, wavfile.repair(part))
                    log.warning("recording salvaged after node failure path=%s seconds=%.1f",
                                part, seconds)
                except (OSError, ProtocolError) as exc:
                    log.error("recording lost with its node path=%s error=%s", part, exc)
            if entry is not None and not entry[1].done():
                entry[1].set_result(seconds)
        link.recordings.clear()

    async def _publish(self) -> None:
        async with self._publish_lock:
            ports = sorted(l.sip_port for l in self._links.values() if self._serving(l))
            if ports == self._published:
                return
            self._published = ports
            log.info("media nodes changed sip_ports=%s", ports)
            if self.on_nodes_changed is not None:
                try:
                    await self.on_nodes_changed(ports)
                except Exception:  # noqa: BLE001 - an observer's failure is its own
                    log.exception("on_nodes_changed failed")

    def _in_background(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- retiring idle nodes ------------------------------------------------------------------
    def _idle_check(self, link: NodeLink) -> None:
        """Start the idle timer of a node that could be retired once it runs out."""
        if (not link.idle() or link.retiring or link.node_id in self._idle_timers
                or self._stopping or len(self._links) <= self._min or link.state != "up"):
            return
        self._idle_timers[link.node_id] = self._clock.call_later(
            TIMERS["media.idle_retire"], lambda: self._idle_expired(link))

    def _cancel_idle(self, link: NodeLink) -> None:
        handle = self._idle_timers.pop(link.node_id, None)
        if handle is not None:
            handle.cancel()

    def _idle_expired(self, link: NodeLink) -> None:
        self._idle_timers.pop(link.node_id, None)
        serving = [l for l in self._links.values() if self._serving(l)]
        others_free = sum(l.free() for l in serving if l is not link)
        wanted = self.spare_wanted()
        idle_ids = [l.node_id for l in serving if l.idle()]
        if (self._stopping or not link.idle() or not self._serving(link)
                or len(self._links) <= self._min or others_free < wanted
                or link.node_id != max(idle_ids, default=0)):
            if not self._stopping and link.idle() and self._serving(link):
                self._idle_check(link)        # still needed as spare room: look again later
            return
        link.retiring = True
        log.info("media node idle and surplus, stopping it node=%d", link.node_id)
        self._in_background(self._retire(link))

    async def _retire(self, link: NodeLink) -> None:
        await self._publish()
        link.retired = True
        await link.terminate()
        for other in list(self._links.values()):
            self._idle_check(other)

    # -- control connections ----------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            raw = await wait_for(self._clock, reader.readline(), TIMERS["media.hello_timeout"])
            msg = decode(raw)
        except (asyncio.TimeoutError, ProtocolError, ValueError, ConnectionError) as exc:
            log.warning("media control connection refused: %s", exc)
            writer.close()
            return
        link = None
        hello = msg.data if isinstance(msg, Event) and msg.event == "hello" else None
        if hello is not None:
            link = self._links.get(hello["node"])
        if hello is None or link is None or link.pid != hello.get("pid") \
                or link.state != "starting":
            log.warning("media control connection from an unknown node refused: %s", msg)
            writer.close()
            return
        link.attach(reader, writer, dict(hello), self._on_event, self._on_leg_gone)
        log.info("media node up node=%d pid=%d inband=%s", link.node_id, link.pid, link.inband)

    def _on_event(self, link: NodeLink, ev: Event) -> None:
        d = ev.data
        if ev.event == "incoming":
            leg = link.add_leg(d["leg"], "in", dict(d))
            self._cancel_idle(link)
            self._check_capacity()
            self._spawn_flow(leg)
        elif ev.event == "recording_done":
            link.recordings.discard(d["path"])
            entry = self._recordings.get(d["path"])
            if entry is not None and not entry[1].done():
                entry[1].set_result(float(d["seconds"]))
            self._idle_check(link)
        else:
            log.warning("unexpected event from media node node=%d event=%s", link.node_id, ev.event)

    def _on_leg_gone(self, link: NodeLink, leg: Leg) -> None:
        self._room_changed()
        self._idle_check(link)
        self._check_capacity()

    def _spawn_flow(self, leg: Leg) -> None:
        task = asyncio.create_task(self._run_flow(leg), name=f"media-incoming-{leg.id}")
        self._flow_tasks.add(task)
        task.add_done_callback(self._flow_tasks.discard)

    async def _run_flow(self, leg: Leg) -> None:
        try:
            if self.on_incoming is None:
                await leg.reject(480)
                return
            await self.on_incoming(leg)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a broken flow must not take the pool down
            log.exception("incoming call handler failed leg=%s", leg.id)
            try:
                await leg.hangup()
            except MediaError:
                pass

    # -- the call API ----------------------------------------------------------------------
    async def dial(self, near: Leg, uri: str, caller_id: str | None = None,
                   caller_name: str | None = None) -> Leg:
        """A new outgoing leg on ``near``'s node (to ``uri``, or ``sip:<uri>@edge``).

        ``caller_id``/``caller_name`` become the From and P-Asserted-Identity the far
        end shows (a seat's phone shows the caller, not the node).
        """
        link = near.link
        if near.ended.done():
            raise MediaError(f"dial: leg {near.id} has ended", leg=near.id)
        holder: list[Leg] = []

        def register(data: dict[str, Any]) -> None:
            holder.append(link.add_leg(data["leg"], "out", {"uri": uri}, near=near))
            self._cancel_idle(link)

        args: dict[str, Any] = {"uri": uri, "near_leg": near.number}
        if caller_id:
            args["caller_id"] = caller_id
        if caller_name:
            args["caller_name"] = caller_name
        await link.command("dial", _on_ok=register, **args)
        self._check_capacity()
        return holder[0]

    async def bridge(self, a: Leg, b: Leg) -> None:
        self._same_node(a, b, "bridge")
        await a.link.command("bridge", a=a.number, b=b.number)

    async def unbridge(self, a: Leg, b: Leg) -> None:
        self._same_node(a, b, "unbridge")
        await a.link.command("unbridge", a=a.number, b=b.number)

    def node_pids(self) -> dict[int, int]:
        return {l.node_id: l.pid for l in self._links.values() if l.state == "up"}

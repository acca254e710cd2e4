"""``KamailioEdge``: render, check, start, supervise and stop the Kamailio SIP edge.

Kamailio runs as our child (``-DD -E``: main process in the foreground, log on
stderr) in its own process group, so Ctrl-C on the terminal reaches the daemon
only and the daemon stops Kamailio in order. Kamailio outlives a daemon that
dies without stopping it, on purpose: the media nodes of that daemon hang up
their calls when their control socket closes, and those BYEs travel through
the edge (Record-Route), so callers and seats hear the end instead of dead air;
registrations keep being answered meanwhile. The next start ends that
leftover instance (pid file + command line) before launching its own. As
root, ``setpriv`` drops CAP_NET_RAW so Kamailio's only IP socket is the SIP
listener. Each line Kamailio writes goes to the ``callbox.sipedge.kamailio`` logger;
its ``SECURITY event=<kind> ...`` lines become ``security.<kind>`` events
(``firmware/sipedge/logs.py``). An unexpected exit is followed by a restart after
the shared restart policy's delay (``firmware/supervision.py``: at once; slower,
with the event ``sip.edge_crash_loop``, while it crash-loops) and the event
``sip.edge_restarted``. All waiting runs on the injected clock.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import os
import shutil
import signal
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from acd_core.clock import Clock
from firmware.clock import LoopClock, first, sleep, wait_for
from firmware.config import Config
from firmware.errors import EdgeError
from firmware.events import EventBus
from firmware.sipedge import tables
from firmware.sipedge.logs import parse_line, security_event
from firmware.sipedge.placer import (Admission, Decide, PlaceAnswer, PlacementServer,
                                     PlaceRequest, RoutesSomewhere)
from firmware.sipedge.render import EdgePaths, EdgeSettings, render_config
from firmware.sipedge.rpc import (JsonRpcClient, contacts_by_user, dialog_ids, htable_keys,
                                  probe_states, registration_states)
from firmware.sipedge.tables import EdgeTrunk, ha1
from firmware.supervision import RestartPolicy
from firmware.timers import TIMERS

__all__ = ["KamailioEdge", "EdgeSettings", "EdgeTrunk", "ha1"]

log = logging.getLogger("callbox.sipedge")
#: ``dispatcher.list``'s error text when no destination is loaded (Kamailio 5.6)
NO_DESTINATIONS = "No Destination Sets"
kamlog = logging.getLogger("callbox.sipedge.kamailio")

SHM_MB = 32
PKG_MB = 4
LINE_LIMIT = 1 << 16


def _no_placement(request: PlaceRequest) -> PlaceAnswer:
    return PlaceAnswer(503, "no placement service")


class KamailioEdge:
    def __init__(self, cfg: Config, bus: EventBus, *, settings: EdgeSettings = EdgeSettings(),
                 kamailio: str = "kamailio", sql_dir: Path = tables.SQL_DIR,
                 ready_timeout: float = TIMERS["edge.ready_timeout"],
                 stop_timeout: float = TIMERS["edge.stop_timeout"],
                 clock: Clock | None = None, placer: Decide | None = None,
                 routes_somewhere: RoutesSomewhere | None = None,
                 restarts: RestartPolicy | None = None) -> None:
        """``placer`` answers Kamailio's "which media node?" (firmware/sipedge/placer.py)
        for the INVITEs ``routes_somewhere(trunk, did)`` admits (``Admission``; without
        it no trunk call is admitted); ``restarts`` is the supervision policy (the
        shared defaults unless given)."""
        self.cfg = cfg
        self.bus = bus
        self.clock: Clock = clock or LoopClock()
        self.settings = settings.checked()
        self.paths = EdgePaths.from_config(cfg)
        self.rpc = JsonRpcClient(self.paths.rpc_socket, self.paths.run_dir, self.clock)
        self._kamailio = kamailio
        self._sql_dir = sql_dir
        self._ready_timeout = ready_timeout
        self._stop_timeout = stop_timeout
        self._proc: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._ready = False
        self._policy = restarts or RestartPolicy(self.clock)
        self._last_error: str | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=40)
        self._schema_done = False
        self._pending_reloads: set[str] = set()
        self._last_reload: dict[str, float] = {}   # method -> wall-clock time (clock.wall())
        self._reload_lock = asyncio.Lock()
        self.ready_seconds: float | None = None   # start() until the RPC socket answered
        self.admission = Admission(placer or _no_placement, routes_somewhere, bus)
        self.placement = PlacementServer(cfg.sip.placement_port, self.admission)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._supervisor is not None:
            raise EdgeError("kamailio edge already started", what="start")
        t0 = self.clock.now()
        self.paths.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        await self._ensure_schema()
        text = render_config(self.cfg, self.paths, self.settings)
        tmp = self.paths.config.with_suffix(".cfg.new")
        tmp.write_text(text, "utf-8")
        tmp.chmod(0o600)
        os.replace(tmp, self.paths.config)
        await self._check_config()
        await self._end_leftover()
        try:
            await self.placement.start()
        except OSError as exc:
            raise EdgeError(f"cannot listen for placement questions on 127.0.0.1:"
                            f"{self.cfg.sip.placement_port}: {exc.strerror}", what="start",
                            key="sip.placement_port") from None
        try:
            await self._launch()
        except BaseException:
            await self.placement.stop()
            raise
        self.ready_seconds = self.clock.now() - t0
        log.info("kamailio edge ready pid=%s listen=%s:%s ready_ms=%.0f", self.pid,
                 self.cfg.sip.listen, self.cfg.sip.port, self.ready_seconds * 1000)
        self._supervisor = asyncio.create_task(self._supervise(), name="kamailio-supervisor")

    async def stop(self) -> None:
        """Stop Kamailio (SIGTERM, SIGKILL after ``stop_timeout``) and the supervision."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        proc, self._proc = self._proc, None
        if proc is not None:
            await self._terminate(proc)
            log.info("kamailio edge stopped pid=%s code=%s", proc.pid, proc.returncode)
        await self.placement.stop()
        self._ready = False

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    def health(self) -> dict[str, Any]:
        running = self._ready and self.pid is not None
        return {"status": "ok" if running else "down", "running": running, "pid": self.pid,
                "restarts": self._policy.restarts, "crash_looping": self._policy.crash_looping,
                "last_error": self._last_error,
                "listen": f"udp:{self.cfg.sip.listen}:{self.cfg.sip.port}",
                "ready_ms": None if self.ready_seconds is None
                else round(self.ready_seconds * 1000)}

    # ------------------------------------------------------------------ tables
    async def set_seats(self, seats: Mapping[str, str]) -> None:
        """Replace all seat accounts: {user: HA1}. Kamailio reads them per request."""
        await self._ensure_schema()
        await tables.replace_seats(self.paths.db, self.cfg.sip.realm, seats)
        log.info("kamailio seats set count=%d", len(seats))

    async def set_trunk_sources(self, sources: Iterable[tuple[str, str]]) -> None:
        """Replace the trusted trunk sources: [(cidr, trunk tag)]."""
        sources = list(sources)
        await self._ensure_schema()
        await tables.replace_trunk_sources(self.paths.db, sources)
        log.info("kamailio trunk sources set %s",
                 " ".join(f"{c}={t}" for c, t in sources) or "-")
        await self._reload("permissions.addressReload")

    async def set_sip_trunks(self, trunks: Iterable[EdgeTrunk]) -> None:
        """Replace every SIP trunk the edge calls out on, registers with and keeps alive."""
        trunks = list(trunks)
        await self._ensure_schema()
        await tables.replace_trunks(self.paths.db, trunks, self.cfg.sip.listen)
        log.info("kamailio sip trunks set %s", " ".join(
            f"{t.name}={t.dst}{'/reg' if t.register else ''}" for t in trunks) or "-")
        for method in ("htable.reload", "dispatcher.reload", "uac.reg_reload"):
            await self._reload(method)

    # ------------------------------------------------------------------ live state
    async def trunk_states(self) -> dict[str, dict[str, bool | None]]:
        """``{trunk: {"reachable": bool | None, "registered": bool | None}}`` as Kamailio
        sees them now: reachable from the OPTIONS keep-alive (None: not probed),
        registered from the registrations it makes (None: the trunk does not register)."""
        try:
            listed = await self.rpc.call("dispatcher.list")
        except EdgeError as exc:
            # Kamailio answers an empty dispatcher list (a box without SIP trunks, or
            # with none kept alive by OPTIONS) with an error, not an empty result
            if NO_DESTINATIONS not in str(exc):
                raise
            listed = None
        probes = probe_states(listed)
        regs = registration_states(await self.rpc.call("uac.reg_dump"))
        names = set(probes) | set(regs)
        return {n: {"reachable": probes.get(n), "registered": regs.get(n)} for n in names}

    async def bans(self) -> list[str]:
        """The addresses banned now (each for ``ban_seconds`` from its ban)."""
        return htable_keys(await self.rpc.call("htable.dump", "ipban"))

    async def unban(self, address: str) -> bool:
        """Lift the ban on ``address`` at once (an admin's decision); False if none."""
        if address not in await self.bans():
            return False
        await self.rpc.call("htable.delete", "ipban", address)
        await self.rpc.call("htable.delete", "authfail", address)
        log.warning("sip source unbanned ip=%s", address)
        return True

    async def registrations(self) -> dict[str, list[str]]:
        """{seat user: [contact URI, ...]} as Kamailio holds them now."""
        return contacts_by_user(await self.rpc.call("ul.dump"))

    async def end_dialogs_with(self, sip_port: int) -> int:
        """End (BYE both ways) every call the edge relayed to or from the media node on
        ``sip_port`` — the node died, so its callers and seats must hear it. Returns how
        many dialogs were ended."""
        node = f"sip:127.0.0.1:{sip_port}"
        try:
            listed = await self.rpc.call("dlg.profile_list", "node", node)
        except EdgeError as exc:
            log.error("cannot list the dialogs of a failed node node=%s error=%s", node, exc)
            return 0
        ended = 0
        for h_entry, h_id in dialog_ids(listed):
            try:
                await self.rpc.call("dlg.end_dlg", h_entry, h_id)
                ended += 1
            except EdgeError as exc:          # it may have ended meanwhile
                log.warning("dialog of a failed node not ended node=%s dlg=%s:%s error=%s",
                            node, h_entry, h_id, exc)
        log.warning("ended the calls of a failed media node node=%s dialogs=%d", node, ended)
        return ended

    # ------------------------------------------------------------------ internals
    async def _ensure_schema(self) -> None:
        if not self._schema_done:
            await tables.ensure_schema(self.paths.db, self._sql_dir)
            self._schema_done = True

    def _binary(self) -> str:
        path = shutil.which(self._kamailio)
        if path is None:
            raise EdgeError("kamailio is not installed (Debian packages kamailio, "
                            "kamailio-sqlite-modules)", what="start", binary=self._kamailio)
        return path

    def _argv(self) -> list[str]:
        argv = [self._binary(), "-DD", "-E", "-f", str(self.paths.config),
                "-P", str(self.paths.pidfile), "-m", str(SHM_MB), "-M", str(PKG_MB)]
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            return argv
        # As root, Kamailio would open a raw IP send socket at start-up; it needs none.
        drop = ["--bounding-set", "-net_raw"] if os.geteuid() == 0 else []
        return [setpriv, *drop, "--", *argv] if drop else argv

    async def _check_config(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            self._binary(), "-c", "-f", str(self.paths.config),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, cwd=str(self.paths.run_dir))
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            lines = [ln for ln in out.decode("utf-8", "replace").splitlines()
                     if "CRITICAL" in ln or "ERROR" in ln]
            raise EdgeError("kamailio rejected its generated config: " + " | ".join(lines[-5:]),
                            what="config", path=str(self.paths.config), code=proc.returncode)

    async def _end_leftover(self) -> None:
        """End a Kamailio a previous daemon run started with this config and left behind."""
        try:
            pid = int(self.paths.pidfile.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            return
        if not cmdline[0].endswith(b"kamailio") or str(self.paths.config).encode() not in cmdline:
            return
        log.warning("ending leftover kamailio pid=%d config=%s", pid, self.paths.config)
        nudge = min(TIMERS["edge.term_group_after"], self._stop_timeout)
        # SIGTERM, SIGTERM again to the whole group (a worker may have missed the first,
        # see _terminate), then SIGKILL
        for sig, grace in ((signal.SIGTERM, nudge), (signal.SIGTERM, self._stop_timeout - nudge),
                           (signal.SIGKILL, 2.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig) if os.getpgid(pid) == pid else os.kill(pid, sig)
            deadline = self.clock.now() + grace
            while Path(f"/proc/{pid}").exists() and self.clock.now() < deadline:
                await sleep(self.clock, 0.05)
            if not Path(f"/proc/{pid}").exists():
                return
        raise EdgeError("leftover kamailio did not stop", what="start", pid=pid)

    async def _launch(self) -> None:
        # Kamailio's log goes to a pipe we own rather than a subprocess pipe: asyncio's
        # Process.wait() would otherwise also wait for every worker to close its copy,
        # and workers orphaned by a killed main process keep it open.
        loop = asyncio.get_running_loop()
        # a starting Kamailio reads every table; only changes from now on need a reload
        # (a second uac.reg_reload would register every trunk twice)
        self._pending_reloads.clear()
        rfd, wfd = os.pipe()
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._argv(), stdin=asyncio.subprocess.DEVNULL, stdout=wfd, stderr=wfd,
                start_new_session=True, cwd=str(self.paths.run_dir))
        except BaseException:
            os.close(rfd)
            raise
        finally:
            os.close(wfd)
        reader = asyncio.StreamReader(limit=LINE_LIMIT)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(rfd, "rb", 0))
        self._proc = proc
        self._pump = asyncio.create_task(self._read_output(proc.pid, reader, transport),
                                         name=f"kamailio-log-{proc.pid}")
        try:
            await self._wait_ready(proc)
        except BaseException:
            self._proc = None
            await self._terminate(proc)
            raise
        self._ready = True
        for method in sorted(self._pending_reloads):
            await self._reload(method)

    async def _wait_ready(self, proc: asyncio.subprocess.Process) -> None:
        deadline = self.clock.now() + self._ready_timeout
        exited = asyncio.ensure_future(proc.wait())
        try:
            while True:
                if exited.done():
                    raise EdgeError(f"kamailio exited with code {proc.returncode} while "
                                    "starting: " + " | ".join(list(self._tail)[-5:]),
                                    what="start", code=proc.returncode)
                try:
                    await self.rpc.call("core.uptime", timeout=0.5)
                    return
                except EdgeError:
                    if self.clock.now() > deadline:
                        raise EdgeError("kamailio did not answer on its RPC socket within "
                                        f"{self._ready_timeout:.0f} s", what="start",
                                        socket=str(self.paths.rpc_socket)) from None
                await first(self.clock, [exited], 0.05)
        finally:
            exited.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await exited

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        """SIGTERM to the main process (it stops its workers), then to the whole group:
        a worker still starting up when the main process passed SIGTERM on can miss it
        and keep the main process waiting (seen with stop right after start); SIGKILL
        after ``stop_timeout``."""
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            nudge = min(TIMERS["edge.term_group_after"], self._stop_timeout)
            try:
                await wait_for(self.clock, asyncio.shield(proc.wait()), nudge)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
            try:
                await wait_for(self.clock, proc.wait(), self._stop_timeout - nudge)
            except asyncio.TimeoutError:
                log.warning("kamailio did not stop on SIGTERM, killing pid=%d", proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        self._kill_group(proc.pid)
        if self._pump is not None:
            await self._pump
            self._pump = None

    @staticmethod
    def _kill_group(pgid: int) -> None:
        """Kill what is left of the process group we created for one Kamailio."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

    async def _read_output(self, pid: int, reader: asyncio.StreamReader,
                           transport: asyncio.ReadTransport) -> None:
        try:
            while True:
                try:
                    raw = await reader.readline()
                except ValueError:  # a line longer than LINE_LIMIT: skip it
                    kamlog.warning("kamailio pid=%d wrote an over-long line", pid)
                    continue
                if not raw:
                    return
                self._handle_line(raw.decode("utf-8", "replace"))
        finally:
            transport.close()

    def _handle_line(self, raw: str) -> None:
        line = parse_line(raw)
        if not line.text:
            return
        self._tail.append(line.text)
        if line.level >= logging.ERROR:
            self._last_error = line.text
        kamlog.log(line.level, "kamailio pid=%s level=%s %s", line.pid, line.level_name,
                   line.text)
        event = security_event(line)
        if event is not None:
            self.bus.publish(event.kind, **event.data)

    async def _supervise(self) -> None:
        policy = self._policy
        while True:
            proc = self._proc
            assert proc is not None
            code = await proc.wait()
            self._ready = False
            self._proc = None
            self._kill_group(proc.pid)
            if self._pump is not None:
                await self._pump
                self._pump = None
            self._last_error = f"kamailio exited with code {code}"
            while True:
                was_looping = policy.crash_looping
                delay = policy.died()
                log.error("kamailio exited unexpectedly pid=%d code=%s restart_in=%.1fs",
                          proc.pid, code, delay)
                if policy.crash_looping and not was_looping:
                    log.error("kamailio crash-looping restarts=%d, restarting every %.0f s",
                              policy.restarts, delay)
                    self.bus.publish("sip.edge_crash_loop", restarts=policy.restarts)
                await sleep(self.clock, delay)
                try:
                    await self._end_leftover()
                    await self._launch()
                    break
                except EdgeError as exc:
                    self._last_error = str(exc)
                    log.error("kamailio restart failed: %s", exc)
            log.warning("kamailio restarted pid=%s restarts=%d", self.pid, policy.restarts)
            self.bus.publish("sip.edge_restarted", pid=self.pid, restarts=policy.restarts,
                             exit_code=code, delay=delay)

    async def _reload(self, method: str) -> None:
        """Ask Kamailio to reload a table; deferred to the next start if it is not up.

        Kamailio refuses a second reload of a table within the same wall-clock
        second (``reload_delta`` 1); wait for the next second instead of being refused.
        """
        if not self._ready:
            self._pending_reloads.add(method)
            return
        params = ("trunks",) if method == "htable.reload" else ()
        clock = self.clock
        async with self._reload_lock:
            deadline = clock.now() + TIMERS["edge.reload_retry"]
            while True:
                last = self._last_reload.get(method)
                if last is not None and math.floor(last) + 1.0 > clock.wall():
                    await sleep(clock, math.floor(last) + 1.02 - clock.wall())
                try:
                    await self.rpc.call(method, *params)
                except EdgeError as exc:
                    if "ongoing reload" not in str(exc).lower() or clock.now() > deadline:
                        raise
                    self._last_reload[method] = clock.wall()
                    continue
                self._last_reload[method] = clock.wall()
                self._pending_reloads.discard(method)
                return

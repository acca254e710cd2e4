"""Composition root: reads config, builds every part with its back end, starts, stops.

Start order follows the dependencies: store and event log -> board parts
(simulated or real, polled in the drivers' thread) -> the demo on first start ->
Kamailio edge with its tables -> media nodes (which register themselves in the
edge's dispatcher) -> ACD -> web UI -> mDNS announcement. Stop runs in reverse
and ends only the processes this daemon started.
"""
from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
from pathlib import Path
from typing import Any, Coroutine

from acd_core.clock import Clock

from firmware import config as config_mod, demo, listen_change, sdnotify, slot
from firmware.api import Api
from firmware.api_system import update_available
from firmware.clock import LoopClock, sleep
from firmware.config import Config
from firmware.crm.service import Crm
from firmware.cti import codes
from firmware.cti.outbound import seat_call
from firmware.discovery import Announcer
from firmware.errors import FlowError, ListenError
from firmware.events import Event, EventBus
from firmware.flows import callback, inbound, routing
from firmware.flows.acd_runner import AcdRunner
from firmware.flows.context import FlowContext
from firmware.flows.reconcile import reconcile
from firmware.flows.records import CallRecords
from firmware.flows.say import PromptLibrary
from firmware.hardware import Hardware
from firmware.listen_change import ListenChange
from firmware.listen_effects import ListenEffects
from firmware.restore_live import RestoreRequest, take_outcome
from firmware.media.leg import Leg
from firmware.media.pool import MediaPool
from firmware.sipedge.kamailio import KamailioEdge
from firmware.sipedge.render import EdgeSettings
from firmware.security import SecurityControl, SecurityMonitor
from firmware.sipedge.placer import PlaceAnswer, PlaceRequest
from firmware.store import Store
from firmware.store.keeper import RecordKeeper
from firmware.telephony.lines import LineChannel, Lines
from firmware.telephony.sip import SipChannel
from firmware.timers import TIMERS
from firmware.trunks import SipTrunks, Trunks
from webui.app import make_app, spools_of
from webui.proxy import trust_proxy
from webui.server import WebServer

log = logging.getLogger("callbox.app")

__version__ = "0.1.0"


class App:
    """The running appliance. ``clock`` is the daemon's one clock (a ``LoopClock``
    unless a test passes its own); the drivers' thread gets a ``SystemClock``,
    the same ``Clock`` type with timers on threads, because it runs off the loop."""

    def __init__(self, cfg: Config, clock: Clock | None = None,
                 config_path: Path | None = None) -> None:
        self.cfg = cfg
        self.config_path = config_path          # the file cfg came from (None: defaults)
        self.clock: Clock = clock or LoopClock()
        self.bus = EventBus(self.clock)
        self.store: Store | None = None
        self.edge: KamailioEdge | None = None
        self.pool: MediaPool | None = None
        self.acd: AcdRunner | None = None
        self.web: WebServer | None = None
        self.listen_effects: ListenEffects | None = None
        self.listen: ListenChange | None = None
        self.restore_request: RestoreRequest | None = None  # carried out after stop()
        self.stop_requested: asyncio.Event | None = None    # serve()'s: ends the run
        self.api: Api | None = None         # what the web UI calls (kept for in-process tests)
        self.ctx: FlowContext | None = None
        self.security = SecurityMonitor(self.bus, self.clock)
        self.trunks = Trunks(self.bus)
        self.sip_trunks: SipTrunks | None = None
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._registered: set[str] = set()
        self.hardware = Hardware(cfg)
        self.keeper: RecordKeeper | None = None
        self._announcer: Announcer | None = None
        self._announcing: asyncio.Future[None] | None = None
        self._started_mono: float | None = None
        self.crm: Crm | None = None
        self.router: routing.Router | None = None
        self.prompt_library: PromptLibrary | None = None
        self.lines: Lines | None = None

    # -- lifecycle --------------------------------------------------------------
    async def start(self) -> None:
        # A listen change still pending means the last run stopped inside its window:
        # the previous callbox.toml is back before anything listens (firmware/listen_change.py).
        recovered = listen_change.recover(self.cfg.var_dir, self.config_path)
        if recovered is not None and self.config_path is not None:
            self.cfg = config_mod.load(self.config_path)
        cfg = self.cfg
        self._started_mono = self.clock.now()
        for d in (cfg.var_dir, cfg.run_dir, cfg.recordings_dir / ".incoming", cfg.prompts_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir,
                                      clock=self.clock)
        self.store.attach_event_log(self.bus)
        await reconcile(self.store, cfg.recordings_dir, self.bus)
        self.keeper = RecordKeeper(cfg.var_dir, self.clock, self.bus)
        self.keeper.start()
        await self.hardware.start()
        if await demo.provision(cfg, self.store):
            log.info("demo provisioned credentials=%s", demo.credentials_path(cfg))
        files = demo.ensure_prompts(cfg)

        self.edge = KamailioEdge(cfg, self.bus, clock=self.clock, placer=self._place,
                                 routes_somewhere=self._routes_somewhere,
                                 settings=EdgeSettings.from_config(cfg))
        self.sip_trunks = SipTrunks(self.trunks, self.edge, self.bus, self.clock,
                                    dial=self._dial_out,
                                    edge_address=f"{cfg.sip.listen}:{cfg.sip.port}")
        self.trunks.set_routes(await self.store.outbound.routes())
        await self._sync_edge_tables()
        await self.edge.start()

        self.pool = MediaPool(cfg, self.bus, clock=self.clock)
        self.bus.subscribe("media.node_failed", self._end_calls_of_failed_node)
        self.pool.on_incoming = self._on_incoming
        await self.pool.start()
        self.sip_trunks.start()

        self.acd = AcdRunner(self.bus, self.clock)
        self.acd.configure(await self.store.config.queues(), await self.store.config.seats(),
                           await self.store.inbound.all_queue_rules())
        self.crm = Crm(self.store, clock=self.clock, bus=self.bus)
        if self.crm.escalator is not None:
            await self.crm.escalator.start()
        self.router = routing.Router(self.store)
        await self.router.reload()
        routing.install(self.router)
        self.bus.subscribe("config.changed", self._config_changed)
        self.prompt_library = PromptLibrary(cfg.prompts_dir, self.store.inbound)
        self.ctx = FlowContext(cfg=cfg, bus=self.bus, store=self.store, pool=self.pool,
                               acd=self.acd, clock=self.clock, moh_path=files["moh"],
                               records=CallRecords(self.store, self.keeper),
                               router=self.router, prompts=self.prompt_library, crm=self.crm,
                               trunks=self.trunks)
        await self.ctx.cti.start()
        # The card's lines last: their calls need the pool, the flows and the ACD.
        self.lines = Lines(cfg, self.pool, self.clock, self.bus, self.trunks, self._on_line_call,
                           on_code=self._seat_code, on_reachable=self._analog_reachable)
        await self.lines.start(self.hardware.card)
        self.ctx.seats.analog = self.lines.fxs
        restored = await callback.restore(self.ctx)
        if restored:
            log.info("callbacks restored count=%d", restored)
        self._background(self._warm_prompts())
        self._poller = asyncio.create_task(self._poll_registrations())

        api = self.api = Api(asyncio.get_running_loop(), self.store, self.health, bus=self.bus)
        api.set_site(realm=cfg.sip.realm, sip_host=cfg.sip.listen, sip_port=cfg.sip.port)
        self.bus.subscribe("config.changed", self._on_config_changed)
        api.attach_cti(self.ctx.cti)
        api.attach_crm(self.crm)
        api.attach_inbound(self.router, self.prompt_library)
        api.attach_trunks(self.trunks)
        api.attach_lines(self.lines)
        api.attach_security(SecurityControl(self.edge, self.security, self.bus))
        api.attach_system(cfg, self.config_path)
        if update_available():
            from firmware.update_job import clear_leftovers
            if clear_leftovers(api.update_folder()):
                log.info("removed firmware uploads left by an earlier run")
            if importlib.import_module("firmware.update").installed_image():
                api.attach_reboot(importlib.import_module("firmware.update").reboot)
        # make_app reads its signing key through the API, so it must run off the loop.
        web_app = await asyncio.to_thread(make_app, api, clock=self.clock)
        wsgi = trust_proxy(web_app, cfg.web.trusted_proxy)
        self.web = WebServer(wsgi, cfg.web.listen, cfg.web.port, spools=spools_of(web_app))
        await asyncio.to_thread(self.web.start)
        self.listen_effects = ListenEffects(self, wsgi)
        self.listen = ListenChange(self.clock, cfg, self.config_path, self.listen_effects,
                                   self._audit)
        api.attach_listen_change(self.listen)
        if recovered is not None:
            await self._audit("system.listen_revert", *listen_change.SYSTEM, {
                "reason": "restart", "from": recovered.new.as_dict(),
                "to": recovered.previous.as_dict()})
        api.attach_restore(self.request_restore, self.legs_in_use)
        outcome = take_outcome(cfg.var_dir)
        if outcome is not None:
            ok = bool(outcome.pop("ok", False))
            by, role = str(outcome.pop("by", "?")), str(outcome.pop("role", "?"))
            await self.crm.audit.append(by, role, "system.restore" if ok
                                        else "system.restore_failed",
                                        str(outcome.get("archive", "")), outcome)
            self.bus.publish("system.restored" if ok else "system.restore_failed", **outcome)
        if cfg.discovery.enabled:
            # Probing takes seconds; the box serves meanwhile.
            self._announcing = asyncio.get_running_loop().run_in_executor(None, self._announce)
        self.bus.publish("system.started", web=f"http://{cfg.web.listen}:{cfg.web.port}",
                         serial=self.hardware.serial, hardware=cfg.hardware.profile)

    def _announce(self) -> None:
        try:
            d = self.cfg.discovery
            announcer = Announcer(d.address or self.cfg.web.listen, d.web_port or self.cfg.web.port,
                                  self.cfg.sip.port,
                                  self.hardware.serial, version=__version__,
                                  realm=self.cfg.sip.realm)
            announcer.start()
            self._announcer = announcer
        except Exception as exc:  # no multicast on this interface: the box still serves
            log.warning("mdns announcement failed error=%s", exc)

    async def reannounce(self) -> None:
        """The box moved (a listen change or its way back): phones and browsers that find
        it by mDNS must be sent to where it now listens, not where it listened at start."""
        if not self.cfg.discovery.enabled:
            return
        if self._announcing is not None:
            await self._announcing
        old, self._announcer = self._announcer, None
        if old is not None:
            await asyncio.to_thread(old.stop)
        # the probe takes seconds: the listen change answers without waiting for it
        self._announcing = asyncio.get_running_loop().run_in_executor(None, self._announce)

    async def stop(self) -> None:
        if self.listen is not None:
            self.listen.close()
        if self.listen_effects is not None:
            await self.listen_effects.stop()
        if self.web is not None:
            await asyncio.to_thread(self.web.stop)
        if self._poller is not None:
            self._poller.cancel()
        if self.lines is not None:
            await self.lines.stop()
        if self.ctx is not None:
            await self.ctx.cti.stop()
            await self.ctx.tasks.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.router is not None:
            routing.uninstall(self.router)
        if self.crm is not None and self.crm.escalator is not None:
            self.crm.escalator.stop()
        if self.acd is not None:
            self.acd.close()
        if self.sip_trunks is not None:
            await self.sip_trunks.stop()
        if self.pool is not None:
            await self.pool.stop()
        if self.edge is not None:
            await self.edge.stop()
        if self._announcing is not None:
            await self._announcing
        if self._announcer is not None:
            await asyncio.to_thread(self._announcer.stop)
        await self.hardware.stop()
        if self.keeper is not None:
            await self.keeper.stop()
        self.security.close()
        if self.store is not None:
            await self.store.close()

    # -- listen addresses changed on the system page (firmware/listen_change.py) ---------
    async def _audit(self, action: str, user: str, role: str, detail: dict[str, Any]) -> None:
        assert self.crm is not None
        await self.crm.audit.append(user, role, action, "listen", detail)

    def legs_in_use(self) -> int:
        """Call legs up on the media nodes now (0: stopping ends no call)."""
        return 0 if self.pool is None else sum(int(n["legs_in_use"])
                                               for n in self.pool.health()["nodes"])

    def request_restore(self, request: RestoreRequest) -> None:
        """The system page asked for a restore (``firmware/restore_live.py``): the run ends
        a moment later (the answer gets out first) and ``serve`` returns the request."""
        if self.stop_requested is None:
            raise ListenError("this daemon cannot restart itself (not started by serve)",
                              "file", status=409)
        self.restore_request = request
        event = self.stop_requested
        self.clock.call_later(TIMERS["system.answer_grace"], event.set)

    # -- wiring -------------------------------------------------------------------
    async def _sync_edge_tables(self) -> None:
        assert self.store is not None and self.edge is not None
        assert self.sip_trunks is not None
        seats = await self.store.config.seats()
        await self.edge.set_seats({s.extension: s.ha1 for s in seats})
        await self.edge.set_trunk_sources(await self.store.config.trunk_sources())
        await self.sip_trunks.configure(await self.store.config.trunks())

    async def _routes_somewhere(self, trunk: str, did: str) -> bool:
        """The edge asks before placing a trunk's INVITE: does ``did`` route anywhere from
        ``trunk``? The inbound route table answers from memory; an INVITE that arrives
        before the daemon has loaded it is refused as routing nowhere."""
        if self.router is None:
            return False
        try:
            return self.router.routes_somewhere(trunk, did)
        except FlowError:
            return False

    async def _dial_out(self, near: Leg, uri: str, caller_id: str | None) -> Leg:
        """A SIP trunk's call from ``near``'s node (``firmware/trunks/sip.py``)."""
        assert self.pool is not None
        return await self.pool.dial(near, uri, caller_id=caller_id)

    async def _place(self, request: PlaceRequest) -> PlaceAnswer:
        """Kamailio asks which media node takes this INVITE (firmware/sipedge/placer.py)."""
        pool = self.pool
        if pool is None:
            return PlaceAnswer(503, "media nodes not started")
        if request.failed_port is not None:
            pool.report_unresponsive(request.failed_port, request.call_id)
        prefer = None
        if request.seat and request.did and self.ctx is not None:
            # a seat's supervision or pickup code joins a call: place it on that call's node
            prefer = self.ctx.cti.placement_hint(request.did, request.seat)
        link = await pool.place_or_wait(request.call_id, prefer=prefer)
        if link is None:
            log.warning("no media node has room call_id=%s did=%s", request.call_id, request.did)
            return PlaceAnswer(503, "no media node has room")
        return PlaceAnswer(200, f"sip:127.0.0.1:{link.sip_port}")

    def _on_config_changed(self, event: Event) -> None:
        """An admin edited seats, queues, trunks or routes: the edge, the ACD and the route
        table follow at once."""
        self._background(self._apply_config(str(event.data.get("what", ""))))

    async def _apply_config(self, what: str) -> None:
        assert self.store is not None and self.edge is not None and self.acd is not None
        assert self.sip_trunks is not None
        try:
            if what == "trunk":
                await self.edge.set_trunk_sources(await self.store.config.trunk_sources())
                await self.sip_trunks.configure(await self.store.config.trunks())
                return
            if what == "route":
                self.trunks.set_routes(await self.store.outbound.routes())
                return
            queues = await self.store.config.queues()
            seats = await self.store.config.seats()
            if what in ("queue", "queue_rules"):
                updated = self.acd.apply_queues(queues, await self.store.inbound.all_queue_rules())
                if updated:
                    self.bus.publish("acd.queues_updated", queues=updated)
            self.acd.apply_seats(seats)
            await self.edge.set_seats({s.extension: s.ha1 for s in seats})
        except Exception:  # noqa: BLE001 - the edit is stored; the next start applies it
            log.exception("applying a configuration change failed what=%s", what)

    def _config_changed(self, event: Event) -> None:
        """An admin changed the configuration (API): routes and lists are read again now, so
        the edge's 404 decision follows at once (queues and their rules: ``_apply_config``)."""
        if self.router is not None:
            self.router.invalidate()
            self._background(self.router.reload())

    async def _warm_prompts(self) -> None:
        """Render configured prompts and the fixed phrases before the first call needs them."""
        assert self.store is not None and self.prompt_library is not None
        inbound = self.store.inbound
        specs: list[tuple[Any, str]] = []
        languages = {"en"}
        for tree in await inbound.ivr_trees():
            languages.add(tree.language)
            specs += [(spec, tree.language) for _, spec in tree.prompts()
                      if not (isinstance(spec, dict) and "file" in spec)]
        for prompt in await inbound.prompts():
            specs += [({"text": {lang: text}}, lang) for lang, text in prompt.texts.items()]
        for rules in (await inbound.all_queue_rules()).values():
            languages.add(rules.language)
        for box in await self.store.voicemail.boxes():
            languages.add(box.language)
        failed = await self.prompt_library.warm(specs, languages)
        self.bus.publish("prompts.ready", rendered=self.prompt_library.rendered, failed=failed)

    def _end_calls_of_failed_node(self, event: Event) -> None:
        """The far ends of a dead node's calls hear a BYE now, not silence (via the edge)."""
        edge = self.edge
        if edge is not None and "sip_port" in event.data:
            self._background(edge.end_dialogs_with(int(event.data["sip_port"])))

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_incoming(self, leg: Leg) -> None:
        """Runs as the pool's task for this leg, for the whole call."""
        assert self.ctx is not None
        if leg.info.get("seat"):            # a seat dialled: a code, a seat or a number
            await seat_call(self.ctx.cti, SipChannel(leg))
            return
        await inbound.handle(self.ctx, SipChannel(leg))

    async def _on_line_call(self, channel: LineChannel) -> None:
        """An inbound call on a line of the card (E1 B-channel): the same flow as SIP's."""
        assert self.ctx is not None
        await inbound.handle(self.ctx, channel)

    async def _seat_code(self, extension: str, dialled: str) -> bool:
        """A feature code keyed on an analog seat's phone: the SIP seats' own path."""
        assert self.ctx is not None
        return await codes.carry_out(self.ctx.cti, extension, dialled, None)

    def _analog_reachable(self, extension: str, reachable: bool) -> None:
        """An FXS seat's port is up (or its chip gone): what a SIP seat's registration is."""
        assert self.acd is not None
        self.acd.set_reachable(extension, reachable)
        self.bus.publish("seat.registered" if reachable else "seat.unregistered", seat=extension)

    async def _poll_registrations(self) -> None:
        """Seat reachability for the ACD, read from Kamailio's live location table."""
        assert self.acd is not None and self.edge is not None
        analog = set(self.cfg.analog.fxs_seat_ports())
        while True:
            try:
                regs = await self.edge.registrations()
                # an analog seat's reachability is its port's (FxsSeats), not a REGISTER
                now = {user for user, contacts in regs.items()
                       if contacts and user not in analog}
                for user in now - self._registered:
                    self.acd.set_reachable(user, True)
                    self.bus.publish("seat.registered", seat=user)
                for user in self._registered - now:
                    self.acd.set_reachable(user, False)
                    self.bus.publish("seat.unregistered", seat=user)
                self._registered = now
            except Exception as exc:
                log.warning("registration poll failed error=%s", exc)
            await sleep(self.clock, TIMERS["edge.registration_poll"])

    async def health(self) -> dict[str, Any]:
        """Components for ``/api/health``; the API adds the database and the verdict."""
        edge: dict[str, Any] = dict(self.edge.health()) if self.edge else {"status": "down"}
        edge["registered_seats"] = sorted(self._registered)
        media = self.pool.health() if self.pool else {"status": "down"}
        hardware = await self.hardware.describe()
        uptime = 0.0 if self._started_mono is None else self.clock.now() - self._started_mono
        return {"uptime_s": round(uptime, 1),
                "components": {"kamailio": edge, "media_nodes": media, "hardware": hardware,
                               "storage": self.keeper.describe() if self.keeper
                               else {"status": "down"},
                               "trunks": self.trunks.health(),
                               "lines": self.lines.describe() if self.lines
                               else {"status": "down"},
                               "security": self.security.health()}}


async def serve(cfg: Config, ready: "asyncio.Future[App] | None" = None,
                config_path: Path | None = None) -> RestoreRequest | None:
    """Run until SIGINT/SIGTERM (or a restore asked for on the system page, which is
    returned for the caller to carry out once everything is stopped); always stops what
    it started."""
    app = App(cfg, config_path=config_path)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    app.stop_requested = stop
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    notifier = sdnotify.Notifier()
    tasks = []
    if notifier.ping_interval is not None:
        tasks.append(asyncio.create_task(_watchdog_pings(notifier, notifier.ping_interval)))
    try:
        await app.start()
        print(banner(cfg), flush=True)
        if ready is not None:
            ready.set_result(app)
        if notifier.enabled:
            tasks.append(asyncio.create_task(_report_ready(
                app, notifier, mark_slot=os.environ.get("CALLBOX_MARK_SLOT_GOOD") == "1")))
        await stop.wait()
    finally:
        log.info("stopping")
        notifier.notify(STOPPING="1")
        for t in tasks:
            t.cancel()
        await app.stop()
    return app.restore_request


async def _watchdog_pings(notifier: sdnotify.Notifier, interval: float) -> None:
    """WATCHDOG=1 from the event loop itself: a hung loop stops pinging and is restarted."""
    while True:
        notifier.notify(WATCHDOG="1")
        await asyncio.sleep(interval)


async def _report_ready(app: App, notifier: sdnotify.Notifier, mark_slot: bool,
                        every_s: float = 2.0) -> None:
    """READY=1 once Kamailio, the media nodes and the database are ok; then mark the slot."""
    last = ""
    while True:
        try:
            health = await app.api.check_health() if app.api else {}
            ok, why = slot.healthy_for_boot(health)
        except Exception as exc:          # a failing check must not end the readiness task
            ok, why = False, f"health check failed: {type(exc).__name__}: {exc}"
        if ok:
            break
        if why != last:
            log.info("not ready yet: %s", why)
            last = why
        notifier.notify(STATUS=f"starting: {why}")
        await sleep(app.clock, every_s)
    notifier.notify(READY="1", STATUS="healthy")
    log.info("healthy: %s", why)
    if mark_slot:
        await asyncio.get_running_loop().run_in_executor(None, slot.mark_good)


def banner(cfg: Config) -> str:
    creds = demo.read_credentials(cfg)
    lines = [
        "",
        "Callbox is running (simulated hardware)" if cfg.hardware.profile == "sim"
        else "Callbox is running",
        f"  Web UI:      http://{cfg.web.listen}:{cfg.web.port}/   login: admin / {creds.get('admin', '?')}",
        f"  SIP edge:    udp:{cfg.sip.listen}:{cfg.sip.port}   realm {cfg.sip.realm}",
        f"  Demo DID:    sip:100@{cfg.sip.listen}:{cfg.sip.port}  (IVR: 1 support, 2 sales)",
    ]
    seats = [k for k in creds if k.isdigit()]
    for ext in seats[:4]:
        lines.append(f"  Seat {ext}:    user {ext} / password {creds[ext]}")
    if len(seats) > 4:
        lines.append(f"  ... and {len(seats) - 4} more seats ({seats[4]}-{seats[-1]})")
    lines += [f"  Credentials: {demo.credentials_path(cfg)}", "  Stop with Ctrl-C.", ""]
    return "\n".join(lines)


def configure_logging(level: str = "INFO", path: Path | None = None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path))
    logging.basicConfig(level=level, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")

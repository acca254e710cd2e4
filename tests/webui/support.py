"""A daemon loop running in a thread with a real store: what bottle threads talk to."""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

from acd_core.clock import ManualClock
from firmware.api import Api
from firmware.events import EventBus
from firmware.store import Seat, Store
from tests.store.support import T0, call
from webui.app import make_app, spools_of
from webui.server import WebServer
from tests.support.http import Client, Reply  # noqa: F401  (re-exported for the web tests)

T = TypeVar("T")


class DaemonLoop:
    """Start with ``DaemonLoop.start(db_path)``; ``run(coro)`` from the test thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="test-daemon-loop")
        self.store: Store | None = None

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @classmethod
    def start(cls, db_path: Path, **store_kw: Any) -> "DaemonLoop":
        d = cls()
        d.thread.start()
        d.store = d.run(Store.open(db_path, **store_kw))
        return d

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def block(self, event: threading.Event) -> None:
        """Occupy the loop until ``event`` is set (a stuck daemon); at most 30 s."""
        self.loop.call_soon_threadsafe(event.wait, 30)

    def stop(self) -> None:
        if self.store is not None:
            self.run(self.store.close())

        async def leftovers() -> None:
            """Tasks a test left waiting (a call's loop, a leg's digit queue) end here,
            not as 'destroyed but pending' when the loop is closed."""
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.run(leftovers())

        async def drain() -> None:
            await self.loop.shutdown_default_executor()
        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def healthy() -> dict[str, Any]:
    return {"kamailio": {"status": "ok", "registrations": 1},
            "media_nodes": {"status": "ok", "nodes": 1, "legs_free": 4},
            "hardware": {"status": "ok", "profile": "sim"}}


HealthFn = Callable[[], Awaitable[dict[str, Any]]]


PASSWORD = "correct horse battery"


@dataclass
class Web:
    daemon: DaemonLoop
    server: WebServer
    clock: ManualClock
    app: Any
    calls: list[Any]
    api: Api
    bus: EventBus
    writer: Any
    desk: Any = None                        # the FlowContext whose Cti the Api uses

    def flush_events(self) -> None:
        """Every event published so far is in the event log."""
        async def flush() -> None:
            await asyncio.sleep(0)                  # callbacks scheduled from web threads
            await self.writer.flush()
        self.daemon.run(flush())

    def client(self) -> Client:
        return Client(self.server.url)

    @property
    def origin(self) -> dict[str, str]:
        return {"Origin": self.server.url}

    def login(self, username: str, password: str = PASSWORD, client: Client | None = None
              ) -> tuple[Client, Reply]:
        c = client or self.client()
        token = c.get("/login").form_token()
        reply = c.post("/login", {"csrf": token, "username": username, "password": password},
                       headers=self.origin)
        return c, reply


def start_web(tmp_path: Path, health: Any = healthy) -> Web:
    daemon = DaemonLoop.start(tmp_path / "var" / "callbox.db")
    store = daemon.store
    assert store is not None
    daemon.run(store.users.put("admin", PASSWORD, "admin"))
    daemon.run(store.users.put("ann", PASSWORD, "agent", seat="201"))
    daemon.run(store.config.put_seat(Seat(extension="201", ha1="0" * 32)))   # ann's phone
    calls = [call(T0 + 60 * i, agent=a, queue=q, disposition=d, caller_name=n,
                  **({} if d == "answered" else {"agent_answered_at": None, "talk_s": 0.0}))
             for i, (a, q, d, n) in enumerate([
                 ("201", "support", "answered", "Ann Caller"),
                 ("202", "sales", "answered", "Bob <script>alert(1)</script>"),
                 ("", "support", "abandoned", "Cy")])]
    for c in calls:
        daemon.run(store.cdr.insert(c))
    clock = ManualClock(0.0)
    bus = EventBus()

    async def attach() -> Any:
        return store.attach_event_log(bus)
    writer = daemon.run(attach())
    api = Api(daemon.loop, store, health, timeout=2.0, bus=bus)
    desk = daemon.run(desk_context(tmp_path, store, bus, clock))
    api.attach_cti(desk.cti)
    api.attach_system(desk.cfg, None)
    app = make_app(api, clock=clock)
    server = WebServer(app, "127.0.0.1", 0, spools=spools_of(app))
    server.start()
    return Web(daemon, server, clock, app, calls, api, bus, writer, desk)


async def desk_context(tmp_path: Path, store: Store, bus: EventBus, clock: ManualClock) -> Any:
    """The daemon's flow context with its agent desk (``Cti``) on fake media, so the
    desk and supervision routes answer as on a box without calls (never 503)."""
    from firmware.config import from_dict
    from firmware.flows.acd_runner import AcdRunner
    from firmware.flows.context import FlowContext
    from firmware.flows.records import CallRecords
    from firmware.store.keeper import RecordKeeper
    from tests.flows.fakes import FakePool
    cfg = from_dict({"paths": {"var": str(tmp_path / "var")}}, tmp_path)
    acd = AcdRunner(bus, clock)
    acd.configure(await store.config.queues(), await store.config.seats())
    keeper = RecordKeeper(cfg.var_dir, clock, bus)
    return FlowContext(cfg=cfg, bus=bus, store=store, pool=FakePool(),  # type: ignore[arg-type]
                       acd=acd, clock=clock, moh_path=cfg.prompts_dir / "moh.wav",
                       records=CallRecords(store, keeper))


async def close_desk(ctx: Any) -> None:
    await ctx.cti.stop()
    await ctx.tasks.close()
    await ctx.records.keeper.stop()
    ctx.acd.close()


def stop_web(web: Web) -> None:
    web.server.stop()
    if web.desk is not None:
        web.daemon.run(close_desk(web.desk))
    web.daemon.stop()

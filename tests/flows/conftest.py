"""Call flows on a ManualClock: fake media, real everything else.

``FlowHarness`` opens a real SQLite store in ``tmp_path`` with the demo's
shape (DID 100 -> IVR "main": 1 support, 2 sales; seats 201 support and 202
sales), a real ``AcdRunner`` and ``EventBus`` on a ``ManualClock``, and a
``FakePool``. ``call()`` starts ``flows.inbound.handle`` for a new caller leg.
Time moves only when a test calls ``advance``; ``until`` waits (in real time,
for the store's thread) until the flow has reached a state the test names.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable

from acd_core.clock import ManualClock
from firmware import prompts
from firmware.config import Config, from_dict
from firmware.crm.service import Crm
from firmware.events import Event, EventBus
from firmware.flows import inbound
from firmware.flows.acd_runner import AcdRunner
from firmware.flows.context import FlowContext
from firmware.flows.records import CallRecords
from firmware.flows.say import PromptLibrary
from firmware.store import CallRecord, Did, IvrMenu, Queue, Seat, Store, Trunk
from firmware.store.keeper import RecordKeeper
from firmware.telephony.sip import SipChannel
from tests.flows.fakes import FakeLeg, FakePool
from tests.flows.inbound_fakes import FakeTrunks
from tests.support.aio import no_leaked_threads, pytest_pyfunc_call  # noqa: F401

HA1 = "0" * 32
IVR_PROMPT = "ivr-main.wav"
MOH = "moh.wav"


Configure = Callable[[Store], Awaitable[None]]


class FlowHarness:
    """``configure(store)`` adds inbound objects (routes, rules, trees) before the ACD
    reads the queues. Spoken prompts are rendered by a stand-in for espeak-ng that keeps
    the text (``said``: path -> text; ``heard(leg)``); espeak-ng itself is tested in
    tests/firmware/test_speech.py."""

    def __init__(self, tmp_path: Path, *, ring_timeout_s: int = 15, wrapup_s: int = 0,
                 retries: int = 2, menu_timeout_s: int = 5,
                 configure: Configure | None = None, wall: float | None = None) -> None:
        self.tmp_path = tmp_path
        self.cfg: Config = from_dict({"paths": {"var": str(tmp_path / "var")}}, tmp_path)
        self.clock = ManualClock() if wall is None else ManualClock(wall_at_zero=wall)
        self.bus = EventBus(self.clock)
        self.events: list[Event] = []
        self.bus.subscribe("", self.events.append)
        self.pool = FakePool()
        self.trunks = FakeTrunks()
        self.said: dict[str, str] = {}
        self._configure = configure
        self._queue_kw = {"ring_timeout_s": ring_timeout_s, "wrapup_s": wrapup_s}
        self._menu_kw = {"retries": retries, "timeout_s": menu_timeout_s}
        self.tasks: list[asyncio.Task[CallRecord]] = []

    async def __aenter__(self) -> "FlowHarness":
        self.cfg.recordings_dir.mkdir(parents=True, exist_ok=True)
        for name in (IVR_PROMPT, MOH):          # the files a media node would be told to play
            prompts.tone(self.cfg.prompts_dir / name, 440.0, 0.1)
        self.store = await Store.open(self.cfg.db_path, recordings_dir=self.cfg.recordings_dir,
                                      clock=self.clock)
        try:
            return await self._set_up()
        except BaseException:
            await self.store.close()
            raise

    async def _set_up(self) -> "FlowHarness":
        c = self.store.config
        await c.put_trunk(Trunk(name="demo", sources=("127.0.0.0/8",)))
        for name in ("support", "sales"):
            await c.put_queue(Queue(name=name, moh_file=MOH, **self._queue_kw))
        await c.put_ivr(IvrMenu(name="main", prompt_file=IVR_PROMPT, prompt_text="press 1 or 2",
                                options={"1": "support", "2": "sales"}, **self._menu_kw))
        await c.put_did(Did(number="100", target_kind="ivr", target="main", trunk="demo"))
        await c.put_did(Did(number="200", target_kind="queue", target="support", trunk="demo"))
        await c.put_seat(Seat(extension="201", ha1=HA1, queues={"support": 0}))
        await c.put_seat(Seat(extension="202", ha1=HA1, queues={"sales": 0}))
        self.crm = Crm(self.store, bus=self.bus)
        await self.crm.put_phone_settings(country_code="86")
        if self._configure is not None:
            await self._configure(self.store)
        self.acd = AcdRunner(self.bus, self.clock)
        self.acd.configure(await c.queues(), await c.seats(),
                           await self.store.inbound.all_queue_rules())
        self.keeper = RecordKeeper(self.cfg.var_dir, self.clock, self.bus)
        self.ctx = FlowContext(cfg=self.cfg, bus=self.bus, store=self.store,
                               pool=self.pool,  # type: ignore[arg-type]
                               acd=self.acd, clock=self.clock,
                               moh_path=self.cfg.prompts_dir / MOH,
                               records=CallRecords(self.store, self.keeper),
                               prompts=PromptLibrary(self.cfg.prompts_dir, self.store.inbound,
                                                     renderer=self._render),
                               crm=self.crm, trunks=self.trunks)
        return self

    def _render(self, text: str, path: Path, voice: str) -> Path:
        self.said[str(path)] = f"{voice}: {text}"
        return prompts.tone(path, 500.0, 0.05)

    def heard(self, leg: FakeLeg) -> list[str]:
        """What was played on ``leg``: spoken texts as ``voice: text``, files by name."""
        return [self.said.get(a[0], Path(a[0]).name) for c, a in leg.commands if c == "play"]

    async def __aexit__(self, *exc: object) -> None:
        await self.ctx.tasks.close()
        for t in self.tasks:
            if not t.done():
                t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.keeper.stop()
        self.acd.close()
        await self.store.close()

    # -- driving -------------------------------------------------------------------
    def call(self, did: str = "100", caller: str = "5551234", name: str = "Ann Caller",
             trunk: str = "demo") -> FakeLeg:
        leg = FakeLeg("in", {"from": f'"{name}" <sip:{caller}@127.0.0.1>',
                             "to": f"<sip:{did}@127.0.0.1>", "did": did, "trunk": trunk})
        self.tasks.append(asyncio.create_task(inbound.handle(self.ctx, SipChannel(leg))))  # type: ignore[arg-type]
        return leg

    def seat_registered(self, *agents: str) -> None:
        for a in agents:
            self.acd.set_reachable(a, True)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    async def until(self, cond: Callable[[], Any], what: str, timeout: float = 5.0) -> Any:
        """Let the flow run (real time, for the store's thread) until ``cond`` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = cond()
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"flow never reached: {what}")
            await asyncio.sleep(0.002)

    async def finished(self, leg_index: int = -1) -> CallRecord:
        """The flow's result (its CDR) once it has returned."""
        task = self.tasks[leg_index]
        await self.until(task.done, "the flow returned")
        return task.result()

    # -- what happened ---------------------------------------------------------------
    async def cdrs(self) -> list[CallRecord]:
        return await self.store.cdr.list(limit=100)

    async def queue_events(self, call: str) -> list[str]:
        return [e.event for e in await self.store.queue_log.query() if e.call_id == call]

    def kinds(self, prefix: str) -> list[str]:
        return [e.kind for e in self.events if e.kind.startswith(prefix)]

    async def dialled_leg(self, n: int = 1) -> FakeLeg:
        await self.until(lambda: len(self.pool.dialled) >= n, f"dial #{n}")
        return self.pool.dialled[n - 1][0]

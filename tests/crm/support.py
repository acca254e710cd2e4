"""Shared set-up for the CRM tests: a real store, a daemon loop in a thread, the real Api."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

from firmware.api import Api
from firmware.crm.permissions import BUILTIN_ROLES, Principal
from firmware.crm.service import Crm
from firmware.store import Store
from tests.store.support import T0, StepClock
from tests.webui.support import DaemonLoop, healthy

PASSWORD = "correct horse battery"
ROLES = tuple(BUILTIN_ROLES)


@contextlib.asynccontextmanager
async def crm_opened(tmp_path: Path, clock: Any = None, **kw: Any
                     ) -> AsyncIterator[Crm]:
    """A store and its ``Crm`` on ``clock`` (a ``StepClock`` at T0 unless given)."""
    clock = clock or StepClock()
    store = await Store.open(tmp_path / "var" / "callbox.db", clock=clock)
    try:
        crm = Crm(store, clock=clock, **kw)
        await crm.put_phone_settings(country_code="86")
        yield crm
    finally:
        await store.close()


@dataclass
class Box:
    daemon: DaemonLoop
    api: Api
    clock: StepClock

    @property
    def store(self) -> Store:
        assert self.daemon.store is not None
        return self.daemon.store

    def run(self, coro: Any) -> Any:
        return self.daemon.run(coro)

    def principal(self, role: str, user: str | None = None, seat: str | None = None
                  ) -> Principal:
        """A real user of ``role`` (created on first use) and its principal."""
        name = user or f"u-{role.replace('_', '-')}"
        if self.run(self.store.users.get(name)) is None:
            self.run(self.store.users.put(name, PASSWORD, role, seat))
        p = self.run(self.api.crm.principal_for_username(name))
        assert p is not None
        return p

    @property
    def admin(self) -> Principal:
        return self.principal("admin")


@contextlib.contextmanager
def box(tmp_path: Path) -> Iterator[Box]:
    clock = StepClock(T0)
    daemon = DaemonLoop.start(tmp_path / "var" / "callbox.db", clock=clock)
    try:
        assert daemon.store is not None
        api = Api(daemon.loop, daemon.store, healthy, timeout=30.0)
        b = Box(daemon, api, clock)
        api.set_crm_settings(b.admin, country_code="86")
        yield b
    finally:
        daemon.stop()

"""The desk's flows on a ManualClock: real flows, ACD runner, store and ``Cti``; fake
media (room modelled per node) and fake trunks.

Seats: 201 and 203 serve ``support``, 202 serves ``sales``; 301 is a supervisor's
seat (no queue). Users: ``ann`` (agent, 201), ``bob`` (agent, 203), ``cat``
(agent, 202), ``sue`` (supervisor, 301).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from firmware.crm.permissions import Principal
from firmware.cti.live import LiveCall
from firmware.store import Seat
from tests.cti.fakes import FakeTrunks
from tests.flows.conftest import HA1, MOH, FlowHarness
from tests.flows.fakes import FakeLeg, FakePool
from tests.support.aio import no_leaked_threads, pytest_pyfunc_call  # noqa: F401

USERS = {"ann": ("agent", "201"), "bob": ("agent", "203"), "cat": ("agent", "202"),
         "sue": ("supervisor", "301")}


class DeskHarness(FlowHarness):
    def __init__(self, tmp_path: Path, capacity: int = 4, **kw: Any) -> None:
        super().__init__(tmp_path, **kw)
        self.pool = FakePool(capacity)

    async def __aenter__(self) -> "DeskHarness":
        await super().__aenter__()
        c = self.store.config
        await c.put_seat(Seat(extension="203", ha1=HA1, queues={"support": 1}))
        await c.put_seat(Seat(extension="301", ha1=HA1))
        self.acd.configure(await c.queues(), await c.seats())
        self.trunks = FakeTrunks(self.pool)
        self.ctx.trunks = self.trunks  # type: ignore[assignment]
        self.cti = self.ctx.cti
        await self.add_users(USERS)
        return self

    async def add_users(self, users: dict[str, tuple[str, str]]) -> None:
        """Users who never log in here: no password hash to compute (argon2 costs ~0.1 s)."""
        await self.store.db.executemany(
            "INSERT INTO users (username, password_hash, role, seat, created_at)"
            " VALUES (?, '!', ?, ?, 0)", [(u, r, s) for u, (r, s) in users.items()], "users")

    async def __aexit__(self, *exc: object) -> None:
        await self.cti.stop()
        await super().__aexit__(*exc)

    async def p(self, user: str) -> Principal:
        return await self.cti.principal_for_seat(USERS[user][1])

    async def connected(self, agent: str = "201", digit: str = "1",
                        caller: str = "5551234") -> tuple[FakeLeg, FakeLeg, LiveCall]:
        """A caller through the IVR into the queue, answered by ``agent``'s seat."""
        self.seat_registered(agent)
        leg = self.call(caller=caller)
        await self.until(lambda: leg.playing, "the menu prompt")
        leg.press(digit)
        n = len(self.pool.dialled)
        await self.until(lambda: len(self.pool.dialled) > n, "the seat rings")
        seat_leg = self.pool.dialled[-1][0]
        seat_leg.far_answers()
        await self.until(lambda: self.cti.call_of(agent), "the call is live")
        live = self.cti.call_of(agent)
        assert live is not None
        await self.until(lambda: live.recording.active or live.recording.rule, "the recording")
        return leg, seat_leg, live

    async def cti_click(self, p: Principal, number: str, queue: str | None = None
                        ) -> dict[str, Any]:
        from firmware.cti.outbound import click_to_call
        return await click_to_call(self.cti, p, number, queue)

    def state(self, agent: str) -> str:
        return self.acd.agent_state(agent)[0]

    def moh(self) -> str:
        return str(self.cfg.prompts_dir / MOH)


def seat_dials(h: DeskHarness, seat: str, dialled: str) -> tuple[FakeLeg, Any]:
    """The seat's phone calls ``dialled`` (a feature code, a seat, a number)."""
    import asyncio

    from firmware.cti.outbound import seat_call
    from firmware.telephony.sip import SipChannel
    leg = FakeLeg("in", {"from": f"<sip:{seat}@127.0.0.1>", "to": f"<sip:{dialled}@127.0.0.1>",
                         "did": dialled, "trunk": None, "seat": seat})
    task = asyncio.create_task(seat_call(h.cti, SipChannel(leg)))  # type: ignore[arg-type]
    h.tasks.append(task)  # type: ignore[arg-type]
    return leg, task

"""The whole daemon in this process, as the line tests start it.

``daemon_config`` lays out a box (``Appliance``: free ports, one media node) with
discovery off and the test's own ``callbox.toml`` text; ``provision`` writes the
demo and what the test adds (inbound routes, outbound routes, users) before the
first start, as an admin would through the API; ``running`` starts ``App`` with,
if asked, seat 201 as baresip (registered before the test goes on) and stops both
whatever happens. ``cdr_rows`` reads the CDR the way the tests assert on it.
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, TypeVar

from firmware import config, demo
from firmware.app import App
from firmware.store import Queue, Store
from firmware.store.inbound import QueueRules, Route
from firmware.store.outbound import OutboundRoute
from tests.sipedge.peers import until
from tests.support.appliance import Appliance
from tests.support.aio import no_leaked_threads, pytest_pyfunc_call  # noqa: F401
from tests.support.baresip import BaresipSeat

T = TypeVar("T")

#: the agent of seat 201, who clicks to call in the outbound steps
ANN = ("ann", "ann-calls-out-201", "agent", "201")
SEAT_HZ = 1000.0


def daemon_config(tmp_path: Path, extra: str = "") -> config.Config:
    layout = Appliance(tmp_path, nodes_min=1, nodes_max=1,
                       extra=extra)
    return config.load(layout.config)


async def provision(cfg: config.Config, routes: Iterable[Route] = (),
                    outbound: Iterable[OutboundRoute] = (),
                    users: Iterable[tuple[str, str, str, str | None]] = (ANN,),
                    more: Callable[[Store], Awaitable[None]] | None = None) -> None:
    """The demo plus ``routes``, ``outbound``, ``users`` (username, password, role, seat)
    and whatever ``more(store)`` writes."""
    store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)
    try:
        await demo.provision(cfg, store)
        for route in routes:
            await store.inbound.put_route(route)
        for out in outbound:
            await store.outbound.put(out)
        for user in users:
            await store.users.put(*user)
        if more is not None:
            await more(store)
    finally:
        await store.close()


@dataclass
class Daemon:
    app: App
    seat: BaresipSeat | None
    _first: list[Callable[[], None]] = field(default_factory=list)
    _last: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def close_first(self, close: Callable[[], None]) -> None:
        """Run ``close`` on the way out before the seat and the daemon stop (a B-channel
        peer on the simulated cable)."""
        self._first.append(close)

    def close_last(self, close: Callable[[], Awaitable[None]]) -> None:
        """Await ``close`` on the way out after the daemon stopped (the far end of its
        D-channel, which the daemon talks to until then)."""
        self._last.append(close)


@asynccontextmanager
async def running(cfg: config.Config, tmp_path: Path, seat: bool = True,
                  seat_seconds: int = 150) -> AsyncIterator[Daemon]:
    """``App`` started (and stopped on the way out); with ``seat``, seat 201 as baresip
    talking ``SEAT_HZ``, answering on its own and recording what it hears."""
    daemon = Daemon(App(cfg), None)
    app = daemon.app
    try:
        await app.start()
        assert app.lines is not None and app.api is not None and app.ctx is not None
        if seat:
            creds = demo.read_credentials(cfg)
            daemon.seat = BaresipSeat(tmp_path / "s201", "201", creds["201"], cfg.sip.port,
                                      tone_hz=SEAT_HZ, seconds=seat_seconds,
                                      control=True).start()
            await until(lambda: "201" in app._registered, "seat 201 registered", 30)
        yield daemon
    finally:
        try:
            for close in daemon._first:
                close()
            if daemon.seat is not None:
                daemon.seat.stop()
            await app.stop()
        finally:
            for aclose in daemon._last:
                await aclose()


async def cdr_rows(app: App, columns: str, where: str = "1",
                   args: tuple[Any, ...] = ()) -> list[dict[str, object]] | None:
    """``SELECT columns FROM cdr WHERE where ORDER BY started_at`` as dicts; None when
    there is no such row yet (so ``until`` keeps waiting)."""
    assert app.store is not None
    rows = await app.store.db.fetchall(
        f"SELECT {columns} FROM cdr WHERE {where} ORDER BY started_at", args)
    return [dict(r) for r in rows] or None


async def refusing_queues(store: Store) -> None:
    """Queues nobody would answer (no seat of theirs can, join-when-empty): refused before
    answering, from any line, with each queue's refuse_with."""
    for queue, dnis, refuse_with in (("nobody", "300", "busy"),
                                     ("jammed", "301", "congestion")):
        await store.config.put_queue(Queue(queue, moh_file=demo.MOH_FILE))
        await store.inbound.put_queue_rules(QueueRules(queue, join_empty=("unavailable",),
                                                       refuse_with=refuse_with))
        await store.inbound.put_route(Route(dnis, f"queue:{queue}"))


async def until_heard(measure: Callable[[], T], good: Callable[[T], bool], what: str,
                      timeout: float) -> T:
    """Measure what a line or phone heard every 0.5 s until ``good`` accepts it, rather than
    once at a fixed moment: a loaded machine can delay a relay's first frames. The
    measurement runs on the daemon's own loop, hence the slow polling. On the deadline the
    failure shows the last measurements."""
    seen: list[T] = []

    def check() -> bool:
        seen.append(measure())
        return good(seen[-1])
    try:
        await until(check, what, timeout, every=0.5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last measured: {seen[-5:]}") from None
    return seen[-1]

"""firmware.api: called from plain threads, runs on a real daemon loop in another thread."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from firmware.store.db import load_migrations, newest
from firmware.api import Api, iso
from firmware.errors import ApiError
from firmware.events import EventBus
from firmware.store import QueueEvent, ValidationError
from tests.store.support import T0, call
from tests.webui.support import DaemonLoop, healthy


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonLoop]:
    d = DaemonLoop.start(tmp_path / "var" / "callbox.db")
    yield d
    d.stop()


def test_list_and_get_calls_with_iso_times(daemon: DaemonLoop) -> None:
    assert daemon.store is not None
    recs = [call(T0 + i * 60, queue="support" if i % 2 else "sales") for i in range(5)]
    for r in recs:
        daemon.run(daemon.store.cdr.insert(r))
    api = Api(daemon.loop, daemon.store, healthy)
    page = api.list_calls(limit=2, offset=0, queue="support")
    assert page["total"] == 2 and page["limit"] == 2 and page["offset"] == 0
    assert [c["id"] for c in page["items"]] == [recs[3].id, recs[1].id]
    first = page["items"][0]
    assert first["started_at"] == iso(T0 + 180) and first["started_at"].endswith("Z")
    assert first["talk_s"] == 60.0 and first["disposition"] == "answered"
    assert api.get_call(recs[0].id)["caller_number"] == "5551234"
    assert api.get_call("00000000-0000-4000-8000-000000000000") is None
    with pytest.raises(ValidationError) as err:
        api.list_calls(limit=10_000)
    assert err.value.field == "limit"


def test_queue_events_of_a_call(daemon: DaemonLoop) -> None:
    assert daemon.store is not None
    cid = "c0ffee00-0000-4000-8000-000000000009"
    daemon.run(daemon.store.queue_log.append(
        QueueEvent(T0, cid, "support", "ENTERQUEUE", position=1),
        QueueEvent(T0 + 30, cid, "support", "ABANDON", position=1, orig_position=1, wait_s=30.0)))
    events = Api(daemon.loop, daemon.store, healthy).queue_events(cid)
    assert [(e["event"], e["ts"]) for e in events] == [("ENTERQUEUE", iso(T0)),
                                                      ("ABANDON", iso(T0 + 30))]


def test_login_and_sessions(daemon: DaemonLoop) -> None:
    assert daemon.store is not None
    daemon.run(daemon.store.users.put("sup", "correct horse", "supervisor"))
    api = Api(daemon.loop, daemon.store, healthy)
    assert api.login("sup", "wrong horse") is None
    assert api.login("sup", "correct horse") == {"username": "sup", "role": "supervisor",
                                                 "seat": None}
    token, csrf = api.open_session("sup")
    assert api.session(token) == {"username": "sup", "role": "supervisor", "seat": None,
                                  "csrf": csrf}
    api.close_session(token)
    assert api.session(token) is None
    assert api.secret("web.cookie") == api.secret("web.cookie")


def test_health_merges_components_and_reports_the_worst(daemon: DaemonLoop) -> None:
    assert daemon.store is not None
    api = Api(daemon.loop, daemon.store, healthy)
    h = api.health()
    assert h["status"] == "ok"
    assert set(h["components"]) == {"kamailio", "media_nodes", "hardware", "database"}
    assert h["components"]["database"]["schema_version"] == newest(load_migrations())

    async def degraded() -> dict[str, Any]:
        return {**await healthy(), "media_nodes": {"status": "degraded", "nodes": 0},
                "kamailio": {"status": "restarting"}}
    h = Api(daemon.loop, daemon.store, degraded).health()
    assert h["status"] == "down"                       # an unknown status counts as down
    assert h["components"]["media_nodes"]["status"] == "degraded"
    assert "restarting" in h["components"]["kamailio"]["detail"]

    async def wrapped() -> dict[str, Any]:     # the {"status", "components", ...} shape
        return {"status": "ok", "uptime_s": 12.5,
                "components": {**await healthy(), "database": {"status": "bogus"}}}
    h = Api(daemon.loop, daemon.store, wrapped).health()
    assert h["status"] == "ok" and h["uptime_s"] == 12.5
    assert set(h["components"]) == {"kamailio", "media_nodes", "hardware", "database"}
    assert h["components"]["database"]["schema_version"] == newest(load_migrations())  # the store's, always

    async def broken() -> dict[str, Any]:
        raise RuntimeError("boom")
    h = Api(daemon.loop, daemon.store, broken).health()
    assert h["status"] == "down"
    assert h["components"]["daemon"]["status"] == "down"
    assert h["components"]["database"]["status"] == "ok"


def test_a_stuck_loop_is_a_typed_timeout(daemon: DaemonLoop) -> None:
    assert daemon.store is not None
    api = Api(daemon.loop, daemon.store, healthy, timeout=0.2)
    release = threading.Event()
    daemon.block(release)
    try:
        with pytest.raises(ApiError) as err:
            api.list_calls()
        assert err.value.status == 503 and err.value.operation == "list_calls"
        assert "did not answer in time" in str(err.value)
    finally:
        release.set()
    # and it recovers; asked with the default timeout, since a loaded machine may take
    # longer than 0.2 s to run what queued up while the loop was blocked
    assert Api(daemon.loop, daemon.store, healthy).list_calls()["total"] == 0


def test_called_on_the_loop_itself_is_refused_not_deadlocked(daemon: DaemonLoop) -> None:
    assert daemon.store is not None
    api = Api(daemon.loop, daemon.store, healthy)

    async def on_loop() -> str:
        try:
            api.list_calls()
        except ApiError as exc:
            return str(exc)
        return "no error"
    assert "called from the daemon loop" in daemon.run(on_loop())


def test_many_web_threads_at_once(daemon: DaemonLoop) -> None:
    assert daemon.store is not None
    for i in range(20):
        daemon.run(daemon.store.cdr.insert(call(T0 + i)))
    api = Api(daemon.loop, daemon.store, healthy)
    results: list[int] = []

    def worker() -> None:
        for _ in range(10):
            results.append(api.list_calls(limit=5)["total"])
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [20] * 80


def test_publish_goes_to_the_bus_or_the_event_log(daemon: DaemonLoop) -> None:
    assert daemon.store is not None
    bus = EventBus()
    seen: list[str] = []
    daemon.run(asyncio.sleep(0))
    bus.subscribe("web.", lambda e: seen.append(e.kind))
    Api(daemon.loop, daemon.store, healthy, bus=bus).publish("web.login_failed", user="x")
    daemon.run(asyncio.sleep(0))                       # the loop has run the callback
    assert seen == ["web.login_failed"]
    Api(daemon.loop, daemon.store, healthy).publish("web.login_failed", user="y")
    logged = daemon.run(daemon.store.events.query(kind="web.login_failed"))
    assert [e.data for e in logged] == [{"user": "y"}]

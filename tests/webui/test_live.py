"""The live board, screen pops and event streams (``firmware/api_live.py``, the API's
``live_board``, ``offer_pop``, ``event_stream``) and ``/api/events`` over HTTP.

Events are published on the daemon's bus from its loop, as the call flow and the
ACD runner publish them; the board and streams are read through the API or the
web server, as the pages read them.
"""
from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from firmware.api import ApiError
from firmware.crm.permissions import Principal
from tests.webui.support import PASSWORD, Web, start_web, stop_web

CALLER = "13812345678"          # 11 digits: masked as 138****5678
WAITING = "c0ffee00-0000-4000-8000-00000000000a"
TALKING = "c0ffee00-0000-4000-8000-00000000000b"


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's web UI lives across tests
    yield


def principal(web: Web, role: str, seat: str | None = None) -> Principal:
    name = f"l-{role.replace('_', '-')}-{seat or 'x'}"
    assert web.daemon.store is not None
    if web.daemon.run(web.daemon.store.users.get(name)) is None:
        web.daemon.run(web.daemon.store.users.put(name, PASSWORD, role, seat))
    p = web.daemon.run(web.api.crm.principal_for_username(name))
    assert p is not None
    return p


def publish(web: Web, *events: tuple[str, dict[str, Any]]) -> None:
    async def go() -> None:
        for kind, data in events:
            web.bus.publish(kind, **data)
    web.daemon.run(go())


def trace(type_: str, **kw: Any) -> tuple[str, dict[str, Any]]:
    return ("acd.trace", {"dir": "in" if type_ in ("CallQueued", "OfferAccepted", "CallEnded",
                                                    "CallAbandoned") else "out",
                          "type": type_, "t": 0.0, **kw})


@pytest.fixture(scope="module")
def calls(web: Web) -> Web:
    """Two calls: one waiting in 'nobody-home' (no agent logged in), one talking with 207."""
    web.api.live_board(principal(web, "supervisor"))          # the board starts listening
    publish(web,
            trace("QueueSpec", name="sales", service_level=20.0),
            ("call.started", {"call": WAITING, "caller": CALLER, "did": "100"}),
            trace("CallQueued", call=WAITING, queue="nobody-home"),
            ("call.started", {"call": TALKING, "caller": "+8613900001111", "did": "100"}),
            trace("CallQueued", call=TALKING, queue="sales"),
            trace("Offer", call=TALKING, agent="207", queue="sales", reason={}),
            trace("AgentState", agent="207", state="ringing", reason="offer"),
            trace("OfferAccepted", call=TALKING, agent="207"),
            trace("AgentState", agent="207", state="on-call", reason="answered"),
            trace("AgentState", agent="208", state="paused", reason="lunch"))
    return web


def test_a_caller_waiting_where_nobody_is_logged_in_is_on_the_board(calls: Web) -> None:
    board = calls.api.live_board(principal(calls, "supervisor"))
    assert "nobody-home" in [q["queue"] for q in board["queues"]], board
    q = next(q for q in board["queues"] if q["queue"] == "nobody-home")
    assert q["waiting"] == 1 and q["callers"][0]["call"] == WAITING
    assert q["callers"][0]["caller"] == CALLER                   # supervisors see it whole
    assert q["longest_wait_s"] >= 0
    sales = next(q for q in board["queues"] if q["queue"] == "sales")
    assert (sales["waiting"], sales["answered"], sales["service_level"]) == (0, 1, 1.0)
    agents = {a["agent"]: a for a in board["agents"]}
    assert agents["207"]["state"] == "on-call" and agents["207"]["call"] == TALKING
    assert agents["207"]["calls_today"] == 1
    assert (agents["208"]["state"], agents["208"]["reason"]) == ("paused", "lunch")


def test_the_board_is_masked_and_scoped_per_principal(calls: Web) -> None:
    leader = calls.api.live_board(principal(calls, "team_leader"))       # supervise, masked
    q = next(q for q in leader["queues"] if q["queue"] == "nobody-home")
    assert q["callers"][0]["caller"] == "138****5678"
    agent = calls.api.live_board(principal(calls, "agent", "207"))
    assert [a["agent"] for a in agent["agents"]] == ["207"]
    assert all(q["callers"] == [] for q in agent["queues"])
    with pytest.raises(ApiError) as err:
        calls.api.live_board(principal(calls, "auditor"))
    assert err.value.status == 403


def test_the_screen_pop_goes_to_the_seat_of_the_call_only(calls: Web) -> None:
    admin = Principal.system("test")
    calls.api.create_customer(admin, {"name": "Li Lei", "phones": ["+8613900001111"]})
    pop = calls.api.offer_pop(principal(calls, "agent", "207"), TALKING)
    assert pop["customer"]["name"] == "Li Lei" and pop["call"] == TALKING
    assert "139****1111" in json.dumps(pop) and "13900001111" not in json.dumps(pop)
    with pytest.raises(ApiError) as err:
        calls.api.offer_pop(principal(calls, "agent", "208"), TALKING)
    assert err.value.status == 404


def test_an_event_stream_shows_an_agent_its_own_seat_masked(calls: Web) -> None:
    mine = calls.api.event_stream(principal(calls, "agent", "207"))
    everything = calls.api.event_stream(principal(calls, "supervisor"))
    try:
        publish(calls, trace("Offer", call=WAITING, agent="208", queue="nobody-home", reason={}),
                ("call.connected", {"call": TALKING, "agent": "207", "queue": "sales"}),
                ("call.started", {"call": "x", "caller": CALLER, "did": "100"}),
                ("media.node_up", {"node": 1}))
        got = [mine.get(1.0), mine.get(0.2)]
        assert got[0] is not None and got[0]["kind"] == "call.connected"
        assert got[1] is None                                   # 208's offer, others: not shown
        seen = [everything.get(1.0) for _ in range(3)]
        assert [e["kind"] for e in seen if e] == ["acd.trace", "call.connected", "call.started"]
        assert seen[2]["caller"] == CALLER and everything.get(0.2) is None   # no media events
    finally:
        mine.close()
        everything.close()
    masked = calls.api.event_stream(principal(calls, "team_leader"))
    try:
        publish(calls, ("call.started", {"call": "y", "caller": CALLER, "did": "100"}))
        e = masked.get(1.0)
        assert e is not None and e["caller"] == "138****5678"
    finally:
        masked.close()


class _Stream:
    """One event-stream client; ``close()`` hangs up (the response holds the socket too)."""

    def __init__(self, web: Web, cookie: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", web.server.port, timeout=10)
        self.conn.request("GET", "/api/events", headers={"Cookie": cookie})
        self.resp = self.conn.getresponse()

    def close(self) -> None:
        self.resp.close()
        self.conn.close()


def _open_stream(web: Web, cookie: str) -> tuple[_Stream, Any]:
    s = _Stream(web, cookie)
    return s, s.resp


def _cookie(web: Web, user: str) -> str:
    c, _ = web.login(user)
    return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


def test_api_events_streams_server_sent_events(calls: Web) -> None:
    principal(calls, "team_leader", "209")
    conn, resp = _open_stream(calls, _cookie(calls, "l-team-leader-209"))  # noqa
    try:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.readline() == b"retry: 3000\n"
        publish(calls, ("call.started", {"call": "z", "caller": CALLER, "did": "100"}))
        lines = []
        while not lines or lines[-1] != b"\n":
            line = resp.readline()
            if line in (b"\n",) and not lines:
                continue
            lines.append(line)
        text = b"".join(lines).decode()
        assert "event: call.started\n" in text and "138****5678" in text
        assert CALLER not in text
    finally:
        conn.close()


def test_event_streams_are_capped_so_pages_keep_their_threads(tmp_path: Path) -> None:
    web = start_web(tmp_path)
    cookies = []
    for i in range(9):                       # nine users: a user's own cap is 3
        principal(web, "team_leader", f"2{i}0")
        cookies.append(_cookie(web, f"l-team-leader-2{i}0"))
    opened = []
    try:
        for cookie in cookies[:8]:                      # make_app's stream_slots
            conn, resp = _open_stream(web, cookie)
            opened.append(conn)
            assert resp.status == 200
        assert _wait_in_use(web, 8) == 8
        conn, resp = _open_stream(web, cookies[8])
        opened.append(conn)
        assert resp.status == 503 and resp.headers["Retry-After"] == "10"
        assert web.client().get("/api/health").status == 200
        assert web.app.config["callbox.ui"].streams.in_use == 8
    finally:
        for c in opened:
            c.close()
        stop_web(web)                        # ends the streams (app.close) and every thread


def _wait_in_use(web: Web, n: int) -> int:
    """Polls the slot count (the server notices a hang-up on its own loop's time)."""
    slots = web.app.config["callbox.ui"].streams
    deadline = time.monotonic() + 5
    while slots.in_use != n and time.monotonic() < deadline:
        time.sleep(0.02)
    return int(slots.in_use)


def test_a_closed_tab_frees_its_stream_and_a_users_fourth_ends_its_oldest(tmp_path: Path
                                                                          ) -> None:
    web = start_web(tmp_path)
    try:
        principal(web, "team_leader", "299")
        cookie = _cookie(web, "l-team-leader-299")
        conn, resp = _open_stream(web, cookie)
        assert resp.status == 200 and _wait_in_use(web, 1) == 1
        conn.close()                                   # the tab is closed
        assert _wait_in_use(web, 0) == 0
        streams = [_open_stream(web, cookie) for _ in range(4)]
        try:
            assert all(r.status == 200 for _, r in streams)
            first = streams[0][1]
            assert first.readline() == b"retry: 3000\n"
            while first.readline():                     # the oldest is ended by the server
                pass
            assert _wait_in_use(web, 3) == 3
        finally:
            for c, _ in streams:
                c.close()
    finally:
        stop_web(web)


def test_the_board_starts_from_the_agents_as_the_acd_has_them(tmp_path: Path) -> None:
    """The board only folds events from the moment it subscribes (the first live page
    or stream): agents who registered, paused or took a call before that are read from
    the ACD, not shown logged out until they next change state."""
    from firmware.api import Api
    from tests.cti.conftest import DeskHarness
    from tests.webui.support import DaemonLoop, healthy
    daemon = DaemonLoop()
    daemon.thread.start()
    h = DeskHarness(tmp_path, capacity=8)
    daemon.run(h.__aenter__())
    try:
        caller, seat, live = daemon.run(h.connected("201"))

        async def before_anyone_looks() -> None:
            h.seat_registered("202", "203")
            h.acd.pause("202", "lunch")
        daemon.run(before_anyone_looks())
        api = Api(daemon.loop, h.store, healthy, bus=h.bus)
        api.attach_cti(h.cti)
        board = {a["agent"]: a for a in api.live_board(Principal.system("test"))["agents"]}
        assert {a: (board[a]["state"], board[a]["registered"]) for a in ("201", "202", "203")} \
            == {"201": ("on-call", True), "202": ("paused", True), "203": ("available", True)}
        assert board["202"]["reason"] == "lunch"
        assert board["201"]["call"] == live.id
        assert board["301"]["state"] == h.state("301") and not board["301"]["registered"]
        assert board["203"]["in_state_s"] is None        # when it went available is unknown
        daemon.run(_pause(h, "203"))                     # from here on, events move it
        board = {a["agent"]: a for a in api.live_board(Principal.system("test"))["agents"]}
        assert board["203"]["state"] == "paused" and board["203"]["in_state_s"] is not None
        caller.far_hangs_up()
        daemon.run(h.finished())
    finally:
        daemon.run(h.__aexit__(None, None, None))
        daemon.stop()


async def _pause(h: Any, agent: str) -> None:
    h.acd.pause(agent, "1")

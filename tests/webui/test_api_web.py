"""The API methods the web pages added (``firmware/api_web.py``), called as the pages call
them: configuration of queues and seats, one's own password, recordings search,
Erlang C staffing, the one-trip session."""
from __future__ import annotations

import asyncio
import hashlib
from typing import Any, Iterator

import pytest

from acd_core import erlang
from firmware.api import ApiError
from firmware.crm.permissions import Principal
from tests.store.support import T0, call
from tests.webui.support import PASSWORD, Web

ADMIN = Principal.system("test")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's web UI lives across tests
    yield


def principal(web: Web, name: str, role: str, seat: str | None = None) -> Principal:
    assert web.daemon.store is not None
    if web.daemon.run(web.daemon.store.users.get(name)) is None:
        web.daemon.run(web.daemon.store.users.put(name, PASSWORD, role, seat))
    p = web.daemon.run(web.api.crm.principal_for_username(name))
    assert p is not None
    return p


def changes(web: Web) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    async def sub() -> None:
        web.bus.subscribe("config.changed", lambda e: seen.append(dict(e.data)))
    web.daemon.run(sub())
    return seen


def test_queues_are_created_and_changed_field_by_field(web: Web) -> None:
    seen = changes(web)
    q = web.api.put_queue(ADMIN, "billing", strategy="ringall", wrapup_s=15)
    assert q["strategy"] == "ring-all" and q["wrapup_s"] == 15 and q["sl_threshold_s"] == 20
    q = web.api.put_queue(ADMIN, "billing", sl_threshold_s=30)
    assert (q["wrapup_s"], q["sl_threshold_s"]) == (15, 30)       # the rest kept
    assert "billing" in [x["name"] for x in web.api.list_queues(ADMIN)]
    with pytest.raises(ApiError) as err:
        web.api.put_queue(ADMIN, "billing", colour="red")
    assert err.value.status == 400 and err.value.field == "colour"
    with pytest.raises(ApiError) as err:
        web.api.put_queue(ADMIN, "billing", wrapup_s=99999)
    assert err.value.status == 400 and err.value.field == "queue.wrapup_s"
    web.daemon.run(asyncio.sleep(0))
    assert {"what": "queue", "key": "billing"} in seen
    with pytest.raises(ApiError) as err:
        web.api.list_queues(principal(web, "w-agent", "agent", "201"))
    assert err.value.status == 403


def test_a_new_seat_gets_a_generated_password_kept_only_as_ha1(web: Web) -> None:
    web.api.set_site(realm="office", sip_host="192.0.2.10", sip_port=5060)
    web.api.put_queue(ADMIN, "support")
    s = web.api.put_seat(ADMIN, "231", display_name="Front desk", queues={"support": 2})
    password = s["password"]
    assert password and len(password) >= 12
    assert s["queues"] == {"support": 2}
    stored = web.daemon.run(web.daemon.store.config.seat("231"))
    assert stored.ha1 == hashlib.md5(f"231:office:{password}".encode()).hexdigest()
    listed = next(x for x in web.api.list_seats(ADMIN) if x["extension"] == "231")
    assert "ha1" not in listed and "password" not in listed
    again = web.api.put_seat(ADMIN, "231", display_name="Desk 1")      # no new password
    assert again["password"] is None and again["queues"] == {"support": 2}
    assert web.daemon.run(web.daemon.store.config.seat("231")).ha1 == stored.ha1
    renewed = web.api.put_seat(ADMIN, "231", new_password=True)
    assert renewed["password"] not in (None, password)
    assert web.api.site(ADMIN)["sip_host"] == "192.0.2.10"
    web.api.delete_seat(ADMIN, "231")
    with pytest.raises(ApiError) as err:
        web.api.delete_seat(ADMIN, "231")
    assert err.value.status == 404


def test_a_user_changes_its_own_password(web: Web) -> None:
    p = principal(web, "w-pat", "agent", "202")
    with pytest.raises(ApiError) as err:
        web.api.change_password(p, "not it", "a new long password")
    assert err.value.status == 400 and err.value.field == "current"
    web.api.change_password(p, PASSWORD, "a new long password")
    assert web.api.login("w-pat", "a new long password") is not None
    assert web.api.login("w-pat", PASSWORD) is None
    token = web.api.create_api_token(ADMIN, "w-int", "agent")["token"]
    integration = web.api.principal_for_api_token(token)
    with pytest.raises(ApiError) as err:
        web.api.change_password(integration, "x", "y" * 12)
    assert err.value.status == 403


def test_web_session_is_the_principal_and_its_csrf_token(web: Web) -> None:
    principal(web, "w-sam", "supervisor")
    token, csrf = web.api.open_session("w-sam")
    s = web.api.web_session(token)
    assert s is not None and s["csrf"] == csrf
    assert s["principal"].user == "w-sam" and s["principal"].can("supervise")
    assert web.api.web_session("nonsense") is None


def test_recordings_are_found_by_agent_queue_number_and_call_in_scope(web: Web) -> None:
    store = web.daemon.store
    assert store is not None
    recs = []
    for i, (agent, queue, caller) in enumerate([("201", "support", "013812345678"),
                                                ("202", "sales", "5550001")]):
        c = call(T0 + i * 60, agent=agent, queue=queue, caller_number=caller,
                 recording=f"2026/11/18/{i}.wav")
        (store.recordings.root / "2026/11/18").mkdir(parents=True, exist_ok=True)
        (store.recordings.root / f"2026/11/18/{i}.wav").write_bytes(b"RIFF" + bytes(40))
        web.daemon.run(store.cdr.insert(c))
        web.daemon.run(store.recordings.index(f"2026/11/18/{i}.wav", c.id, 60.0))
        recs.append(c)
    sup = principal(web, "w-sup", "supervisor")
    assert web.api.find_recordings(sup, agent="202")["total"] == 1
    assert web.api.find_recordings(sup, queue="support")["items"][0]["call_id"] == recs[0].id
    assert web.api.find_recordings(sup, number="013812345678")["total"] == 1
    assert web.api.find_recordings(sup, call=recs[1].id)["total"] == 1
    leader = principal(web, "w-lead", "team_leader")
    masked = web.api.find_recordings(leader, call=recs[0].id)["items"][0]
    assert masked["caller_number"] == "0138****5678"
    agent = principal(web, "w-ann", "agent", "201")
    with pytest.raises(ApiError) as err:                  # agents may not play recordings
        web.api.find_recordings(agent)
    assert err.value.status == 403


def test_staffing_is_erlang_c_over_the_boxs_own_traffic(web: Web) -> None:
    store = web.daemon.store
    assert store is not None
    start = T0 - (T0 % 86400) - 30 * 86400                 # a quiet window of whole days
    for day in range(2):
        for i in range(6):                                  # 6 calls at 03:00-03:30 UTC each day
            web.daemon.run(store.cdr.insert(call(start + day * 86400 + 3 * 3600 + i * 60,
                                                 talk_s=240.0, recording="")))
    rows = web.api.staffing(ADMIN, start, start + 2 * 86400, target_sl=0.8, target_time=20)
    assert sum(r["calls"] for r in rows) == 6.0             # per day, averaged over 2 days
    row = max(rows, key=lambda r: r["calls"])
    want = erlang.agents_needed(6, 1800, 240, target_sl=0.8, target_time=20)
    assert (row["agents"], row["aht_s"]) == (want.agents, 240.0)
    with pytest.raises(ApiError) as err:
        web.api.staffing(ADMIN, start + 10, start)
    assert err.value.status == 400

"""An admin's edit reaches the running box: no restart between the web page and a call.

The box runs for real (``callbox run``); the admin logs in over HTTP like the
browser does and adds seat 203 to queue ``support`` through the seats API. The
new seat registers with the password the API returned once (so the edge knows
it) and is the only seat registered, so a caller through DID 100 -> IVR "1"
reaches it only if the running ACD knows it too. Then the queue's max wait is edited
and the running engine takes it (``acd.queues_updated``, a new ``QueueSpec`` traced).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.appliance import Appliance
from tests.support.http import Client
from tests.support.load import place_calls, register_seats, start_seats
from tests.support.net import wait_for

pytestmark = [pytest.mark.network, pytest.mark.slow]


def _admin(box: Appliance) -> tuple[Client, dict[str, str]]:
    c = Client(box.web)
    token = c.get("/login").form_token()
    r = c.post("/login", {"csrf": token, "username": "admin",
                          "password": box.credentials()["admin"]},
               headers={"Origin": box.web})
    assert r.status in (302, 303), r.status
    csrf = c.get("/admin/seats").form_token()
    return c, {"Origin": box.web, "X-CSRF-Token": csrf}


def test_a_seat_added_in_the_web_ui_registers_and_takes_calls_at_once(tmp_path: Path) -> None:
    (tmp_path / "box").mkdir()
    box = Appliance(tmp_path / "box", nodes_min=1, nodes_max=4).start()
    phones = start_seats(tmp_path / "seats", 120, 2)
    try:
        c, headers = _admin(box)
        r = c.request("PUT", "/api/seats/203", json={"queues": {"support": 0}},
                      headers=headers)
        assert r.status == 200, r.text
        password = r.json()["password"]
        assert not register_seats(tmp_path, box.sip_port, {"203": password}, phones.port)
        wait_for(lambda: box.health()["components"]["kamailio"]["registered_seats"] == ["203"],
                 30, "seat 203 registered (and no other)")
        callers = place_calls(tmp_path / "callers", box.sip_port, "100", 1, 5.0, 2.0)
        assert callers.wait(60)["calls_ok"] == 1
        cdr = wait_for(lambda: box.query("SELECT agent, disposition FROM cdr"), 20, "the CDR")
        # a queue's settings edited on the page reach the running engine too
        r = c.request("PUT", "/api/queues/support", json={"max_wait_s": 77}, headers=headers)
        assert r.status == 200, r.text
        updated = wait_for(lambda: box.query(
            "SELECT data FROM event_log WHERE kind = 'acd.queues_updated'"), 20,
            "the engine's queue updated")
        specs = box.query("SELECT data FROM event_log WHERE kind = 'acd.trace'"
                          " AND data LIKE '%\"QueueSpec\"%' AND data LIKE '%\"support\"%'"
                          " ORDER BY seq")
    finally:
        phones.stop()
        box.stop()
    assert [tuple(r) for r in cdr] == [("203", "answered")]
    assert [json.loads(r[0])["queues"] for r in updated] == [["support"]]
    assert [json.loads(r[0])["max_wait"] for r in specs][-1] == 77.0

"""Restoring a backup from the system page into the running box (``callbox run``):
the archive is checked first, then the daemon stops, swaps its data folder and starts
again in the same process; the change made after the backup is gone, the old data is
kept beside (with what a backup does not hold: logs, the backups made on the box, the
demo credentials file), the box keeps its callbox.toml and the restore is in the audit log."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.appliance import Appliance
from tests.support.http import Client
from tests.support.load import place_calls
from tests.support.net import wait_for
from tests.system.test_listen_change_box import login

pytestmark = [pytest.mark.network, pytest.mark.slow]


def seats(box: Appliance, password: str) -> list[str]:
    c, _ = login(box, box.web, password)
    return sorted(s["extension"] for s in c.get("/api/seats").json())


def test_a_backup_is_restored_into_the_running_box_and_it_starts_again(tmp_path: Path) -> None:
    (tmp_path / "box").mkdir()
    box = Appliance(tmp_path / "box", nodes_min=1, nodes_max=2).start()
    try:
        pid = box.proc.pid if box.proc else None
        password = box.credentials()["admin"]     # var/demo-credentials.txt is not backed up
        c, headers = login(box, box.web)
        made = c.request("POST", "/api/system/backups", headers=headers, json={})
        assert made.status == 200, made.text
        name = made.json()["name"]
        before = seats(box, password)
        r = c.request("PUT", "/api/seats/299", json={"queues": {"support": 0}}, headers=headers)
        assert r.status == 200, r.text
        assert "299" in seats(box, password)
        config = box.config.read_text()

        # a damaged archive is refused before anything stops
        bad = box.var / "uploads" / "system" / "broken.cbbak"
        bad.parent.mkdir(parents=True, exist_ok=True)
        bad.write_bytes(b"not a backup" * 100)
        r = c.request("POST", "/api/system/restore", headers=headers, json={"backup": bad.name})
        assert r.status == 400 and "cannot be restored" in r.json()["error"], r.text
        r = c.request("POST", "/api/system/restore", headers=headers,
                      json={"backup": "../callbox.cbbak"})
        assert r.status == 400 and r.json()["error"].startswith("backup:"), r.text

        # while a call is up, a restore is refused (stopping would end it)
        callers = place_calls(tmp_path / "callers", box.sip_port, "100", 1, 5.0, 20.0)
        try:
            wait_for(lambda: any(n["legs_in_use"] for n in c.get("/api/health").json()
                                 ["components"]["media_nodes"]["nodes"]), 30, "a call up")
            r = c.request("POST", "/api/system/restore", headers=headers, json={"backup": name})
            assert r.status == 409 and "call legs are up" in r.json()["error"], r.text
        finally:
            assert callers.wait(60)["calls_ok"] == 1
        wait_for(lambda: not any(n["legs_in_use"] for n in c.get("/api/health").json()
                                 ["components"]["media_nodes"]["nodes"]), 30, "the call over")

        r = c.request("POST", "/api/system/restore", headers=headers, json={"backup": name})
        assert r.status == 200 and r.json()["state"] == "restarting", r.text
        wait_for(lambda: seats(box, password) == before, 120, "the box back, on the backup's data")
        assert box.proc is not None and box.proc.poll() is None and box.proc.pid == pid
        kept = [p for p in box.dir.iterdir() if p.name.startswith("var.before-restore-")]
        assert len(kept) == 1 and (kept[0] / "backups" / name).is_file()
        assert box.config.read_text() == config
        rows = box.query("SELECT action, actor, target FROM audit_log"
                         " WHERE action LIKE 'system.restore%' ORDER BY seq")
        assert [tuple(r) for r in rows][-1] == ("system.restore", "admin", name)
        health = Client(box.web).get("/api/health").json()
        assert health["status"] == "ok"
    finally:
        box.stop()

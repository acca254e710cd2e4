"""The agent desk in headless Chromium against the whole box with a real call.

The appliance runs as a child process (Kamailio edge, pjsua2 media node, the
daemon); baresip is seat 201 and auto-answers; sipp calls DID 100 and presses 1
for the support queue. The agent, logged in to the web UI as a user of seat 201,
logs out of and back in to its queues, holds and resumes the call, hangs it up
and saves the disposition from the desk; the box's own records say what happened.
"""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from firmware import config, demo
from firmware.store import Store
from tests.support import sipp
from tests.support.appliance import Appliance
from tests.support.baresip import BaresipSeat
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.support.net import sipp_media_port, wait_for
from tests.support.rtp import RtpStream, silence, tone

pytestmark = [pytest.mark.network, pytest.mark.slow, needs_chromium]
PHONES = "127.0.0.2"
PASSWORD = "desk agent password"


async def _provision(app: Appliance) -> None:
    cfg = config.load(app.config)
    store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)
    try:
        await demo.provision(cfg, store)
        await store.users.put("ann", PASSWORD, "agent", "201")
    finally:
        await store.close()


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Appliance]:
    app = Appliance(tmp_path_factory.mktemp("deskweb"), nodes_min=1, nodes_max=2)
    asyncio.run(_provision(app))
    app.start()
    try:
        yield app
    finally:
        code = app.stop()
    assert code == 0, f"appliance did not stop cleanly ({code}):\n{app.log()}"


def test_agent_holds_hangs_up_and_wraps_up_a_real_call_from_the_desk(
        box: Appliance, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright
    agent = BaresipSeat(tmp_path / "s201", "201", box.credentials()["201"], box.sip_port,
                        seconds=90, address=PHONES).start()
    result: list[Any] = []
    problems: list[str] = []
    try:
        wait_for(lambda: box.registered("201"), 30, "seat 201 registered")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
                page.on("console", lambda m: problems.append(m.text)
                        if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.goto(f"{box.web}/login")
                page.fill("#username", "ann")
                page.fill("#password", PASSWORD)
                page.click("#login")
                expect(page).to_have_url(f"{box.web}/desk")
                state = page.locator("#state-name")
                page.click("#q-logout")
                expect(state).to_have_text("logged-out")
                page.click("#q-login")
                expect(state).to_have_text("available", timeout=15_000)
                stream = (RtpStream().audio(silence(1.0)).event("1", 0.12).audio(silence(1.5))
                          .audio(tone((400.0,), 20.0, amplitude=0.2)))
                caller = threading.Thread(target=lambda: result.append(sipp.call(
                    tmp_path / "caller", box.sip_port, "100", stream.pcap(), hold_s=40.0,
                    media_port=sipp_media_port())))
                caller.start()
                call_state = page.locator("#call-state")
                expect(call_state).to_have_text("talking", timeout=30_000)
                page.click("#hold")
                expect(call_state).to_have_text("held", timeout=10_000)
                page.click("#resume")
                expect(call_state).to_have_text("talking", timeout=10_000)
                page.click("#hangup")
                expect(call_state).to_have_text("no call", timeout=15_000)
                expect(page.locator("#wrapup-form")).to_be_visible()
                call_id = page.locator("#wrap-call").input_value()
                code = page.locator("#disposition").input_value()
                page.fill("#wrap-note", "real call, held once")
                page.click("#wrap-save")
                expect(page.locator("#desk-msg")).to_have_text("disposition saved")
                caller.join(60)
            finally:
                browser.close()
        rows = box.query("SELECT code, note FROM call_dispositions WHERE call_id = ?", call_id)
        assert [tuple(r) for r in rows] == [(code, "real call, held once")]
        cdr = box.query("SELECT disposition, agent, queue FROM cdr WHERE id = ?", call_id)
        assert [tuple(r) for r in cdr] == [("answered", "201", "support")], box.log()[-3000:]
        holds = box.query("SELECT COUNT(*) AS n FROM event_log WHERE kind = 'call.held'"
                          " AND data LIKE ?", f"%{call_id}%")
        assert holds[0]["n"] >= 1
        assert [x for x in problems if "responded with a status of 4" not in x] == [], problems
    finally:
        agent.stop()

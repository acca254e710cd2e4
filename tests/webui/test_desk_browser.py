"""The agent desk's and the wallboard's commands in headless Chromium, against the
daemon's own call handling: real flows (IVR, queue, ACD runner), store, ``Cti`` and
event bus on the web server's daemon loop, with the media nodes simulated
(``tests/cti/conftest.DeskHarness``: fake legs record what the node was told). A
call is placed into the IVR, rings seat 201, and the agent runs it from the desk;
a supervisor listens, whispers and forces states from the wallboard. What each
button did is checked on the legs and in the store, not only on the page.

The same commands against the whole box with SIP phones are in tests/e2e (feature
codes); here the subject is the pages: buttons, CSRF, errors shown, both widths.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from firmware.api import Api
from firmware.crm.permissions import Principal
from tests.cti.conftest import DeskHarness
from tests.cti.fakes import out_legs
from tests.support.browser import needs_chromium
from tests.webui.browser import chromium, fits, log_in, new_page
from tests.webui.support import PASSWORD, DaemonLoop, healthy
from webui.app import make_app
from webui.server import WebServer

pytestmark = needs_chromium
ADMIN = Principal.system("test")


class DeskBox:
    def __init__(self, tmp: Path) -> None:
        self.daemon = DaemonLoop()
        self.daemon.thread.start()
        self.h = DeskHarness(tmp, capacity=32, wrapup_s=30)
        self.run(self.h.__aenter__())
        store = self.h.store
        self.run(store.users.put("dana", PASSWORD, "agent", seat="201"))
        self.run(store.users.put("sam", PASSWORD, "supervisor", seat="301"))
        self.run(self._attach())
        self.api = Api(self.daemon.loop, store, healthy, timeout=5.0, bus=self.h.bus)
        self.api.attach_cti(self.h.cti)
        self.server = WebServer(make_app(self.api, clock=self.h.clock), "127.0.0.1", 0)
        self.server.start()
        self.problems: list[str] = []
        self.shots = tmp / "screenshots"
        self.shots.mkdir()

    async def _attach(self) -> None:
        self.writer = self.h.store.attach_event_log(self.h.bus)

    def run(self, coro: Any) -> Any:
        return self.daemon.run(coro)

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        self.server.stop()
        self.run(self.h.__aexit__(None, None, None))
        self.daemon.stop()

    def page(self, browser: Any, width: int, height: int) -> Any:
        return new_page(browser, self.problems, width, height)

    def login(self, page: Any, user: str, home: str) -> None:
        log_in(page, self.url, user, home)

    def ringing(self, caller: str = "5551234") -> tuple[Any, Any]:
        """A caller presses 1 in the IVR; the support queue rings seat 201."""
        h = self.h

        async def place() -> tuple[Any, Any]:
            n = len(h.pool.dialled)
            leg = h.call(caller=caller)
            await h.until(lambda: leg.playing, "the menu prompt")
            leg.press("1")
            await h.until(lambda: len(h.pool.dialled) > n, "the seat rings")
            return leg, h.pool.dialled[-1][0]
        return self.run(place())

    def until(self, cond: Any, what: str) -> Any:
        return self.run(self.h.until(cond, what))


async def _registered(h: DeskHarness, *seats: str) -> None:
    h.seat_registered(*seats)                   # on the loop: the ACD is not thread-safe


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's browser and daemon live on
    yield


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskBox]:
    b = DeskBox(tmp_path_factory.mktemp("deskbrowser"))
    try:
        yield b
    finally:
        b.close()
    # no script error, no CSP violation (refusals asked for on purpose show as 4xx loads)
    assert [x for x in b.problems if "responded with a status of 4" not in x] == [], b.problems


@pytest.fixture(scope="module")
def browser(desk: DeskBox) -> Iterator[Any]:
    with chromium() as br:
        yield br


def test_agent_runs_a_call_from_the_desk_at_phone_width(desk: DeskBox, browser: Any) -> None:
    from playwright.sync_api import expect
    h = desk.h
    desk.api.put_seat_remote_answer(ADMIN, "201", True)
    desk.run(_registered(h, "201", "203", "301"))
    page = desk.page(browser, 390, 844)
    desk.login(page, "dana", "/desk")
    state = page.locator("#state-name")
    msg = page.locator("#desk-msg")
    # queues and state
    page.click("#q-logout")
    expect(state).to_have_text("logged-out")
    assert h.state("201") == "logged-out"
    page.click("#q-login")
    expect(state).to_have_text("available")
    page.select_option("#pause-reason", index=1)
    reason = page.locator("#pause-reason").input_value()
    page.click("#pause")
    expect(state).to_have_text("paused")
    assert h.acd.agent_state("201") == ("paused", reason)
    page.click("#available")
    expect(state).to_have_text("available")
    fits(page)
    # a call rings the seat: answer from the desk (the phone is told to answer)
    caller, seat_leg = desk.ringing()
    expect(page.locator("#call-state")).to_have_text("ringing")
    page.click("#answer")
    desk.until(lambda: ("talk", None) in seat_leg.commands, "the phone was told to answer")
    seat_leg.far_answers()
    live = desk.until(lambda: h.cti.call_of("201"), "the call is live")
    expect(page.locator("#call-state")).to_have_text("talking")
    # hold, resume
    page.click("#hold")
    expect(page.locator("#call-state")).to_have_text("held")
    assert caller.held
    page.click("#resume")
    expect(page.locator("#call-state")).to_have_text("talking")
    assert not caller.held
    # record off and on again (the box records every call by default)
    expect(page.locator("#call-info")).to_contain_text("recording")
    page.click("#record-off")
    expect(page.locator("#call-info")).not_to_contain_text("recording")
    assert live.recording.active is None
    page.click("#record-on")
    expect(page.locator("#call-info")).to_contain_text("recording")
    assert live.recording.active is not None
    # consult 203, then back to the caller
    page.fill("#xfer-target", "203")
    page.click("#xfer-attended")
    consult = desk.until(lambda: out_legs(h.pool, "sip:203@"), "203 rings")[-1]
    consult.far_answers()
    desk.until(lambda: live.consult_up, "consulting 203")
    expect(page.locator("#call-state")).to_have_text("consulting")
    page.click("#xfer-cancel")
    expect(page.locator("#call-state")).to_have_text("held")     # the caller waits on hold
    assert consult.ended.done()
    page.click("#resume")
    expect(page.locator("#call-state")).to_have_text("talking")
    # an error names what was wrong
    page.fill("#xfer-target", "queue:nope")
    page.click("#xfer-attended")
    expect(msg).to_contain_text("queue")
    expect(msg).to_have_class("muted msg-error")
    page.screenshot(path=str(desk.shots / "desk-call-390.png"), full_page=True)
    fits(page)
    # hang up: wrap-up with its countdown, then the disposition
    page.click("#hangup")
    expect(state).to_have_text("wrap-up")
    expect(page.locator("#wrap-left")).to_contain_text("s left")
    left = int(page.locator("#wrap-left").inner_text().split()[1])
    assert 0 < left <= 30, left                  # the queue's 30 s, counting down
    expect(page.locator("#wrapup-form")).to_be_visible()
    page.select_option("#disposition", index=0)
    code = page.locator("#disposition").input_value()
    page.fill("#wrap-note", "wanted the invoice again")
    page.click("#wrap-save")
    expect(msg).to_have_text("disposition saved")
    expect(state).to_have_text("available")
    expect(page.locator("#wrapup-form")).to_be_hidden()
    row = desk.run(h.store.db.fetchone(
        "SELECT code, note FROM call_dispositions WHERE call_id = ?", (live.id,)))
    assert tuple(row) == (code, "wanted the invoice again")
    page.context.close()


def test_agent_calls_a_number_and_a_customer_it_sees_masked(desk: DeskBox,
                                                           browser: Any) -> None:
    from playwright.sync_api import expect
    h = desk.h
    cust = desk.api.create_customer(ADMIN, {"name": "Li Lei", "phones": ["+8613912345678"]})
    page = desk.page(browser, 1920, 1080)
    desk.login(page, "dana", "/desk")
    n = len(h.pool.dialled)
    page.fill("#dial-number", "12ab")
    page.click("#dial")
    expect(page.locator("#desk-msg")).to_contain_text("2-20 digits")
    page.fill("#dial-number", "+8613700001111")
    page.click("#dial")
    expect(page.locator("#desk-msg")).to_contain_text("your phone rings first")
    first = desk.until(lambda: [leg for leg, uri in h.pool.dialled[n:] if "sip:201@" in uri],
                       "the agent's phone rings")[0]
    first.far_answers()                             # then the number is dialled
    desk.until(lambda: any(d[0] == "+8613700001111" for d in h.trunks.dialled),
               "the trunk dials the number")
    desk.run(first.hangup())
    desk.until(lambda: not h.cti.call_of("201") and "201" not in h.cti.offers, "idle")
    # the customer's card: its number masked, yet the agent can call it
    page.goto(f"{desk.url}/customers/{cust['id']}")
    button = page.locator("#call-customer button.call-phone")
    expect(button).to_have_text("Call +86139****5678")
    m = len(h.pool.dialled)
    button.click()
    expect(page).to_have_url(f"{desk.url}/desk")
    ring = desk.until(lambda: [leg for leg, uri in h.pool.dialled[m:] if "sip:201@" in uri],
                      "the agent's phone rings again")[0]
    ring.far_answers()
    desk.until(lambda: any(d[0] == "+8613912345678" for d in h.trunks.dialled),
               "the trunk dials the customer's number")
    desk.run(ring.hangup())
    desk.until(lambda: not h.cti.call_of("201"), "idle again")
    page.context.close()


def test_supervisor_listens_whispers_barges_and_forces_states_from_the_wallboard(
        desk: DeskBox, browser: Any) -> None:
    from playwright.sync_api import expect
    h = desk.h
    desk.run(_registered(h, "201", "203", "301"))
    page = desk.page(browser, 1920, 1080)
    desk.login(page, "sam", "/wallboard")
    expect(page.locator("#live-status")).to_have_text("live")
    caller, seat, live = desk.run(h.connected("201", caller="13812345678"))
    msg = page.locator("#sup-msg")
    row = page.locator('#agents-body tr[data-agent="201"]')
    expect(row.locator('button[data-sup="listen"]')).to_be_visible()   # live: a call now
    row.locator('button[data-sup="listen"]').click()
    expect(msg).to_contain_text("listen: your phone rings")
    sup = desk.until(lambda: out_legs(h.pool, "sip:301@"), "the supervisor's phone rings")[-1]
    sup.far_answers()
    desk.until(lambda: h.pool.hears(sup) == {caller, seat}, "the supervisor listens")
    row.locator('button[data-sup="whisper"]').click()
    desk.until(lambda: sup in h.pool.hears(seat), "the agent hears the supervisor")
    assert sup not in h.pool.hears(caller)                  # the caller never does
    row.locator('button[data-sup="barge"]').click()
    desk.until(lambda: sup in h.pool.hears(caller), "all three talk")
    row.locator('button[data-sup="leave"]').click()
    expect(msg).to_contain_text("left 201's call")
    desk.until(lambda: sup.ended.done(), "the supervisor's phone hangs up")
    assert live.sup is None or live.sup.leg.ended.done()
    page.screenshot(path=str(desk.shots / "wallboard-actions-1920.png"), full_page=True)
    # force another agent logged out, available, paused
    other = page.locator('#agents-body tr[data-agent="203"]')
    other.locator('button[data-force="logged-out"]').click()
    expect(other).to_have_class("state-logged-out")
    assert h.state("203") == "logged-out"
    other.locator('button[data-force="available"]').click()
    expect(other).to_have_class("state-available")
    other.locator('button[data-force="paused"]').click()
    expect(other).to_have_class("state-paused")
    assert h.state("203") == "paused"
    expect(msg).to_have_text("203 is now paused")
    # intercept: the supervisor takes the call, the agent is freed
    row.locator('button[data-sup="intercept"]').click()
    taker = desk.until(lambda: out_legs(h.pool, "sip:301@")[-1:] if
                       out_legs(h.pool, "sip:301@")[-1] is not sup else None,
                       "the supervisor's phone rings again")[-1]
    taker.far_answers()
    desk.until(lambda: seat.ended.done(), "the agent's leg is released")
    assert h.pool.hears(caller) == {taker}
    # at phone width the wallboard still fits (its tables scroll in their own box)
    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
    caller.far_hangs_up()
    desk.run(h.finished())
    page.context.close()

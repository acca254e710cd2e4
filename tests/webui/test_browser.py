"""Headless Chromium (Debian's, driven by Playwright) uses the web UI as each role would.

One browser for the module (a fresh context per test). The browser is launched
with the flags of docs/reference/test-peers.md#chromium-driven-by-playwright;
``--host-resolver-rules`` keeps it from resolving any name but the loopback.
Every page must load without a script error or a CSP violation, fit a 390 px
phone without the page itself scrolling sideways (wide tables scroll in their
own box), and the main screens are saved as screenshots under the test's tmp
dir. At the end the browser, its Node driver and every thread must be gone.
"""
from __future__ import annotations

import os
import time
import wave
from pathlib import Path
from typing import Any, Iterator

import pytest

from firmware.crm.permissions import Principal
from tests.store.support import T0, call
from tests.support.browser import needs_chromium
from tests.webui.browser import BrowserBox, browser_box, submit_login
from tests.webui.support import PASSWORD, Web

pytestmark = needs_chromium
ADMIN = Principal.system("test")
ROLE_USERS = {"admin": ("admin", None), "supervisor": ("b-sup", None),
              "team_leader": ("b-lead", None), "agent": ("ann", "201"),
              "auditor": ("b-audit", None)}
HOMES = {"admin": "/admin", "supervisor": "/wallboard", "team_leader": "/wallboard",
         "agent": "/desk", "auditor": "/calls"}


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc), zombies excluded."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


class Box(BrowserBox):
    def page(self, width: int = 1200, height: int = 800) -> Any:
        return self.new_page(width, height)

    def login(self, page: Any, role: str) -> None:
        self.log_in(page, ROLE_USERS[role][0], HOMES[role])


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's browser and web UI live on
    yield


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    before: set[int] = set()

    def users(web: Web) -> None:
        assert web.daemon.store is not None
        for role, (user, seat) in ROLE_USERS.items():
            if user not in ("admin", "ann"):
                web.daemon.run(web.daemon.store.users.put(user, PASSWORD, role, seat))
        before.update(descendants(os.getpid()))
    with browser_box(tmp_path_factory.mktemp("browser"), Box, users) as b:
        yield b
    deadline = time.monotonic() + 10
    while descendants(os.getpid()) - before and time.monotonic() < deadline:
        time.sleep(0.1)                      # waiting for processes to exit, not for a timer
    assert descendants(os.getpid()) - before == set(), "browser or driver processes left"
    # no CSP violation, no script error anywhere (the 403s asked for on purpose aside)
    assert [x for x in b.problems if "status of 403" not in x] == [], b.problems


def test_calls_page_logs_in_refreshes_and_logs_out(box: Box) -> None:
    from playwright.sync_api import expect
    page = box.page()
    page.goto(f"{box.url}/calls")
    expect(page).to_have_url(f"{box.url}/login?next=%2Fcalls")
    submit_login(page, "admin")
    expect(page).to_have_url(f"{box.url}/calls")              # back where it was going
    rows = page.locator("#calls-body tr[data-call]")
    expect(rows).to_have_count(3)
    first = page.locator(f'tr[data-call="{box.web.calls[0].id}"]')
    expect(first).to_contain_text("Ann Caller 5551234")
    expect(page.locator(f'tr[data-call="{box.web.calls[1].id}"]')).to_contain_text(
        "Bob <script>alert(1)</script>")          # a hostile name is text, not markup
    assert box.web.daemon.store is not None
    new = call(T0 + 3600, caller_name="Dora Newcall", caller_number="5559999")
    box.web.daemon.run(box.web.daemon.store.cdr.insert(new))
    page.click("#refresh")
    expect(page.locator(f'tr[data-call="{new.id}"]')).to_contain_text("Dora Newcall")
    expect(page.locator("#count")).to_have_text("4 calls")
    box.shot(page, "calls")
    page.click("#logout")
    expect(page).to_have_url(f"{box.url}/login")
    page.goto(f"{box.url}/calls")
    expect(page).to_have_url(f"{box.url}/login?next=%2Fcalls")
    page.context.close()


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_each_role_lands_on_its_page_and_every_page_fits_a_phone(box: Box, role: str) -> None:
    page = box.page(390, 844)
    box.login(page, role)
    links = page.eval_on_selector_all("#nav a", "as => as.map(a => a.getAttribute('href'))")
    assert HOMES[role] in links or HOMES[role] == "/admin"
    for href in links + ["/account"]:
        page.goto(f"{box.url}{href}")
        assert page.locator("#nav").count() == 1, href
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{role} {href} scrolls sideways by {overflow} px at 390 px"
        box.shot(page, f"{role}-390{href.replace('/', '-')}")
    page.goto(f"{box.url}/admin/users")
    if role != "admin":
        assert "403" in page.title() and page.locator("#nav").count() == 1
    page.context.close()


def test_supervisor_sees_a_test_call_arrive_on_the_wallboard_live(box: Box) -> None:
    from playwright.sync_api import expect
    page = box.page(1920, 1080)
    box.login(page, "supervisor")
    expect(page.locator("#live-status")).to_have_text("live")
    cid = "c0ffee00-0000-4000-8000-0000000000b1"

    async def arrive() -> None:
        box.web.bus.publish("call.started", call=cid, caller="13812345678", did="100")
        box.web.bus.publish("acd.trace", dir="in", type="CallQueued", t=0.0, call=cid,
                            queue="support")
    box.web.daemon.run(arrive())
    row = page.locator('#queues-body tr[data-queue="support"]')
    expect(row).to_contain_text("13812345678")              # no reload: the event stream
    expect(row.locator("td.big")).to_have_text("1")
    box.shot(page, "wallboard-1920")
    wide = page.evaluate("getComputedStyle(document.body).fontSize")
    assert float(wide.rstrip("px")) >= 20                     # readable on a wall TV

    async def answered() -> None:
        box.web.bus.publish("acd.trace", dir="in", type="OfferAccepted", t=0.0, call=cid,
                            agent="201")
    box.web.daemon.run(answered())
    expect(row.locator("td.big")).to_have_text("0")
    page.context.close()


def test_agent_desk_shows_the_screen_pop_of_an_offered_call(box: Box) -> None:
    from playwright.sync_api import expect
    box.web.api.create_customer(ADMIN, {"name": "Wang Fang", "phones": ["+8613700001234"]})
    page = box.page(390, 844)
    box.login(page, "agent")
    expect(page.locator("#live-status")).to_have_text("live")
    cid = "c0ffee00-0000-4000-8000-0000000000c1"

    async def offer() -> None:
        box.web.bus.publish("call.started", call=cid, caller="+8613700001234", did="100")
        box.web.bus.publish("acd.trace", dir="in", type="CallQueued", t=0.0, call=cid,
                            queue="support")
        box.web.bus.publish("acd.trace", dir="out", type="Offer", t=0.0, call=cid,
                            agent="201", queue="support", reason={})
    box.web.daemon.run(offer())
    expect(page.locator("#pop-customer")).to_contain_text("Wang Fang")
    expect(page.locator("#pop-caller")).to_have_text("+86137****1234")   # agents: masked
    expect(page.locator("#pop-phase")).to_have_text("ringing")
    page.fill("#ac-note", "asked about the invoice")
    page.click("#ac-save")
    expect(page.locator("#timeline")).to_contain_text("asked about the invoice")
    box.shot(page, "desk-390")
    page.context.close()


def _wav(path: Path) -> None:
    import math
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(int(8000 * math.sin(i / 8)).to_bytes(2, "little", signed=True)
                               for i in range(16000)))


def test_supervisor_plays_a_recording_in_the_browser(box: Box) -> None:
    from playwright.sync_api import expect
    store = box.web.daemon.store
    assert store is not None
    c = call(T0 + 9000, recording="2026/11/18/browser.wav", caller_name="Play Me")
    _wav(store.recordings.root / "2026/11/18/browser.wav")
    box.web.daemon.run(store.cdr.insert(c))
    box.web.daemon.run(store.recordings.index("2026/11/18/browser.wav", c.id, 2.0))
    page = box.page()
    box.login(page, "supervisor")
    page.goto(f"{box.url}/calls")
    page.click(f'tr[data-call="{c.id}"] a.rec')
    audio = page.locator(f'tr[data-recording="2026/11/18/browser.wav"] audio')
    expect(audio).to_have_count(1)
    audio.evaluate("a => { a.muted = true; return a.play(); }")
    page.wait_for_function("a => a.currentTime > 0 || a.ended", arg=audio.element_handle())
    assert audio.evaluate("a => a.duration") == pytest.approx(2.0, abs=0.05)
    box.shot(page, "recordings")
    plays = box.web.api.audit_log(ADMIN, actor="b-sup", action="recording.play")
    assert plays["total"] == 1
    page.context.close()


def test_supervisor_adds_a_customer_and_opens_a_ticket(box: Box) -> None:
    from playwright.sync_api import expect
    page = box.page(390, 844)
    box.login(page, "supervisor")
    page.goto(f"{box.url}/customers")
    page.click("#new-customer")
    page.fill("#name", "Chen Jie")
    page.fill("#phones", "+8613911112222")
    page.click("#save")
    expect(page.locator("#customer-name")).to_have_text("Chen Jie")
    page.click("#new-ticket")
    page.fill("#subject", "Wants a new contract")
    page.click("#create")
    expect(page.locator("#state")).to_have_text("new")
    page.select_option("#event", "assign")
    page.click("#move")
    expect(page.locator("#state")).to_have_text("assigned")
    box.shot(page, "ticket-390")
    page.goto(f"{box.url}/reports")
    expect(page.locator("svg.chart")).to_have_count(2)
    expect(page.locator("#quality thead")).to_contain_text("Adherence")
    box.shot(page, "reports")
    page.context.close()


def test_admin_adds_a_seat_and_reads_how_to_register_a_softphone(box: Box) -> None:
    from playwright.sync_api import expect
    box.web.api.put_queue(ADMIN, "support")
    page = box.page()
    box.login(page, "admin")
    page.goto(f"{box.url}/admin/seats")
    page.fill("#s-ext", "251")
    page.fill("#s-name", "Hot desk")
    page.check('input[name="queue"][value="support"]')
    page.click("#save-seat")
    password = page.locator("#seat-password").inner_text()
    assert len(password) >= 12
    expect(page.locator("#baresip-accounts")).to_contain_text(f"auth_pass={password}")
    expect(page.locator('#seats tr[data-seat="251"]')).to_contain_text("support (0)")
    box.shot(page, "admin-seats")
    page.context.close()

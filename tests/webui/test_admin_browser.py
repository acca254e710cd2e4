"""The admin pages of the inbound configuration, trunks, security and the system page,
each doing its main job in headless Chromium, at phone width (390 px: the page never
scrolls sideways) and on a wide screen (1920 px). What a form did is checked through
the API as well as on the page; a refused change shows the reason naming the field.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from firmware.crm.permissions import Principal
from tests.support.browser import needs_chromium
from tests.webui.browser import BrowserBox, browser_box

pytestmark = needs_chromium
ADMIN = Principal.system("test")


class AdminBox(BrowserBox):
    def page(self, width: int) -> Any:
        """A page at ``width`` logged in as the admin."""
        page = self.new_page(width, 900)
        self.log_in(page, "admin", "/admin")
        return page


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's browser and web UI live on
    yield


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminBox]:
    with browser_box(tmp_path_factory.mktemp("adminbrowser"), AdminBox,
                     lambda web: web.api.put_queue(ADMIN, "support")) as b:
        yield b
    # no script error, no CSP violation (refusals asked for on purpose show as 4xx loads)
    assert [x for x in b.problems if "responded with a status of 4" not in x] == [], b.problems


@pytest.mark.parametrize("width", [390, 1920])
def test_every_new_admin_page_fits_the_screen(box: AdminBox, width: int) -> None:
    page = box.page(width)
    for path in ("/admin", "/admin/routes", "/admin/schedules", "/admin/prompts",
                 "/admin/queue-rules", "/admin/ivr", "/admin/voicemail", "/admin/callbacks",
                 "/admin/telephony", "/admin/security", "/admin/system"):
        box.open(page, path, path.strip("/").replace("/", "-"))
    page.context.close()


def test_routes_and_caller_lists(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/routes", "routes")
    page.fill("#r-did", "300")
    page.fill("#r-target", "queue:nowhere")
    page.click("#save-route")
    expect(page.locator("#form-error")).to_contain_text("nowhere")     # names what is wrong
    page.fill("#r-did", "300")
    page.fill("#r-target", "queue:support")
    page.click("#save-route")
    expect(page.locator('#routes tr[data-did="300"]')).to_contain_text("queue:support")
    assert any(r["did"] == "300" for r in box.web.api.inbound_routes(ADMIN))
    page.fill("#c-did", "300")
    page.fill("#c-caller", "13812345678")
    page.click("#check")
    expect(page.locator("#check-result")).to_have_text("→ queue:support")
    page.select_option("#l-kind", "block")
    page.fill("#l-number", "13812345678")
    page.click("#save-entry")
    row = page.locator("#lists tbody tr").first
    expect(row).to_contain_text("black")
    page.fill("#c-did", "300")
    page.fill("#c-caller", "13812345678")
    page.click("#check")
    expect(page.locator("#check-result")).to_contain_text("caller blocked")
    row.locator("button").click()
    expect(page.locator("#lists")).to_contain_text("Both lists are empty")
    page.locator('#routes tr[data-did="300"] button').click()
    expect(page.locator('#routes tr[data-did="300"]')).to_have_count(0)
    page.context.close()


def test_schedules_prompts_and_queue_rules(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(1920)
    box.open(page, "/admin/schedules", "schedules")
    new = page.locator('section.schedule[data-schedule=""]')
    new.locator("#s-name").fill("office")
    new.locator('input[name="timezone"]').fill("Asia/Shanghai")
    new.locator('textarea[name="weekly"]').fill('{"mon": [["09:00", "18:00"]]')
    new.locator("button").click()
    expect(page.locator("#form-error")).to_contain_text("weekly: not valid JSON")
    new = page.locator('section.schedule[data-schedule=""]')
    new.locator("#s-name").fill("office")
    new.locator('textarea[name="weekly"]').fill('{"mon": [["09:00", "18:00"]]}')
    new.locator("button").click()
    office = page.locator('section.schedule[data-schedule="office"]')
    expect(office.locator(".state")).to_contain_text("now")
    office.locator('input[name="date"]').fill("2026-10-01")
    office.locator('input[name="note"]').fill("National Day")
    office.locator(".holiday-form button").click()
    saved = next(s for s in box.web.api.schedules(ADMIN) if s["name"] == "office")
    assert saved["days"]["2026-10-01"] == {"closed": True, "note": "National Day"}
    assert saved["timezone"] == "Asia/Shanghai"

    box.open(page, "/admin/prompts", "prompts")
    page.fill("#p-name", "welcome")
    page.fill("#p-en", "Welcome to Callbox")
    page.click("#save-prompt")
    expect(page.locator('#prompts tr[data-prompt="welcome"]')).to_contain_text(
        "Welcome to Callbox")

    box.open(page, "/admin/queue-rules", "queue-rules")
    form = page.locator('section[data-queue="support"] form')
    form.locator("textarea").fill('{"max_len": 5, "exit_key": "0", "exit_target": "voicemail:x",'
                                  ' "nonsense": 1}')
    form.locator("button").click()
    expect(page.locator("#form-error")).to_contain_text("nonsense")
    form = page.locator('section[data-queue="support"] form')
    form.locator("textarea").fill('{"max_len": 5, "announce_every_s": 60}')
    form.locator("button").click()
    expect(page).to_have_url(f"{box.url}/admin/queue-rules")
    rules = box.web.api.queue_rules(ADMIN, "support")
    assert (rules["max_len"], rules["announce_every_s"]) == (5, 60)
    page.context.close()


def test_ivr_editor_checks_then_saves(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/ivr", "ivr")
    page.fill("#ivr-name", "main2")
    page.fill("#ivr-tree", '{"start": "main", "nodes": {"main": {"type": "menu", '
                           '"prompt": {"text": "press 1"}, "options": {"1": "queue:support"}},'
                           ' "x": {"type": "teleport"}}}')
    page.click("#ivr-check")
    expect(page.locator("#form-error")).to_contain_text("teleport")
    expect(page.locator("#ivr-tree")).to_contain_text("teleport")     # the text is kept
    page.fill("#ivr-tree", '{"start": "main", "nodes": {"main": {"type": "menu", '
                           '"prompt": {"text": "press 1"}, "options": {"1": "queue:support"}}}}')
    page.click("#ivr-check")
    expect(page.locator("#check-ok")).to_contain_text("valid")
    assert all(t["name"] != "main2" for t in box.web.api.ivr_trees(ADMIN))   # not saved yet
    page.click("#ivr-save")
    expect(page.locator('section[data-tree="main2"]')).to_contain_text("queue:support")
    assert box.web.api.ivr_tree(ADMIN, "main2")["tree"]["start"] == "main"
    page.context.close()


def test_voicemail_boxes_trunks_routes_and_security(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(1920)
    box.open(page, "/admin/voicemail", "voicemail")
    page.fill("#b-name", "sales")
    page.click("#save-box")
    expect(page.locator('#boxes tr[data-box="sales"]')).to_contain_text("120 s")

    box.open(page, "/admin/telephony", "telephony")
    page.fill("#t-name", "acme")
    page.fill("#t-host", "198.51.100.7")
    page.fill("#t-sources", "198.51.100.0/24")
    page.click("#save-trunk")
    expect(page.locator('#trunks tr[data-trunk="acme"]')).to_contain_text("198.51.100.7:5060")
    page.fill("#o-name", "mobile")
    page.fill("#o-prefix", "1")
    page.fill("#o-groups", "acme, nosuch")
    page.click("#save-out-route")
    expect(page.locator("#form-error")).to_contain_text("route.groups[1]")
    page.fill("#o-name", "mobile")
    page.fill("#o-prefix", "1")
    page.fill("#o-groups", "acme")
    page.click("#save-out-route")
    expect(page.locator('#out-routes tr[data-route="mobile"]')).to_contain_text("acme")
    page.locator('#trunks tr[data-trunk="acme"] button').click()
    expect(page.locator("#form-error")).to_contain_text("still in outbound route")
    page.locator('#out-routes tr[data-route="mobile"] button').click()
    page.locator('#trunks tr[data-trunk="acme"] button').click()
    expect(page.locator('#trunks tr[data-trunk="acme"]')).to_have_count(0)

    box.web.bus.publish("security.banned", ip="203.0.113.9", reason="scanner")
    box.web.flush_events()
    box.open(page, "/admin/security", "security")
    expect(page.locator("#security-log")).to_contain_text("203.0.113.9")
    expect(page.locator("#no-edge")).to_contain_text("not running")
    page.context.close()


def test_system_page_backup_restore_check_selftest_logs(box: AdminBox) -> None:
    from playwright.sync_api import expect
    var = Path(box.web.desk.cfg.var_dir)
    (var / "log").mkdir(parents=True, exist_ok=True)
    (var / "log" / "callbox.log").write_text("first line\nevent call.started call=abc\n")
    page = box.page(390)
    box.open(page, "/admin/system", "system")
    expect(page.locator("#web-listen")).to_contain_text("127.0.0.1:8080")
    expect(page.locator("#log-lines")).to_contain_text("event call.started call=abc")
    # firmware: this build has firmware/update.py; a bundle that is not one is refused
    # with the reason (no rauc here: the installer cannot run; with rauc: the signature)
    bogus = box.shots.parent / "bogus.raucb"
    bogus.write_bytes(b"not a bundle" * 100)
    page.set_input_files("#firmware-file", str(bogus))
    page.click("#install-firmware")
    expect(page.locator("#firmware-error")).to_contain_text(
        "installer cannot run" if shutil.which("rauc") is None else "refusing")
    # changing the addresses needs the daemon's listen-change service (tests/system/ runs
    # it through the real daemon); without it the page offers no form and says why
    expect(page.locator("#listen-form")).to_have_count(0)
    expect(page.locator("#network-change")).to_contain_text("did not hand its listen-change")
    # a backup, downloaded, then uploaded again and checked for a restore
    page.click("#make-backup")
    link = page.locator("#backup-link")
    expect(link).to_contain_text(".cbbak")
    with page.expect_download() as got:
        link.click()
    archive = Path(got.value.path())
    assert archive.read_bytes()[:4] != b"" and archive.stat().st_size > 1000
    saved = box.shots.parent / "uploaded.cbbak"
    saved.write_bytes(archive.read_bytes())
    page.set_input_files("#restore-file", str(saved))
    page.click("#check-restore")
    expect(page.locator("#restore-checked")).to_contain_text("can be restored")
    expect(page.locator("#restore-how")).to_contain_text("callbox restore")
    broken = box.shots.parent / "broken.cbbak"
    broken.write_bytes(b"not a backup at all" * 50)
    page.set_input_files("#restore-file", str(broken))
    page.click("#check-restore")
    expect(page.locator("#form-error")).to_contain_text("cannot be restored")
    # the simulator's self-test, its output shown as it runs
    page.click("#run-selftest")
    state = page.locator("#selftest-state")
    expect(state).to_have_text("passed", timeout=60_000)
    expect(page.locator("#selftest-output")).not_to_be_empty()
    page.context.close()


def test_behind_the_https_front_the_web_address_is_not_offered(box: AdminBox) -> None:
    from types import SimpleNamespace
    from playwright.sync_api import expect
    cfg = box.web.desk.cfg
    front = SimpleNamespace(web=SimpleNamespace(listen="127.0.0.1", port=8080,
                                                trusted_proxy="127.0.0.1"),
                            sip=cfg.sip, hardware=cfg.hardware)
    box.web.api.attach_system(front, None)
    try:
        page = box.page(1920)
        box.open(page, "/admin/system", "system-front")
        expect(page.locator("#trusted-proxy")).to_have_text("127.0.0.1")
        expect(page.locator("#network-change")).to_contain_text("HTTPS front")
        expect(page.locator("#listen-form")).to_have_count(0)
        page.context.close()
    finally:
        box.web.api.attach_system(cfg, None)

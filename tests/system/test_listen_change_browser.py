"""The listen change as an admin does it in headless Chromium, against the real daemon:
apply on the system page, the browser is sent to the new address, logs in there and
presses "Keep these settings"; the page then shows the new addresses and nothing pending.
Screenshots of each step are kept in the test's folder."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.support.net import free_port, wait_for
from tests.system.test_listen_change_box import (audit, options, second_address, start_box,
                                                 web_up)

pytestmark = [needs_chromium, pytest.mark.network, pytest.mark.slow]
__all__ = ["second_address"]
WIDER_THAN_THE_SCREEN = """[...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 12)"""


def test_admin_moves_the_box_and_confirms_from_the_new_address(
        tmp_path: Path, second_address: str) -> None:
    from playwright.sync_api import expect, sync_playwright
    box = start_box(tmp_path)
    web_port = free_port(socket.SOCK_STREAM, None, host=second_address)
    sip_port = free_port(socket.SOCK_DGRAM, None, host=second_address)
    new_url = f"http://{second_address}:{web_port}"
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            # Chromium's resolver rules map IP literals too: let the new address through
            args = [a + f" , EXCLUDE {second_address}" if a.startswith("--host-resolver-rules")
                    else a for a in ARGS]
            browser = p.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
            try:
                page = browser.new_page(viewport={"width": 390, "height": 800})
                page.on("pageerror", lambda e: problems.append(str(e)))

                def fits() -> None:          # at phone width the page never scrolls sideways
                    # measured once the page has loaded: a loaded run measured 2216 px with no
                    # element wide a moment later, most likely before the stylesheet applied
                    # (the log lines' <pre> is then as wide as its longest line)
                    page.wait_for_load_state("load")
                    overflow = page.evaluate(
                        "document.scrollingElement.scrollWidth - window.innerWidth")
                    wide = page.evaluate(WIDER_THAN_THE_SCREEN)
                    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow} px: {wide}"

                def log_in(base: str) -> None:
                    page.fill("#username", "admin")
                    page.fill("#password", box.credentials()["admin"])
                    page.click("#login")

                page.goto(f"{box.web}/login?next=/admin/system")
                log_in(box.web)
                expect(page.locator("#network-change")).to_contain_text("confirmed from the "
                                                                        "new web address")
                # a bad address first: named, nothing changes
                page.fill("input[name=sip_listen]", "192.0.2.77")
                page.click("#change-listen")
                expect(page.locator("#form-error")).to_contain_text(
                    "sip_listen: 192.0.2.77 is not an address of this box")
                page.fill("input[name=web_listen]", second_address)
                page.fill("input[name=web_port]", str(web_port))
                page.fill("input[name=sip_listen]", second_address)
                page.fill("input[name=sip_port]", str(sip_port))
                page.click("#change-listen")
                expect(page.locator("#listen-moved")).to_contain_text(f"{second_address}:{web_port}")
                fits()
                page.screenshot(path=str(tmp_path / "listen-1-moved.png"), full_page=True)
                # system.js takes the browser to the new address; its session cookie stays
                # with the old one, so it logs in there
                page.wait_for_url(f"{new_url}/login**", timeout=30_000)
                log_in(new_url)
                expect(page.locator("#listen-pending")).to_contain_text("waits for its confirmation")
                fits()
                page.screenshot(path=str(tmp_path / "listen-2-confirm.png"), full_page=True)
                page.click("#keep-listen")
                expect(page.locator("#listen-pending")).to_have_count(0)
                expect(page.locator("#web-listen")).to_have_text(f"{second_address}:{web_port}")
                expect(page.locator("#sip-listen")).to_contain_text(f"{second_address}:{sip_port}")
                page.screenshot(path=str(tmp_path / "listen-3-kept.png"), full_page=True)
            finally:
                browser.close()
        wait_for(lambda: not web_up("127.0.0.1", box.web_port), 30, "the old web server closed")
        assert options(second_address, sip_port) == "SIP/2.0 200 Keepalive"
        assert audit(box) == [("system.listen_change", "admin"),
                              ("system.listen_confirm", "admin")]
        assert problems == []
    finally:
        box.stop()

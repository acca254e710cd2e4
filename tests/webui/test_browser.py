"""Headless Chromium (Debian's, driven by Playwright) logs in and reads the Calls page.

The browser is launched with the flags of
docs/reference/test-peers.md#chromium-driven-by-playwright; ``--host-resolver-rules``
keeps it from resolving any name but the loopback (without it Chromium looks up
Google hosts even with background networking off). The test checks that the browser,
its Node driver and every thread are gone afterwards.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.store.support import T0, call
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.webui.support import PASSWORD, start_web, stop_web

pytestmark = needs_chromium


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


def test_chromium_logs_in_and_sees_the_seeded_call(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    web = start_web(tmp_path)
    before = descendants(os.getpid())
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 700})
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))

                page.goto(f"{web.server.url}/calls")
                expect(page).to_have_url(f"{web.server.url}/login")
                page.fill("#username", "admin")
                page.fill("#password", PASSWORD)
                page.click("#login")
                expect(page).to_have_url(f"{web.server.url}/admin")
                page.goto(f"{web.server.url}/calls")

                rows = page.locator("#calls-body tr[data-call]")
                expect(rows).to_have_count(3)
                first = page.locator(f'tr[data-call="{web.calls[0].id}"]')
                expect(first).to_contain_text("Ann Caller 5551234")
                expect(first).to_contain_text("support")
                expect(first).to_contain_text("answered")
                # the hostile caller name is shown as text, not run
                expect(page.locator(f'tr[data-call="{web.calls[1].id}"]')).to_contain_text(
                    "Bob <script>alert(1)</script>")

                # a call that ends now appears after Refresh, without leaving the page
                assert web.daemon.store is not None
                new = call(T0 + 3600, caller_name="Dora Newcall", caller_number="5559999")
                web.daemon.run(web.daemon.store.cdr.insert(new))
                page.click("#refresh")
                expect(page.locator(f'tr[data-call="{new.id}"]')).to_contain_text("Dora Newcall")
                expect(rows).to_have_count(4)
                expect(page.locator("#count")).to_have_text("4 calls")
                expect(page).to_have_url(f"{web.server.url}/calls")
                page.screenshot(path=str(tmp_path / "calls.png"))

                page.click("#logout")
                expect(page).to_have_url(f"{web.server.url}/login")
                page.goto(f"{web.server.url}/calls")
                expect(page).to_have_url(f"{web.server.url}/login")
            finally:
                browser.close()
    finally:
        stop_web(web)
    assert problems == []                    # no CSP violation, no script error
    deadline = time.monotonic() + 10
    while descendants(os.getpid()) - before and time.monotonic() < deadline:
        time.sleep(0.1)                      # waiting for processes to exit, not for a timer
    assert descendants(os.getpid()) - before == set(), "browser or driver processes left"

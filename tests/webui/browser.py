"""What every browser test of the web UI does the same way: launch Debian's Chromium
(headless, the flags of ``tests.support.browser``), open a page that records script
errors and CSP violations, log in through the login form, check a page fits its width.

``BrowserBox`` is one web UI (``tests.webui.support.start_web``) with one browser for a
test module; ``browser_box`` builds and tears it down. The desk tests, which run their
own daemon, use the functions.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from tests.support.browser import ARGS, CHROMIUM
from tests.webui.support import PASSWORD, Web, start_web, stop_web

B = TypeVar("B", bound="BrowserBox")


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, closed (with its driver) on the way out."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, problems: list[str], width: int, height: int) -> Any:
    """A page in a fresh context whose console errors and script errors go to ``problems``."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page


def submit_login(page: Any, user: str, password: str = PASSWORD) -> None:
    """Fill the login form the page shows and send it."""
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login")


def log_in(page: Any, url: str, user: str, home: str, password: str = PASSWORD) -> None:
    """Log in from ``/login`` and land on ``home``."""
    from playwright.sync_api import expect
    page.goto(f"{url}/login")
    submit_login(page, user, password)
    expect(page).to_have_url(f"{url}{home}")


def fits(page: Any) -> None:
    """The page itself never scrolls sideways (wide tables scroll in their own box), once
    it has loaded: before its stylesheet applies, a <pre> is as wide as its longest line."""
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    width = page.viewport_size["width"]
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow} px at {width} px"


class BrowserBox:
    def __init__(self, web: Web, browser: Any, shots: Path) -> None:
        self.web = web
        self.browser = browser
        self.shots = shots
        self.problems: list[str] = []

    @property
    def url(self) -> str:
        return self.web.server.url

    def new_page(self, width: int = 1200, height: int = 800) -> Any:
        return new_page(self.browser, self.problems, width, height)

    def log_in(self, page: Any, user: str, home: str) -> None:
        log_in(page, self.url, user, home)

    def open(self, page: Any, path: str, shot: str) -> None:
        """Go to ``path``: it has the navigation, fits, and is saved as a screenshot."""
        page.goto(f"{self.url}{path}")
        assert page.locator("#nav").count() == 1
        fits(page)
        self.shot(page, f"{shot}-{page.viewport_size['width']}")

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@contextmanager
def browser_box(tmp: Path, cls: type[B], setup: Callable[[Web], None] = lambda _w: None
                ) -> Iterator[B]:
    """A web UI in ``tmp`` (prepared by ``setup``) and a browser, as ``cls``."""
    web = start_web(tmp)
    try:
        setup(web)
        shots = tmp / "screenshots"
        shots.mkdir()
        with chromium() as browser:
            yield cls(web, browser, shots)
    finally:
        stop_web(web)

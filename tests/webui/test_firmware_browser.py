"""The firmware update on the system page in headless Chromium: a real signed 40 MiB
RAUC bundle chosen in the file input is uploaded with a progress bar, then the page
follows the install job live (each check passing, RAUC's progress lines: the stand-in
``tests/support/fake_rauc.py`` holds at "Checking slot rootfs.1" until the test lets it
go, so the page is seen mid-install without racing it), ends with "installed into slot
rootfs.1" and a reboot button; a tampered bundle shows the check that refused it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.browser import needs_chromium
from tests.webui.browser import BrowserBox, browser_box
from tests.image.conftest import make_keys
from tests.webui.firmware_support import BIG, Box, bundle, incoming, needs_rauc, tampered

pytestmark = [needs_chromium,
              pytest.mark.skipif(not needs_rauc, reason="rauc and mksquashfs are needed")]


class FirmwareBox(BrowserBox):
    rauc: Box
    bundles: dict[str, Path]


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's browser and web UI live on
    yield


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirmwareBox]:
    tmp = tmp_path_factory.mktemp("fwbrowser")
    k = make_keys(tmp)
    rauc = Box(tmp / "rauc", k["dev"], hold=True)
    rauc.folder.mkdir()
    big = bundle(tmp / "big", k["dev"], size=BIG)
    with browser_box(tmp / "box", FirmwareBox, rauc.attach) as b:
        b.rauc = rauc
        b.bundles = {"big": big, "tampered": tampered(big, -200)}
        yield b
        b.web.api._update_jobs().join(30)
    # no script error, no CSP violation
    assert b.problems == [], b.problems


def test_upload_shows_progress_checks_install_and_reboot(box: FirmwareBox) -> None:
    from playwright.sync_api import expect
    page: Any = box.new_page(1200, 900)
    box.log_in(page, "admin", "/admin")
    box.open(page, "/admin/system", "firmware-before")
    expect(page.locator("#firmware-limits")).to_contain_text("Bundles up to 2048 MiB")
    page.set_input_files("#firmware-file", str(box.bundles["big"]))
    page.click("#install-firmware")
    # the upload reached 100 %, the checks passed one by one, RAUC holds at the slot
    expect(page.locator("#firmware-upload-progress")).to_have_js_property("value", 100)
    expect(page.locator("#firmware-upload-text")).to_contain_text("uploaded 40")
    expect(page.locator("#firmware-activity")).to_have_text("80% Checking slot rootfs.1",
                                                             timeout=60_000)
    expect(page.locator("#firmware-state")).to_have_text("installing")
    for check in ("signature", "compatible", "version"):
        expect(page.locator(f'#firmware-checks li[data-check="{check}"]')).to_have_attribute(
            "data-state", "passed")
    expect(page.locator("#install-firmware")).to_be_disabled()
    box.shot(page, "firmware-installing")
    box.rauc.gate.touch()
    result = page.locator("#firmware-result")
    expect(result).to_contain_text("Installed version 0.1.0.3000 into slot rootfs.1; reboot "
                                   "to use it", timeout=60_000)
    expect(page.locator("#firmware-install-progress")).to_have_js_property("value", 100)
    box.shot(page, "firmware-installed")
    assert incoming(box.web) == []
    page.click("#reboot")
    expect(page.locator("#rebooting")).to_contain_text("rebooting into the slot")
    assert len(box.rauc.reboots) == 1
    page.context.close()


def test_a_tampered_bundle_shows_the_check_that_refused_it(box: FirmwareBox) -> None:
    from playwright.sync_api import expect
    page: Any = box.new_page(390, 900)
    box.log_in(page, "admin", "/admin")
    box.open(page, "/admin/system", "firmware-phone")
    page.set_input_files("#firmware-file", str(box.bundles["tampered"]))
    page.click("#install-firmware")
    error = page.locator("#firmware-error")
    expect(error).to_contain_text("Not installed (signature): refusing", timeout=60_000)
    expect(error).to_contain_text("The uploaded file was removed")
    expect(page.locator('#firmware-checks li[data-check="signature"]')).to_have_attribute(
        "data-state", "failed")
    expect(page.locator("#firmware-result")).to_be_hidden()
    box.shot(page, "firmware-refused")
    assert incoming(box.web) == []
    page.context.close()

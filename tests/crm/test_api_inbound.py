"""The inbound configuration API as the admin pages call it: typed 400s naming the field,
403 for other roles, 409 for what is in use, changes that route the next call at once."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from firmware.errors import ApiError
from firmware.store import Queue
from tests.crm.support import Box, box

TREE = {"start": "m", "language": "zh", "nodes": {
    "m": {"type": "menu", "prompt": {"text": {"zh": "请按1", "en": "press 1"}},
          "options": {"1": "queue:support", "9": "node:bye"}},
    "bye": {"type": "play", "prompt": "prompt:bye", "next": "hangup"}}}


@pytest.fixture(scope="module")
def b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    with box(tmp_path_factory.mktemp("inbound-api")) as b:
        b.run(b.store.config.put_queue(Queue("support")))
        yield b


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's daemon loop lives across tests
    yield


def refused(fn, *args, **kw) -> ApiError:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiError) as err:
        fn(*args, **kw)
    return err.value


def test_routes_and_lists_change_where_the_next_call_goes(b: Box) -> None:
    api, admin = b.api, b.admin
    assert api.route_check(admin, "800")["routes"] is False
    api.put_route(admin, "8*", "queue:support", note="everything in 8")
    check = api.route_check(admin, "800", trunk="fxo/1", caller="013900000001")
    assert (check["routes"], check["target"], check["route"]["did"]) == (True, "queue:support",
                                                                         "8*")
    entry = api.put_list_entry(admin, "block", "013900000001", note="spam")
    assert entry["number"] == "+8613900000001"                # normalised to E.164
    check = api.route_check(admin, "800", caller="13900000001")
    assert (check["blocked"], check["target"]) == (True, "hangup")
    api.delete_list_entry(admin, entry["id"])
    assert api.route_check(admin, "800", caller="13900000001")["blocked"] is False
    err = refused(api.put_route, admin, "900", "queue:nosuch")
    assert (err.status, err.field) == (400, "route.target")
    err = refused(api.put_route, b.principal("agent"), "900", "queue:support")
    assert err.status == 403


def test_ivr_trees_are_checked_stored_and_protected(b: Box) -> None:
    api, admin = b.api, b.admin
    err = refused(api.put_ivr_tree, admin, "cn", TREE)             # prompt:bye is missing
    assert (err.status, err.field) == (400, "ivr.nodes.bye.prompt")
    api.put_prompt(admin, "bye", texts={"zh": "再见", "en": "bye"})
    assert api.check_ivr_tree(admin, "cn", TREE)["tree"]["language"] == "zh"
    stored = api.put_ivr_tree(admin, "cn", TREE)
    assert api.ivr_tree(admin, "cn") == stored
    api.put_route(admin, "901", "ivr:cn")
    err = refused(api.delete_ivr_tree, admin, "cn")
    assert err.status == 409 and "route 901" in str(err)
    err = refused(api.delete_prompt, admin, "bye")
    assert err.status == 409 and "ivr cn" in str(err)
    schema = api.ivr_schema(admin)
    assert set(schema["node_types"]) == {"menu", "input", "lookup", "play", "set", "branch",
                                         "hours"}
    assert schema["node_types"]["input"]["terminator"] == {"kind": "key", "required": False}
    audio = Path(api.prompt_audio(admin, "prompt:bye", "zh"))
    assert audio.is_file() and audio.suffix == ".wav"


def test_queue_rules_change_field_by_field(b: Box) -> None:
    api, admin = b.api, b.admin
    api.put_voicemail_box(admin, "general", language="zh")
    r = api.put_queue_rules(admin, "support", exit_key="0", exit_target="voicemail:general")
    r = api.put_queue_rules(admin, "support", announce_every_s=60)
    assert (r["exit_key"], r["exit_target"], r["announce_every_s"]) == ("0",
                                                                        "voicemail:general", 60)
    err = refused(api.put_queue_rules, admin, "support", colour="red")
    assert (err.status, err.field) == (400, "colour")
    err = refused(api.put_queue_rules, admin, "support", join_empty=["nobody"])
    assert (err.status, err.field) == (400, "queue.join_empty")
    err = refused(api.queue_rules, admin, "nosuch")
    assert err.status == 404


def test_schedules_say_open_or_closed_and_why(b: Box) -> None:
    api, admin = b.api, b.admin
    s = api.put_schedule(admin, "office", "Asia/Shanghai",
                         weekly={"mon": [["09:00", "18:00"]]},
                         days={"2026-11-02": {"closed": True, "note": "staff day"}})
    assert s["weekly"] == {"mon": [["09:00", "18:00"]]}
    monday_10 = 1_793_584_800.0                     # 2026-11-02 10:00 in Shanghai
    state = api.schedule_state(admin, "office", at=monday_10)
    assert (state["open"], state["why"], state["note"]) == (False, "holiday", "staff day")
    assert api.schedule_state(admin, "office", at=monday_10 + 7 * 86400)["open"] is True
    err = refused(api.put_schedule, admin, "office", "Asia/Shanghai",
                  weekly={"mon": [["09:00", "25:00"]]})
    assert (err.status, err.field) == (400, "schedule.weekly.mon[0]")


def _wav(seconds: float) -> bytes:
    """An 8 kHz mono 16-bit PCM WAV of silence, ``seconds`` long (its length tells
    recordings apart)."""
    import io
    import wave
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return out.getvalue()


def test_a_prompt_has_a_recording_per_language(b: Box) -> None:
    """A caller hears their language's recording, else the one for every language, else
    the text; removing the last thing a prompt can play is refused."""
    api, admin = b.api, b.admin
    api.put_prompt(admin, "hello", texts={"en": "hello", "zh": "你好"})
    zh = api.upload_prompt(admin, "hello", _wav(0.25), "zh")
    assert zh["files"] == {"zh": "uploads/hello.zh.wav"} and zh["texts"]["en"] == "hello"
    assert Path(api.prompt_audio(admin, "prompt:hello", "zh")).name == "hello.zh.wav"
    spoken = Path(api.prompt_audio(admin, "prompt:hello", "en"))
    assert spoken.parent.name == "en"                # the English text, rendered
    api.upload_prompt(admin, "hello", _wav(0.5))     # every language
    assert Path(api.prompt_audio(admin, "prompt:hello", "en")).name == "hello.wav"
    assert Path(api.prompt_audio(admin, "prompt:hello", "zh")).name == "hello.zh.wav"
    # a change of the texts keeps the recordings; an unknown language is named
    kept = api.put_prompt(admin, "hello", texts={"en": "hi"}, file="uploads/hello.wav")
    assert kept["files"] == {"zh": "uploads/hello.zh.wav"}
    err = refused(api.upload_prompt, admin, "hello", _wav(0.1), "fr")
    assert (err.status, err.field) == (400, "language")
    # recordings only: a language without one gets the default language's
    api.upload_prompt(admin, "only", _wav(0.3), "en")
    assert Path(api.prompt_audio(admin, "prompt:only", "zh")).name == "only.en.wav"
    err = refused(api.delete_prompt_recording, admin, "only", "en")
    assert err.status == 400 and err.field == "prompt"
    err = refused(api.delete_prompt_recording, admin, "only", "zh")
    assert err.status == 404
    out = api.delete_prompt_recording(admin, "hello", "zh")
    assert out["files"] == {}
    assert Path(api.prompt_audio(admin, "prompt:hello", "zh")).name == "hello.wav"

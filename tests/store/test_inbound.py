"""Inbound configuration in the store: schema 1's DIDs carried into routes, every bad
value refused with the field named, references checked on write and on delete."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from firmware.store import InUse, IvrMenu, NotFound, Queue, Seat, ValidationError
from firmware.store.db import MIGRATIONS_DIR
from firmware.store.inbound import ListEntry, Prompt, QueueRules, Route
from firmware.store.ivrtree import IvrTree
from firmware.store.schedules import Schedule
from firmware.store.voicemail import VoicemailBox
from tests.store.support import opened

HA1 = "0" * 32


async def test_dids_of_schema_1_become_routes_with_nothing_lost(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    for mig in sorted(MIGRATIONS_DIR.glob("*.sql"))[:4]:     # a box at schema 4
        shutil.copy(mig, old)
    async with opened(tmp_path, migrations_dir=old) as store:
        async with store.db.transaction("schema 4 trunk") as conn:    # schema 4's columns
            await conn.execute("INSERT INTO trunks (id, name, kind) VALUES (1, 'demo', 'sip-ip')")
            await conn.execute("INSERT INTO trunk_sources VALUES (1, '127.0.0.0/8')")
        await store.config.put_queue(Queue("support"))
        await store.config.put_seat(Seat("201", HA1))
        await store.config.put_ivr(IvrMenu("main", "ivr.wav", options={"1": "support"}))
        # schema 1's DID rows, as the firmware of then wrote them
        await store.db.executemany(
            "INSERT INTO dids (number, ivr_id, queue_id, seat_id, trunk_id) VALUES (?, ?, ?, ?, ?)",
            [("100", 1, None, None, 1), ("200", None, 1, None, None),
             ("201", None, None, 1, None)], "test")
    async with opened(tmp_path) as store:                     # this firmware migrates it
        routes = await store.inbound.routes()
        trees = await store.inbound.ivr_trees()
        legacy = await store.config.dids()
    assert routes == [Route("100", "ivr:main", "demo"), Route("200", "queue:support"),
                      Route("201", "seat:201")]
    assert [(d.number, d.target_kind, d.target, d.trunk) for d in legacy] == [
        ("100", "ivr", "main", "demo"), ("200", "queue", "support", None),
        ("201", "seat", "201", None)]
    assert trees[0].to_doc()["nodes"]["main"]["options"] == {"1": "queue:support"}


@pytest.mark.parametrize("route, field", [
    (Route("10a", "queue:support"), "route.number"),
    (Route("100", "queue"), "route.target"),
    (Route("100", "queue:Support"), "route.target"),
    (Route("100", "node:main"), "route.target"),               # node: only inside a tree
    (Route("100", "callback"), "route.target"),
    (Route("100", "number:12ab"), "route.target"),
    (Route("100", "queue:nosuch"), "route.target"),            # checked inside the write
    (Route("100", "queue:support", trunk="E1/1"), "route.trunk"),
    (Route("100", "queue:support", trunk="other"), "route.trunk"),
    (Route("100", "queue:support", schedule="office"), "route.closed_target"),
    (Route("100", "queue:support", closed_target="hangup"), "route.schedule"),
    (Route("100", "queue:support", schedule="nosuch", closed_target="hangup"), "route.schedule"),
])
async def test_a_bad_route_names_its_field_and_changes_nothing(tmp_path: Path, route: Route,
                                                               field: str) -> None:
    async with opened(tmp_path) as store:
        await store.config.put_queue(Queue("support"))
        await store.inbound.put_route(Route("100", "queue:support", note="kept"))
        with pytest.raises(ValidationError) as err:
            await store.inbound.put_route(route)
        assert err.value.field == field
        assert await store.inbound.routes() == [Route("100", "queue:support", note="kept")]


@pytest.mark.parametrize("doc, field", [
    ({"weekly": {"monday": []}}, "schedule.weekly.monday"),
    ({"weekly": {"mon": [["9:00", "18:00"]]}}, "schedule.weekly.mon[0]"),
    ({"weekly": {"mon": [["09:00", "09:00"]]}}, "schedule.weekly.mon[0]"),
    ({"weekly": {"mon": [["24:00", "09:00"]]}}, "schedule.weekly.mon[0]"),
    ({"days": {"2026-02-30": {"closed": True}}}, "schedule.days.2026-02-30"),
    ({"days": {"2026-10-01": {}}}, "schedule.days.2026-10-01"),
    ({"days": {"2026-10-01": {"closed": True, "hours": []}}}, "schedule.days.2026-10-01"),
    ({"days": {"2026-10-01": {"hours": [], "target": "hangup"}}},
     "schedule.days.2026-10-01.target"),
    ({"days": {"2026-10-01": {"closed": True, "target": "message:nosuch"}}},
     "schedule.days.2026-10-01.target"),
    ({"hours": {}}, "schedule.hours"),
])
async def test_a_bad_schedule_names_its_field(tmp_path: Path, doc: dict, field: str) -> None:
    async with opened(tmp_path) as store:
        with pytest.raises(ValidationError) as err:
            await store.inbound.put_schedule(Schedule.from_doc("office", "UTC", doc))
        assert err.value.field == field
        assert await store.inbound.schedules() == []
    with pytest.raises(ValidationError) as err:
        Schedule.from_doc("office", "Mars/Olympus", {})
    assert err.value.field == "schedule.timezone"


def test_an_interval_past_midnight_belongs_to_the_day_it_starts() -> None:
    s = Schedule.from_doc("night", "UTC", {"weekly": {"mon": [["22:00", "06:00"]]},
                                          "days": {"2026-01-06": {"closed": True}}})
    monday = 1_767_571_200.0                                   # 2026-01-05 00:00 UTC
    assert not s.state_at(monday + 21.9 * 3600).open
    assert s.state_at(monday + 22 * 3600).open
    assert s.state_at(monday + 29.9 * 3600).open               # Tuesday 05:54
    assert not s.state_at(monday + 30 * 3600).open             # Tuesday 06:00
    # the tail of Monday's night stays open although Tuesday is a holiday
    assert s.state_at(monday + 25 * 3600).why == "hours"


@pytest.mark.parametrize("doc, field", [
    ({"nodes": {"m": {"type": "menu", "prompt": {"text": "x"}, "options": {"1": "hangup"}}}},
     "ivr.start"),
    ({"start": "m", "nodes": {"m": {"type": "menu", "prompt": {"text": "x"},
                                    "options": {"12": "hangup"}}}}, "ivr.nodes.m.options.12"),
    ({"start": "m", "nodes": {"m": {"type": "menu", "prompt": {"text": "x"},
                                    "options": {"1": "node:gone"}}}}, "ivr.nodes.m.options.1"),
    ({"start": "m", "nodes": {"m": {"type": "dance", "next": "hangup"}}}, "ivr.nodes.m.type"),
    ({"start": "m", "nodes": {"m": {"type": "play", "prompt": {"wav": "x"},
                                    "next": "hangup"}}}, "ivr.nodes.m.prompt"),
    ({"start": "m", "nodes": {"m": {"type": "play", "prompt": {"text": {"fr": "salut"}},
                                    "next": "hangup"}}}, "ivr.nodes.m.prompt.text.fr"),
    ({"start": "m", "nodes": {"m": {"type": "play", "prompt": {"file": "../etc/x.wav"},
                                    "next": "hangup"}}}, "ivr.nodes.m.prompt.file"),
    ({"start": "m", "nodes": {"m": {"type": "input", "prompt": "prompt:x", "var": "Ticket",
                                    "next": "hangup"}}}, "ivr.nodes.m.var"),
    ({"start": "m", "nodes": {"m": {"type": "input", "prompt": "prompt:x", "var": "t",
                                    "min_digits": 5, "max_digits": 2, "next": "hangup"}}},
     "ivr.nodes.m.min_digits"),
    ({"start": "m", "nodes": {"m": {"type": "lookup", "lookup": "order", "var": "t",
                                    "found": "hangup", "not_found": "hangup"}}},
     "ivr.nodes.m.lookup"),
    ({"start": "m", "nodes": {"m": {"type": "set", "next": "hangup"}}}, "ivr.nodes.m"),
    ({"start": "m", "nodes": {"m": {"type": "play", "prompt": "prompt:x", "next": "hangup",
                                    "colour": "red"}}}, "ivr.nodes.m.colour"),
    ({"start": "m", "nodes": {"m": {"type": "play", "prompt": "prompt:nosuch",
                                    "next": "hangup"}}}, "ivr.nodes.m.prompt"),   # on write
    ({"start": "m", "nodes": {"m": {"type": "play", "prompt": "prompt:x",
                                    "next": "queue:nosuch"}}}, "ivr.nodes.m.next"),
    ({"start": "m", "nodes": {"m": {"type": "hours", "schedule": "nosuch", "open": "hangup",
                                    "closed": "hangup"}}}, "ivr.nodes.m.schedule"),
])
async def test_a_bad_ivr_tree_names_its_field(tmp_path: Path, doc: dict, field: str) -> None:
    async with opened(tmp_path) as store:
        await store.inbound.put_prompt(Prompt("x", texts={"en": "hello"}))
        with pytest.raises(ValidationError) as err:
            await store.inbound.put_ivr_tree(IvrTree.from_doc("t", doc))
        assert err.value.field == field
        assert await store.inbound.ivr_trees() == []


@pytest.mark.parametrize("rules, field", [
    (QueueRules("support", join_empty=("nobody",)), "queue.join_empty"),
    (QueueRules("support", exit_key="5"), "queue.exit_target"),
    (QueueRules("support", exit_key="55", exit_target="hangup"), "queue.exit_key"),
    (QueueRules("support", exit_target="callback"), "queue.exit_key"),
    (QueueRules("support", overflow="callback"), "queue.overflow"),
    (QueueRules("support", overflow="voicemail:nosuch"), "queue.overflow"),
    (QueueRules("support", periodic_prompt="x"), "queue.periodic_every_s"),
    (QueueRules("support", announce_every_s=4), "queue.announce_every_s"),
    (QueueRules("support", survey="nosuch"), "queue.survey"),
    (QueueRules("support", language="fr"), "queue.language"),
    (QueueRules("nosuch"), "queue.name"),
])
async def test_bad_queue_rules_name_their_field(tmp_path: Path, rules: QueueRules,
                                                field: str) -> None:
    async with opened(tmp_path) as store:
        await store.config.put_queue(Queue("support"))
        with pytest.raises(ValidationError) as err:
            await store.inbound.put_queue_rules(rules)
        assert err.value.field == field
        assert await store.inbound.queue_rules("support") == QueueRules("support")


async def test_lists_refuse_what_would_block_everyone_and_bad_targets(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        for entry, field in ((ListEntry("block", "*"), "list.number"),
                             (ListEntry("ban", "123"), "list.kind"),
                             (ListEntry("block", "123", priority=5), "list.priority"),
                             (ListEntry("vip", "123", target="voicemail:x"), "list.target"),
                             (ListEntry("block", "123", expires_at=5.0), "list.expires_at")):
            with pytest.raises(ValidationError) as err:
                await store.inbound.put_list_entry(entry)
            assert err.value.field == field
        e = await store.inbound.put_list_entry(ListEntry("block", "+8613900000001"))
        again = await store.inbound.put_list_entry(ListEntry("block", "+8613900000001",
                                                             note="still spam"))
        assert again.id == e.id and e.target == "hangup"
        assert [x.note for x in await store.inbound.list_entries("block")] == ["still spam"]


async def test_nothing_named_can_be_deleted_and_the_error_says_who_names_it(
        tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await store.config.put_queue(Queue("support"))
        await store.config.put_seat(Seat("201", HA1))
        await store.inbound.put_prompt(Prompt("closed", texts={"en": "closed"}))
        await store.voicemail.put_box(VoicemailBox("general", greeting="closed"))
        await store.inbound.put_schedule(Schedule.from_doc("office", "UTC", {}))
        await store.inbound.put_ivr_tree(IvrTree.from_doc("menu", {"start": "m", "nodes": {
            "m": {"type": "menu", "prompt": "prompt:closed",
                  "options": {"1": "queue:support", "2": "seat:201"}}}}))
        await store.inbound.put_route(Route("100", "ivr:menu", schedule="office",
                                            closed_target="voicemail:general"))
        for kind, key, owner in (("queue", "support", "ivr menu"), ("seat", "201", "ivr menu"),
                                 ("ivr", "menu", "route 100")):
            with pytest.raises(InUse) as err:
                await store.config.delete(kind, key)
            assert owner in str(err.value)
        for delete, owner in ((store.inbound.delete_prompt("closed"), "voicemail box general"),
                              (store.inbound.delete_schedule("office"), "route 100")):
            with pytest.raises(InUse) as err:
                await delete
            assert owner in str(err.value)
        with pytest.raises(InUse):
            await store.voicemail.delete_box("general")
        await store.inbound.delete_route("100")
        await store.config.delete("ivr", "menu")
        await store.config.delete("queue", "support")
        await store.inbound.delete_schedule("office")
        with pytest.raises(NotFound):
            await store.inbound.delete_route("100")
        assert await store.inbound.routes() == []
    db = sqlite3.connect(tmp_path / "var" / "callbox.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()

"""Number masking as a matrix: every read path of the API x every built-in role.

A full caller number seeded into every kind of record (customer phones, CDRs
in and out, queue events, recordings, survey answers, tickets, costs, audit)
must never appear in what a role without ``numbers.unmasked`` gets back, as a
JSON result or as the bytes of a file the API wrote (exports, privacy ZIP).
Roles with the permission must see it where the path shows numbers at all, so
the test cannot pass by reading nothing.

The matrix is built from ``ENDPOINTS`` (every ``@endpoint`` method): a method
with no recipe below and not listed as a number-free write fails the test, and
so does a public ``Api`` method that is not an endpoint and not listed as one
of the older, pre-CRM methods.
"""
from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from firmware.api import Api
from firmware.crm.facade import ENDPOINTS
from firmware.crm.permissions import BUILTIN_ROLES
from firmware.errors import ApiError
from firmware.store import Queue, QueueEvent
from firmware.store.voicemail import Callback, VoicemailBox
from tests.crm.support import Box, box
from tests.store.support import T0, call

FULL = "3812345678"                    # the digits a mask must hide part of
CALLER = "013812345678"
E164 = "+8613812345678"

#: Write endpoints whose results carry no phone number (or nothing at all).
NUMBER_FREE_WRITES = {
    # the system page: paths, versions, the box's own addresses, a self-test's output
    "set_listen", "confirm_listen", "revert_listen", "restore_now",
    "selftest_start", "firmware_update", "upload_dir",
    "put_user", "delete_user", "put_role", "delete_role", "put_team", "delete_team",
    "create_api_token", "revoke_api_token", "set_crm_settings", "delete_customer",
    "put_custom_field", "delete_custom_field", "put_view", "delete_view", "add_note",
    "ticket_transition", "comment_ticket", "put_ticket_type", "put_sla", "put_announcement",
    "delete_announcement", "put_survey", "delete_survey", "delete_recording", "start_import", "put_rate_table",
    "rerate", "put_retention_rule", "delete_retention_rule", "purge", "privacy_erase", "backup",
    "create_ticket", "change_password", "put_queue", "delete_queue", "put_seat", "delete_seat",
    "put_trunk", "delete_trunk", "put_outbound_route", "delete_outbound_route", "unban",
    "block_line", "unblock_line",                # R2 timeslot states: no numbers in them
    # the agent desk's configuration (firmware/api_desk.py)
    "put_disposition", "put_pause_reason", "put_recording_rule", "delete_recording_rule",
    "put_queue_caller_id", "put_seat_remote_answer", "put_campaign", "delete_campaign", "set_campaign_state",
    "delete_dnc", "delete_rate_table",
    # inbound configuration (routes carry DIDs under "did", the box's own numbers)
    "put_route", "delete_route", "delete_list_entry", "put_schedule", "delete_schedule",
    "put_prompt", "upload_prompt", "delete_prompt", "delete_prompt_recording", "put_queue_rules", "put_ivr_tree", "delete_ivr_tree",
    "put_voicemail_box", "delete_voicemail_box", "delete_voicemail", "voicemail_ticket",
}
#: Desk endpoints that act on live calls: they need the daemon's ``Cti`` (503 here) and are
#: masked with a live call in tests/cti/test_api.py.
DESK_LIVE = {
    "agent_status", "agent_login", "agent_logout", "agent_pause", "agent_available", "wrapup",
    "call_answer", "call_hangup", "call_hold", "call_resume", "call_transfer",
    "call_complete_transfer", "call_cancel_transfer", "call_conference", "call_pickup",
    "call_record", "click_to_call", "live_calls", "agent_states", "supervise_call",
    "leave_call", "force_agent", "desk_state", "call_customer",
}
#: Read endpoints that need the daemon's event bus: masked per role in tests/webui/test_live.py.
LIVE = {"live_board", "offer_pop"}
#: Paths that return the principal's own upload (access-checked, not masked).
OWN_DATA = {"import_rejects", "check_restore"}
#: Api methods from before the CRM (the web UI moves to ``calls``/``call``; issue 19).
PRE_CRM = {"health", "check_health", "list_calls", "get_call", "queue_events", "login", "open_session",
           "session", "close_session", "secret", "publish", "attach_crm", "crm",
           "principal_for_session", "principal_for_api_token",
           # the web UI's (firmware/api_web.py): a session's principal, the composition
           # root's site facts, and event streams (masked per event: tests/webui/test_live.py)
           "web_session", "set_site", "event_stream", "attach_cti",
           "attach_inbound"}
# check_health: health (no numbers in it) awaited on the daemon's own loop by the
# readiness task that tells systemd and marks the boot slot good (firmware/app.py)
#: How the composition root hands the API its live objects (not callable from the web).
WIRING = {"attach_trunks", "attach_lines", "attach_security", "attach_system",
          "attach_listen_change", "attach_restore"}


class World:
    def __init__(self, b: Box, tmp_path: Path) -> None:
        api, admin = b.api, b.admin
        self.tmp = tmp_path
        c = api.create_customer(admin, {"name": "Wang Fang", "phones": [CALLER]})
        self.customer = c["id"]
        self.call_in = str(uuid.uuid4())
        rec_dir = b.store.recordings.root / "2026/11/27"
        rec_dir.mkdir(parents=True)
        (rec_dir / f"{self.call_in}.wav").write_bytes(b"RIFF" + b"\0" * 40)
        self.recording = f"2026/11/27/{self.call_in}.wav"
        b.run(b.store.cdr.insert(call(T0 - 600, id=self.call_in, caller_number=CALLER,
                                      agent="201", recording=self.recording)))
        b.run(b.store.recordings.index(self.recording, self.call_in, 60.0))
        b.run(b.store.queue_log.append(QueueEvent(T0 - 599, self.call_in, "support",
                                                  "ENTERQUEUE", position=1)))
        api.put_rate_table(admin, "demo", "CNY", [{"prefix": "86", "price_per_min": "0.1",
                                                   "increment_s": 60}])
        out = call(T0 - 300, caller_number="201", agent="201")
        b.run(b.store.cdr.insert(out))
        b.run(b.store.db.executemany("UPDATE cdr SET direction = 'out', dialed_number = ?"
                                     " WHERE id = ?", [(E164, out.id)], "test"))
        api.rerate(admin, T0 - 3600, T0)
        api.put_survey(admin, "csat", [{"text": "happy?", "choices": {"1": "yes", "2": "no"}}])
        b.run(api.crm.record_survey_answer("csat", 0, self.call_in, CALLER, "1"))
        self.ticket = api.create_ticket(admin, "complaint", "noisy line",
                                        customer=self.customer)["id"]
        api.add_note(admin, self.customer, "prefers mornings")
        api.privacy_export(admin, CALLER)               # leaves an audit row about the number
        b.run(b.store.config.put_queue(Queue(name="support")))
        api.put_campaign(admin, "matrix", "support")
        listing = tmp_path / "list.csv"
        listing.write_text(f"name,number\nWang,{CALLER}\n", encoding="utf-8")
        api.import_campaign(admin, "matrix", str(listing))
        api.put_dnc(admin, CALLER, "asked us")
        api.put_route(admin, "100", "queue:support")
        b.run(b.store.voicemail.put_box(VoicemailBox("general")))
        b.run(b.store.voicemail.add("general", self.call_in, CALLER, "Wang", self.recording,
                                    12.0))
        self.voicemail = b.run(b.store.voicemail.page(1, 0))[0][0].id
        b.run(b.store.voicemail.put_callback(Callback(self.call_in, "support", CALLER, "demo",
                                                      T0 - 100)))
        api.put_list_entry(admin, "vip", CALLER, priority=5)
        csv_file = tmp_path / "in.csv"
        csv_file.write_text(f"name,phone\nBad Row,{CALLER}x\n", encoding="utf-8")
        self.import_file = csv_file


def _file_text(path: str) -> str:
    data = Path(path).read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                           if not n.endswith(".wav"))
    return data.decode("utf-8", "replace")


Recipe = Callable[[Api, Any, World], Any]
RECIPES: dict[str, tuple[Recipe, bool]] = {
    # name: (how to call it, whether a role that may see numbers sees this one there)
    "permission_catalogue": (lambda a, p, w: a.permission_catalogue(p), False),
    "list_users": (lambda a, p, w: a.list_users(p), False),
    "list_roles": (lambda a, p, w: a.list_roles(p), False),
    "list_teams": (lambda a, p, w: a.list_teams(p), False),
    "list_api_tokens": (lambda a, p, w: a.list_api_tokens(p), False),
    "crm_settings": (lambda a, p, w: a.crm_settings(p), False),
    "list_customers": (lambda a, p, w: a.list_customers(p, phone=CALLER), True),
    "get_customer": (lambda a, p, w: a.get_customer(p, w.customer), True),
    "create_customer": (lambda a, p, w: a.create_customer(p, {"name": "Twin",
                                                              "phones": [CALLER]}), True),
    "update_customer": (lambda a, p, w: a.update_customer(p, w.customer, {"company": "X"}),
                        True),
    "custom_fields": (lambda a, p, w: a.custom_fields(p), False),
    "list_views": (lambda a, p, w: a.list_views(p), False),
    "timeline": (lambda a, p, w: a.timeline(p, w.customer), True),
    "screen_pop": (lambda a, p, w: a.screen_pop(p, CALLER), True),
    "list_tickets": (lambda a, p, w: a.list_tickets(p), False),
    "get_ticket": (lambda a, p, w: a.get_ticket(p, w.ticket), False),
    "ticket_types": (lambda a, p, w: a.ticket_types(p), False),
    "sla_table": (lambda a, p, w: a.sla_table(p), False),
    "desk": (lambda a, p, w: a.desk(p), False),
    "list_surveys": (lambda a, p, w: a.list_surveys(p), False),
    "survey_results": (lambda a, p, w: a.survey_results(p, "csat"), False),
    "calls": (lambda a, p, w: a.calls(p), True),
    "call": (lambda a, p, w: a.call(p, w.call_in), True),
    "recordings": (lambda a, p, w: a.recordings(p), True),
    "recording_file": (lambda a, p, w: a.recording_file(p, w.recording), False),
    "import_preview": (lambda a, p, w: a.import_preview(p, str(w.import_file)), False),
    "import_status": (lambda a, p, w: a.import_status(p, 1), False),
    "rate_tables": (lambda a, p, w: a.rate_tables(p), False),
    "cost_totals": (lambda a, p, w: a.cost_totals(p, "customer", T0 - 3600, T0), False),
    "kpi": (lambda a, p, w: a.kpi(p, "queue", T0 - 3600, T0), False),
    "quality_kpis": (lambda a, p, w: a.quality_kpis(p, "agent", T0 - 3600, T0), False),
    "system_info": (lambda a, p, w: a.system_info(p), False),
    "recent_logs": (lambda a, p, w: a.recent_logs(p, 50), False),
    "selftest_status": (lambda a, p, w: a.selftest_status(p), False),
    "backups": (lambda a, p, w: a.backups(p), False),
    "log_file": (lambda a, p, w: a.log_file(p), False),
    "backup_file": (lambda a, p, w: a.backup_file(p, "none.cbbak"), False),
    "retention_rules": (lambda a, p, w: a.retention_rules(p), False),
    "audit_log": (lambda a, p, w: a.audit_log(p, limit=200), False),
    "verify_audit": (lambda a, p, w: a.verify_audit(p), False),
    "privacy_export": (lambda a, p, w: _file_text(a.privacy_export(p, CALLER)["path"]), True),
    "site": (lambda a, p, w: a.site(p), False),
    "list_queues": (lambda a, p, w: a.list_queues(p), False),
    "list_seats": (lambda a, p, w: a.list_seats(p), False),
    "list_trunks": (lambda a, p, w: a.list_trunks(p), False),
    "list_dids": (lambda a, p, w: a.list_dids(p), False),
    "list_ivr_menus": (lambda a, p, w: a.list_ivr_menus(p), False),
    "find_recordings": (lambda a, p, w: a.find_recordings(p), True),
    "find_recordings:by-number": (lambda a, p, w: a.find_recordings(p, number=CALLER), True),
    "staffing": (lambda a, p, w: a.staffing(p, T0 - 86400, T0), False),
    "dispositions": (lambda a, p, w: a.dispositions(p), False),
    "pause_reasons": (lambda a, p, w: a.pause_reasons(p), False),
    "desk_lists": (lambda a, p, w: a.desk_lists(p), False),
    "recording_rules": (lambda a, p, w: a.recording_rules(p), False),
    "call_recordings": (lambda a, p, w: a.call_recordings(p, w.call_in), False),
    "campaigns": (lambda a, p, w: a.campaigns(p), False),
    "campaign_records": (lambda a, p, w: a.campaign_records(p, "matrix"), True),
    "dnc_list": (lambda a, p, w: a.dnc_list(p), True),
    "put_dnc": (lambda a, p, w: a.put_dnc(p, CALLER, "again"), True),
    "import_campaign": (lambda a, p, w: a.import_campaign(p, "matrix", str(w.tmp / "list.csv")),
                        False),
    "import_campaign_data": (lambda a, p, w: a.import_campaign_data(
        p, "matrix", (w.tmp / "list.csv").read_bytes()), False),
    "import_dnc": (lambda a, p, w: a.import_dnc(p, (w.tmp / "list.csv").read_bytes()), False),
    "csat": (lambda a, p, w: a.csat(p, "csat", by="agent"), False),
    "inbound_routes": (lambda a, p, w: a.inbound_routes(p), False),
    "route_check": (lambda a, p, w: a.route_check(p, "100", caller=CALLER), True),
    "caller_lists": (lambda a, p, w: a.caller_lists(p), True),
    "put_list_entry": (lambda a, p, w: a.put_list_entry(p, "block", CALLER,
                                                         note="spam"), True),
    "schedules": (lambda a, p, w: a.schedules(p), False),
    "schedule_state": (lambda a, p, w: a.schedule_state(p, "none"), False),
    "list_prompts": (lambda a, p, w: a.list_prompts(p), False),
    "prompt_audio": (lambda a, p, w: a.prompt_audio(p, {"file": "none.wav"}), False),
    "queue_rules": (lambda a, p, w: a.queue_rules(p, "support"), False),
    "ivr_trees": (lambda a, p, w: a.ivr_trees(p), False),
    "ivr_tree": (lambda a, p, w: a.ivr_tree(p, "none"), False),
    "check_ivr_tree": (lambda a, p, w: a.check_ivr_tree(p, "t", {"start": "m", "nodes": {
        "m": {"type": "play", "prompt": {"text": "hi"}, "next": "hangup"}}}), False),
    "ivr_schema": (lambda a, p, w: a.ivr_schema(p), False),
    "voicemail_boxes": (lambda a, p, w: a.voicemail_boxes(p), False),
    "voicemails": (lambda a, p, w: a.voicemails(p), True),
    "voicemail_file": (lambda a, p, w: a.voicemail_file(p, w.voicemail), False),
    "callbacks": (lambda a, p, w: a.callbacks(p), True),
    "outbound_routes": (lambda a, p, w: a.outbound_routes(p), False),
    "security_log": (lambda a, p, w: a.security_log(p), False),
    "security_bans": (lambda a, p, w: _with_edge(a).security_bans(p), False),
}
for what, fmt in (("customers", "csv"), ("customers", "xlsx"), ("tickets", "csv"),
                  ("calls", "csv"), ("calls", "xlsx"), ("calls", "master.csv"),
                  ("queue_log", "queue_log"), ("queue_log", "csv")):
    RECIPES[f"export:{what}:{fmt}"] = (
        lambda a, p, w, what=what, fmt=fmt: _file_text(a.export(p, what, fmt)["path"]),
        what != "tickets")


class _NoBans:
    async def bans(self) -> list[dict[str, object]]:
        return []


def _with_edge(api: Api) -> Api:
    """The API as the daemon wires it: with the edge's ban list attached."""
    api.attach_security(_NoBans())
    return api


def test_every_api_method_is_declared() -> None:
    public = {n for n in dir(Api) if not n.startswith("_") and callable(getattr(Api, n, None))
              or isinstance(getattr(Api, n, None), property)}
    undeclared = sorted(public - set(ENDPOINTS) - PRE_CRM - WIRING)
    assert undeclared == [], f"Api methods that are not @endpoint: {undeclared}"
    covered = {k.split(":")[0] for k in RECIPES} | NUMBER_FREE_WRITES | OWN_DATA | LIVE | DESK_LIVE
    missing = sorted(set(ENDPOINTS) - covered)
    assert missing == [], f"endpoints with no masking case: {missing}"
    reads_listed_as_writes = sorted(n for n in NUMBER_FREE_WRITES
                                    if ENDPOINTS[n].kind == "read")
    assert reads_listed_as_writes == [], reads_listed_as_writes


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Box, World]]:
    tmp = tmp_path_factory.mktemp("matrix")
    with box(tmp) as b:
        yield b, World(b, tmp)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's daemon loop lives across tests
    yield


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
@pytest.mark.parametrize("path", sorted(RECIPES))
def test_number_masked_on_every_read_path(world: tuple[Box, World], role: str,
                                          path: str) -> None:
    b, w = world
    p = b.principal(role, seat="201")
    fn, shows_numbers = RECIPES[path]
    try:
        result = fn(b.api, p, w)
    except ApiError as exc:
        assert exc.status in (403, 404), exc    # not allowed (or out of scope) is fine
        return
    text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
    if p.unmasked:
        if shows_numbers:
            assert FULL in text, f"{path} shows no number at all to {role}"
    else:
        assert FULL not in text, f"{path} leaks a full number to {role}"
        if shows_numbers and FULL[-4:] in text:
            assert "****" in text

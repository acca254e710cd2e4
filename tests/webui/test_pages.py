"""Each page's main job over real HTTP, as the role that does it (the browser tests in
``test_browser.py`` do the same through Chromium for the main screens)."""
from __future__ import annotations

import csv
import io
import re
from typing import Iterator

import pytest

from firmware.crm.permissions import Principal
from tests.store.support import T0, call
from tests.webui.support import PASSWORD, Client, Web

ADMIN = Principal.system("test")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's web UI lives across tests
    yield


def login(web: Web, name: str, role: str, seat: str | None = None) -> tuple[Client, str]:
    assert web.daemon.store is not None
    if web.daemon.run(web.daemon.store.users.get(name)) is None:
        web.daemon.run(web.daemon.store.users.put(name, PASSWORD, role, seat))
    c, r = web.login(name)
    assert r.status == 303
    return c, c.get("/account").form_token()


def post(web: Web, c: Client, path: str, csrf: str, **form: str) -> tuple[int, str, str]:
    r = c.post(path, {"csrf": csrf, **form}, headers=web.origin)
    return r.status, r.headers.get("Location") or "", r.text


def test_customers_create_note_search_and_masking(web: Web) -> None:
    c, csrf = login(web, "p-sup", "supervisor")
    status, where, _ = post(web, c, "/customers", csrf, name="Zhang Wei", company="Acme",
                            phones="+8613811112222\n", tags="vip, new")
    assert status == 303 and re.search(r"/customers/\d+$", where)
    cid = where.rsplit("/", 1)[1]
    card = c.get(f"/customers/{cid}").text
    assert "Zhang Wei" in card and "+8613811112222" in card and "new, vip" in card
    assert post(web, c, f"/customers/{cid}/notes", csrf, body="wants a call back")[0] == 303
    assert "wants a call back" in c.get(f"/customers/{cid}").text
    found = c.get("/customers?q=zhang").text
    assert f'data-customer="{cid}"' in found
    status, _, text = post(web, c, "/customers", csrf, name="Bad", phones="not a number")
    assert status == 400 and "phones" in text and 'id="nav"' in text
    leader, _ = login(web, "p-lead", "team_leader")
    masked = leader.get(f"/customers/{cid}").text
    assert "+86138****2222" in masked and "13811112222" not in masked
    edit = leader.get(f"/customers/{cid}?edit=1").text
    assert 'name="phones"' not in edit                # masked numbers are not sent back
    lcsrf = leader.get("/account").form_token()
    assert post(web, leader, f"/customers/{cid}", lcsrf, name="Zhang Wei",
                company="Acme Ltd", tags="vip")[0] == 303
    assert web.api.get_customer(ADMIN, int(cid))["phones"][0]["number"] == "+8613811112222"


def test_tickets_open_assign_start_and_comment(web: Web) -> None:
    c, csrf = login(web, "p-agent", "agent", "203")
    status, where, _ = post(web, c, "/tickets", csrf, subject="Line is noisy",
                            type="complaint", priority="high", description="since Monday")
    assert status == 303
    tid = where.rsplit("/", 1)[1]
    assert post(web, c, f"/tickets/{tid}/transition", csrf, event="assign", to_me="1")[0] == 303
    assert post(web, c, f"/tickets/{tid}/transition", csrf, event="start")[0] == 303
    assert post(web, c, f"/tickets/{tid}/comments", csrf, body="called the carrier")[0] == 303
    page = c.get(f"/tickets/{tid}").text
    assert 'id="state">in_progress<' in page and "called the carrier" in page
    assert "p-agent" in page
    status, _, text = post(web, c, f"/tickets/{tid}/transition", csrf, event="customer_replied")
    assert status == 409 and "customer_replied" in text                 # not from in_progress
    listed = c.get("/tickets?state=in_progress").text
    assert f'data-ticket="{tid}"' in listed


def _recording(web: Web) -> tuple[str, str]:
    store = web.daemon.store
    assert store is not None
    c = call(T0 + 7200, agent="204", queue="support", recording="2026/11/18/play.wav")
    (store.recordings.root / "2026/11/18").mkdir(parents=True, exist_ok=True)
    (store.recordings.root / "2026/11/18/play.wav").write_bytes(
        b"RIFF" + bytes(range(256)) * 4)
    web.daemon.run(store.cdr.insert(c))
    web.daemon.run(store.recordings.index("2026/11/18/play.wav", c.id, 60.0))
    return c.id, "2026/11/18/play.wav"


def test_a_recording_plays_with_ranges_and_each_play_is_audited_once(web: Web) -> None:
    call_id, path = _recording(web)
    c, _ = login(web, "p-sup2", "supervisor")
    page = c.get(f"/recordings?call={call_id}").text
    src = re.search(r'<audio controls preload="none" src="([^"]+)"', page)
    assert src, page
    url = src.group(1).replace("&amp;", "&")
    whole = c.get(url)
    assert whole.status == 200 and whole.headers["Content-Type"] == "audio/wav"
    assert whole.body.startswith(b"RIFF") and len(whole.body) == 1028
    part = c.get(url, headers={"Range": "bytes=100-199"})
    assert part.status == 206 and part.body == whole.body[100:200]
    assert part.headers["Content-Range"] == "bytes 100-199/1028"
    plays = web.api.audit_log(ADMIN, actor="p-sup2", action="recording.play")
    assert plays["total"] == 1 and plays["items"][0]["target"] == path
    down = c.get(url + "&download=1")
    assert down.status == 200 and "attachment" in down.headers["Content-Disposition"]
    assert web.api.audit_log(ADMIN, actor="p-sup2", action="recording.download")["total"] == 1
    agent, _ = login(web, "p-agent2", "agent", "204")
    assert agent.get(url).status == 403                  # agents may not play (built-in role)


def test_reports_chart_export_and_the_calls_behind_a_row(web: Web) -> None:
    c, _ = login(web, "p-sup3", "supervisor")
    since, until = "2026-11-18", "2026-11-19"
    store = web.daemon.store
    assert store is not None
    web.api.put_rate_table(ADMIN, "demo", "CNY", [{"prefix": "86", "price_per_min": "0.1",
                                                   "increment_s": 60}])
    out = call(T0 + 600, caller_number="201", agent="201", queue="support", recording="")
    web.daemon.run(store.cdr.insert(out))
    web.daemon.run(store.db.executemany("UPDATE cdr SET direction = 'out', dialed_number = ?"
                                        " WHERE id = ?", [("+8613800001111", out.id)], "test"))
    web.api.rerate(ADMIN, T0, T0 + 86400)
    page = c.get(f"/reports?by=queue&since={since}&until={until}").text
    assert page.count("<svg") == 2 and "Calls by queue" in page
    costs = re.search(r'<table id="costs">.*?</table>', page, re.S).group(0)
    assert "<td>support</td>" in costs and "CNY" in costs and "0.1000" in costs
    link = re.search(r'<a href="(/calls\?[^"]*queue=support[^"]*)">calls</a>', page)
    assert link, page
    calls = c.get(link.group(1).replace("&amp;", "&")).text
    assert 'data-call="' in calls and ">sales<" not in calls
    r = c.get(f"/reports/export?by=queue&since={since}&until={until}&fmt=csv")
    assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"))))
    assert rows[0] == ["queue", "offered", "answered", "abandoned", "service_level", "asa_s",
                       "aht_s"]
    support = next(x for x in rows if x[0] == "support")
    assert int(support[1]) >= 2
    x = c.get(f"/reports/export?by=day&since={since}&until={until}&fmt=xlsx")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(x.body)).active
    assert [cell.value for cell in ws[1]][0] == "day"
    staffing = c.get("/reports/staffing?target_sl=0.9&target_time=15")
    assert staffing.status == 200 and "Agents needed per half hour" in staffing.text
    assert c.get("/reports/staffing?target_sl=2").status == 400


def test_quality_report_charts_export_and_by_team(web: Web) -> None:
    """The quality KPIs by team: ann (seat 201) is in team north, so the answered calls of
    seat 201 count for north (FCR from the call records); charts, CSV and XLSX."""
    c, _ = login(web, "p-sup4", "supervisor")
    web.api.put_team(ADMIN, "north")
    web.api.put_user(ADMIN, "ann", "agent", seat="201", team="north")
    window = "since=2026-11-18&until=2026-11-19"
    page = c.get(f"/reports/quality?by=team&{window}")
    assert page.status == 200
    assert "Abandon, transfer, FCR and CSAT by team" in page.text
    assert page.text.count("<svg") >= 1 and 'data-key="north"' in page.text
    r = c.get(f"/reports/quality/export?by=team&{window}&fmt=csv")
    assert r.status == 200 and 'filename="quality-team-2026-11-18-2026-11-18.csv"' in \
        r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["team", "offered", "abandoned", "abandon_rate"]
    north = dict(zip(rows[0], next(x for x in rows if x[0] == "north")))
    assert int(north["fcr_calls"]) >= 1
    x = c.get(f"/reports/quality/export?by=queue&{window}&fmt=xlsx")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(x.body)).active
    assert [cell.value for cell in ws[1]][:2] == ["queue", "offered"]
    assert c.get(f"/reports/quality?by=week&{window}").status == 400
    api = c.get(f"/api/reports/quality?by=team&{window}").json()
    assert "north" in [row["team"] for row in api]          # and '': seat 202, no user


def test_admin_creates_a_seat_and_gets_the_softphone_steps(web: Web) -> None:
    web.api.set_site(realm="callbox", sip_host="192.0.2.7", sip_port=5060)
    web.api.put_queue(ADMIN, "support")
    c, csrf = login(web, "p-admin", "admin")
    status, _, page = post(web, c, "/admin/seats", csrf, extension="241",
                           display_name="Reception", queue="support", penalty_support="1")
    assert status == 200
    password = re.search(r'id="seat-password">([^<]+)<', page).group(1)
    assert f"&lt;sip:241@192.0.2.7:5060;transport=udp&gt;;auth_pass={password};" in page
    assert "d sip:100@192.0.2.7:5060" in page and "Linphone" in page
    assert "support (1)" in c.get("/admin/seats").text
    again = c.get("/admin/seats").text
    assert password not in again                          # shown once


def test_admin_users_roles_and_tokens(web: Web) -> None:
    c, csrf = login(web, "p-admin2", "admin")
    assert post(web, c, "/admin/roles", csrf, name="reporter", description="reads reports",
                permission="reports.read")[0] == 303
    assert post(web, c, "/admin/users", csrf, username="p-rita", role="reporter",
                password="a long enough password")[0] == 303
    rita, _ = web.login("p-rita", "a long enough password")
    assert rita.get("/reports").status == 200
    assert rita.get("/customers").status == 403
    nav = re.findall(r'<a href="(/[a-z]*)"', rita.get("/reports").text)
    assert "/reports" in nav and "/customers" not in nav and "/admin" not in nav
    status, _, page = post(web, c, "/admin/tokens", csrf, name="p-crm", role="reporter")
    secret = re.search(r'id="token-secret">([^<]+)<', page).group(1)
    api = web.client().get("/api/reports/kpi", headers={"Authorization": f"Bearer {secret}"})
    assert api.status == 200


def test_desk_and_wallboard_render_for_their_roles(web: Web) -> None:
    agent, _ = login(web, "p-agent3", "agent", "205")
    desk = agent.get("/desk").text
    assert 'data-seat="205"' in desk and 'src="/static/live.js"' in desk
    assert agent.get("/wallboard").status == 403
    sup, _ = login(web, "p-sup4", "supervisor")
    board = sup.get("/wallboard?wait=30&sl=0.9").text
    assert 'id="queues-body"' in board and 'data-wait="30"' in board
    assert sup.get("/wallboard?sl=2").status == 400


def test_changing_ones_password_logs_out(web: Web) -> None:
    c, csrf = login(web, "p-pw", "agent", "206")
    status, _, text = post(web, c, "/account/password", csrf, current=PASSWORD, new="short",
                           repeat="short")
    assert status == 400 and "at least 10" in text
    status, where, _ = post(web, c, "/account/password", csrf, current=PASSWORD,
                            new="another long password", repeat="another long password")
    assert status == 303 and where.endswith("/login")
    assert c.get("/desk").status == 303
    assert web.login("p-pw", "another long password")[1].status == 303


def test_error_pages_keep_the_navigation_of_a_logged_in_user(web: Web) -> None:
    c, _ = login(web, "p-sup5", "supervisor")
    for path, status in (("/nope", 404), ("/customers/999999", 404), ("/admin/users", 403)):
        r = c.get(path)
        assert r.status == status, path
        assert 'id="nav"' in r.text and 'id="logout"' in r.text, path
        assert "Traceback" not in r.text


def test_customer_import_with_progress_and_the_rejected_rows(web: Web) -> None:
    import time
    c, csrf = login(web, "p-sup6", "supervisor")
    data = "name,phone\nGood Row,+8613855556666\nBad Row,not-a-number\n".encode()
    boundary = "callboxtestboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"on_duplicate\"\r\n\r\n"
            f"skip\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    r = c.request("POST", "/customers/import", body=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", **web.origin})
    assert r.status == 303, r.text
    import_id = r.headers["Location"].rsplit("/", 1)[1]
    deadline = time.monotonic() + 20
    status = c.get(f"/api/imports/{import_id}").json()
    while status["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)                            # the daemon imports in the background
        status = c.get(f"/api/imports/{import_id}").json()
    assert status["state"] == "done", status
    assert (status["summary"]["imported"], status["summary"]["rejected"]) == (1, 1)
    page = c.get(f"/customers/import/{import_id}").text
    assert 'id="rejects"' in page and "people.csv" in page
    rejects = c.get(f"/api/imports/{import_id}/rejects")
    assert rejects.status == 200 and b"Bad Row" in rejects.body and b"Good Row" not in rejects.body
    assert "Good Row" in c.get("/customers?q=good").text
    agent, _ = login(web, "p-agent6", "agent", "207")
    assert agent.get("/customers/import").status == 403


def test_retention_rules_and_purge(web: Web) -> None:
    c, csrf = login(web, "p-admin3", "admin")
    assert post(web, c, "/admin/retention", csrf, kind="recording", queue="", days="30")[0] == 303
    assert ">30<" in c.get("/admin/retention").text
    status, _, page = post(web, c, "/admin/retention/purge", csrf)
    assert status == 200 and 'id="purged"' in page
    assert web.api.audit_log(ADMIN, actor="p-admin3", action="retention.purge")["total"] == 1
    assert post(web, c, "/admin/retention", csrf, kind="recording", queue="", remove="1")[0] == 303
    assert "everything is kept" in c.get("/admin/retention").text
    assert post(web, c, "/admin/retention", csrf, kind="cdr", days="soon")[0] == 400


def test_crm_settings_custom_field_ticket_type_and_sla(web: Web) -> None:
    c, csrf = login(web, "p-admin4", "admin")
    assert post(web, c, "/admin/crm/fields", csrf, name="contract", label="Contract no.",
                type="text", in_list="1")[0] == 303
    assert post(web, c, "/admin/crm/types", csrf, name="billing", label="Billing")[0] == 303
    assert post(web, c, "/admin/crm/sla", csrf, type="billing", priority="high", due_min="120",
                escalate_min="30")[0] == 303
    page = c.get("/admin/crm").text
    assert "Contract no." in page and "<strong>billing</strong>" in page
    assert "<td>billing</td><td>high</td><td class=\"num\">120 min</td>" in page
    assert post(web, c, "/admin/crm/sla", csrf, type="billing", priority="high", due_min="x",
                escalate_min="30")[0] == 400
    sup, scsrf = login(web, "p-sup7", "supervisor")     # tickets.admin, not customers.admin
    view = sup.get("/admin/crm").text
    assert 'id="sla-form"' in view and 'id="field-form"' not in view
    assert post(web, sup, "/admin/crm/fields", scsrf, name="x", label="x", type="text")[0] == 403

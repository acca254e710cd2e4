"""The rate table, recording rule, campaign and do-not-call routes over real HTTP: each
refusal names the field at fault (API: 400/404/422 with the field; page: the form again
with the reason), and numbers are masked for a role without ``numbers.unmasked``."""
from __future__ import annotations

import base64
from typing import Any, Iterator

import pytest

from firmware.crm.permissions import Principal
from tests.webui.support import PASSWORD, Client, Web

ADMIN = Principal.system("test")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's web UI lives across tests
    yield


@pytest.fixture(scope="module")
def admin(web: Web) -> tuple[Client, str]:
    c, r = web.login("admin")
    assert r.status == 303
    web.api.put_queue(ADMIN, "support")
    return c, c.get("/account").form_token()


def call(web: Web, who: tuple[Client, str], method: str, path: str, body: Any = None) -> Any:
    c, csrf = who
    return c.request(method, path, json=body if body is not None else {},
                     headers={**web.origin, "X-CSRF-Token": csrf})


def form(web: Web, who: tuple[Client, str], path: str, **fields: str) -> Any:
    c, csrf = who
    return c.post(path, {"csrf": csrf, **fields}, headers=web.origin)


def csv64(text: str) -> dict[str, str]:
    return {"csv_base64": base64.b64encode(text.encode()).decode()}


def test_rate_tables_refuse_naming_the_field(web: Web, admin: tuple[Client, str]) -> None:
    r = call(web, admin, "PUT", "/api/rate-tables/pstn", {"currency": "eu", "rates": []})
    assert r.status == 400 and r.json()["field"] == "rate_table.currency"
    r = call(web, admin, "PUT", "/api/rate-tables/pstn", {"currency": "EUR", "rates": [
        {"prefix": "49", "price_per_min": "0.02"}, {"prefix": "4x", "price_per_min": "1"}]})
    assert r.status == 400 and r.json()["field"] == "rates[1].prefix"
    r = call(web, admin, "PUT", "/api/rate-tables/pstn", {"currency": "EUR", "rates": [
        {"prefix": "49", "price_per_min": "0.02", "increment_s": 30}]})
    assert r.status == 200 and r.json()["rates"][0]["price_per_min"] == "0.020000"
    # the page: one rate at a time, the field named without the table's index
    page = form(web, admin, "/admin/rates", trunk="pstn", currency="EUR", prefix="33",
                price_per_min="cheap")
    assert page.status == 400 and "price_per_min: expected a decimal amount" in page.text
    assert "rates[0]" not in page.text
    page = form(web, admin, "/admin/rates", trunk="pstn", currency="EUR", prefix="33",
                price_per_min="0.05", increment_s="1")
    assert page.status == 303
    [t] = [x for x in web.api.rate_tables(ADMIN) if x["trunk"] == "pstn"]
    assert {(x["prefix"], x["price_per_min"], x["increment_s"]) for x in t["rates"]} == {
        ("49", "0.020000", 30), ("33", "0.050000", 1)}
    assert form(web, admin, "/admin/rates/delete-rate", trunk="pstn", prefix="49").status == 303
    assert [x["prefix"] for x in web.api.rate_tables(ADMIN)[0]["rates"]] == ["33"]
    assert call(web, admin, "DELETE", "/api/rate-tables/pstn").json() == {"ok": True}
    assert call(web, admin, "DELETE", "/api/rate-tables/pstn").status == 404
    # a trunk named with characters a URL path would mangle is posted, not put in the path
    assert form(web, admin, "/admin/rates", trunk="line #2/a", currency="USD",
                price_per_min="0.01").status == 303
    assert form(web, admin, "/admin/rates/delete", trunk="line #2/a").status == 303
    assert form(web, admin, "/admin/rates/delete", trunk="line #2/a").status == 404
    page = form(web, admin, "/admin/rates/rerate", since="yesterday", until="2026-01-02")
    assert page.status == 400 and "since: expected" in page.text


def test_recording_rules_refuse_naming_the_field(web: Web, admin: tuple[Client, str]) -> None:
    r = call(web, admin, "POST", "/api/recording-rules", {"scope": "queue", "mode": "loud"})
    assert r.status == 400 and r.json()["parameter"] == "mode"
    r = call(web, admin, "POST", "/api/recording-rules", {"scope": "agent", "target": "x y",
                                                          "mode": "always"})
    assert r.status == 400 and r.json()["field"] == "recording_rule.target"
    page = form(web, admin, "/admin/recording-rules", scope="queue", target="",
                mode="always")
    assert page.status == 400 and "recording_rule.target" in page.text
    assert form(web, admin, "/admin/recording-rules", scope="queue", target="support",
                mode="on_demand", announce="1").status == 303
    before = web.api.recording_rules(ADMIN)
    assert {"scope": "queue", "target": "support", "mode": "on_demand", "announce": True,
            "stereo": False} in before
    r = call(web, admin, "POST", "/api/recording-rules/delete", {"scope": "queue",
                                                                 "target": "support"})
    assert r.json() == {"ok": True}
    assert [x for x in web.api.recording_rules(ADMIN) if x["scope"] == "queue"] == []
    page = form(web, admin, "/admin/recording-rules/delete", scope="queue", target="support")
    assert page.status == 404 and "no such recording rule" in page.text


def test_campaigns_refuse_naming_the_field(web: Web, admin: tuple[Client, str]) -> None:
    r = call(web, admin, "PUT", "/api/campaigns/spring", {"queue": "nowhere"})
    assert r.status == 404 and r.json()["field"] == "queue"
    r = call(web, admin, "PUT", "/api/campaigns/spring", {"queue": "support",
                                                         "hours_start": "25:00"})
    assert r.status == 400 and r.json()["field"] == "campaign.hours_start"
    page = form(web, admin, "/admin/campaigns", name="spring", queue="support",
                max_attempts="many")
    assert page.status == 400 and "max_attempts: expected a whole number 1-20" in page.text
    page = form(web, admin, "/admin/campaigns", name="spring", queue="support", days="9")
    assert page.status == 400 and "campaign.days" in page.text
    r = call(web, admin, "PUT", "/api/campaigns/spring", {"queue": "support", "days": "135"})
    assert r.status == 200 and r.json()["state"] == "draft"
    r = call(web, admin, "POST", "/api/campaigns/spring/import", {"csv_base64": "***"})
    assert r.status == 400 and r.json()["parameter"] == "csv_base64"
    r = call(web, admin, "POST", "/api/campaigns/spring/import", csv64("name,city\nAnn,Rome\n"))
    assert r.status == 422 and "line 1: no number column" in r.json()["error"]
    r = call(web, admin, "POST", "/api/campaigns/spring/import",
             csv64("number,name\n5550001,Ann\nnot a number,Bob\n5550002,Cy\n"))
    out = r.json()
    assert (out["added"], out["skipped"]) == (2, 0)
    assert [(x["line"], x["column"]) for x in out["rejected"]] == [(3, "number")]
    r = call(web, admin, "POST", "/api/campaigns/spring/state", {"state": "running"})
    assert r.json()["state"] == "running"
    r = call(web, admin, "POST", "/api/campaigns/spring/state", {"state": "gone"})
    assert r.status == 400
    items = call(web, admin, "GET", "/api/campaigns/spring/records").json()["items"]
    assert [x["number"] for x in items] == ["5550001", "5550002"]


def test_dnc_refuses_naming_the_field_and_masks_per_role(web: Web,
                                                        admin: tuple[Client, str]) -> None:
    r = call(web, admin, "POST", "/api/dnc", {"number": "call me"})
    assert r.status == 400 and r.json()["field"] == "dnc.number"
    page = form(web, admin, "/admin/dnc", number="5550123", expires="someday")
    assert page.status == 400 and "expires: expected" in page.text
    assert form(web, admin, "/admin/dnc", number="5550123", note="asked twice",
                expires="2099-01-01").status == 303
    r = call(web, admin, "POST", "/api/dnc/import",
             csv64("phone,note\n13800001111,complaint\n5550123,again\nabc,x\n"))
    out = r.json()
    assert out["added"] == 1 and out["skipped"] == 1 and len(out["rejected"]) == 1
    listing = call(web, admin, "GET", "/api/dnc").json()
    assert {x["number"]: x["note"] for x in listing["items"]} == {
        "13800001111": "complaint", "5550123": "again"}
    r = call(web, admin, "PUT", "/api/campaigns/summer", {"queue": "support"})
    assert r.status == 200
    r = call(web, admin, "POST", "/api/campaigns/summer/import",
             csv64("number\n5550001\n5550002\n"))
    assert r.json()["added"] == 2
    # a role that runs campaigns but sees numbers masked
    web.api.put_role(ADMIN, "dialer", ["campaigns.admin"])
    assert web.daemon.store is not None
    web.daemon.run(web.daemon.store.users.put("o-dialer", PASSWORD, "dialer"))
    c, r2 = web.login("o-dialer")
    assert r2.status == 303
    dialer = (c, c.get("/account").form_token())
    numbers = [x["number"] for x in call(web, dialer, "GET", "/api/dnc").json()["items"]]
    assert "13800001111" not in numbers and any("*" in n for n in numbers), numbers
    page = c.get("/admin/dnc").text
    assert "13800001111" not in page and "/admin/dnc/delete" not in page
    assert "you can add numbers, not remove them" in page
    records = call(web, dialer, "GET", "/api/campaigns/summer/records").json()["items"]
    assert len(records) == 2 and all("*" in x["number"] for x in records)
    assert "5550001" not in c.get("/admin/campaigns/summer").text
    # the admin removes one; removing it again names what is missing
    assert form(web, admin, "/admin/dnc/delete", number="5550123").status == 303
    page = form(web, admin, "/admin/dnc/delete", number="5550123")
    assert page.status == 404 and "not on the do-not-call list" in page.text
    assert call(web, admin, "DELETE", "/api/dnc/13800001111").json() == {"ok": True}

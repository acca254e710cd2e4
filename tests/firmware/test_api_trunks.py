"""Trunks, outbound routes and the security log through ``firmware.api.Api``: what the
web UI will call, with the permissions, the field-naming errors and no password out."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from firmware.errors import ApiError
from firmware.events import EventBus
from firmware.store.outbound import OutboundRoute
from firmware.trunks import Trunks
from tests.crm.support import box
from tests.store.support import T0
from tests.trunks.fakes import LineGroup

ACME = {"kind": "sip-reg", "host": "192.0.2.7", "port": 5080, "domain": "voip.example",
        "username": "acme-user", "secret": "s3cret!", "max_channels": 4}


def error_of(fn: Any, *args: Any, **kw: Any) -> ApiError:
    with pytest.raises(ApiError) as err:
        fn(*args, **kw)
    return err.value


class Bans:
    def __init__(self) -> None:
        self.banned = ["192.0.2.66"]

    async def bans(self) -> list[dict[str, Any]]:
        return [{"ip": ip, "reason": "flood", "seconds_left": 250.0} for ip in self.banned]

    async def unban(self, ip: str, by: str = "") -> bool:
        if ip in self.banned:
            self.banned.remove(ip)
            return True
        return False


def test_trunks_are_written_read_without_their_password_and_checked_by_field(
        tmp_path: Path) -> None:
    with box(tmp_path) as b:
        api, admin = b.api, b.admin
        saved = api.put_trunk(admin, "acme", **ACME)
        assert "secret" not in saved and saved["secret_set"] is True
        assert saved["sources"] == ["192.0.2.7/32"]
        # a field left out keeps its value, the password included
        api.put_trunk(admin, "acme", max_channels=8)
        stored = b.run(b.store.config.trunk("acme"))
        assert (stored.max_channels, stored.secret, stored.domain) == (8, "s3cret!",
                                                                       "voip.example")
        [listed] = api.list_trunks(admin)
        assert listed["name"] == "acme" and listed["state"] is None and "secret" not in listed
        err = error_of(api.put_trunk, admin, "acme", port=99999)
        assert (err.status, err.field) == (400, "trunk.port")
        err = error_of(api.put_trunk, admin, "acme", colour="red")
        assert (err.status, err.field) == (400, "trunk.colour")
        err = error_of(api.put_trunk, admin, "new", kind="sip-reg", host="192.0.2.8")
        assert err.field == "trunk.username"
        agent = b.principal("agent", seat="201")
        assert error_of(api.list_trunks, agent).status == 403
        assert error_of(api.put_trunk, agent, "acme", port=5060).status == 403


def test_routes_name_only_trunk_groups_that_exist_and_hold_their_trunks(
        tmp_path: Path) -> None:
    with box(tmp_path) as b:
        api, admin = b.api, b.admin
        live = Trunks(EventBus())
        live.register_group(LineGroup("e1/1", free=30))
        api.attach_trunks(live)
        api.put_trunk(admin, "acme", **ACME)
        route = api.put_outbound_route(admin, "national", prefix="0", groups=["acme", "e1/1"], strip=1,
                              prepend="+49")
        assert route == {"name": "national", "prefix": "0", "groups": ["acme", "e1/1"],
                         "strip": 1, "prepend": "+49", "caller_id_mode": "pass",
                         "caller_id": "", "enabled": True}
        err = error_of(api.put_outbound_route, admin, "intl", prefix="00", groups=["acme", "nowhere"])
        assert (err.status, err.field) == (400, "route.groups[1]")
        assert "e1/1" in str(err)
        err = error_of(api.put_outbound_route, admin, "x", prefix="0;1", groups=["acme"])
        assert err.field == "route.prefix"
        err = error_of(api.delete_trunk, admin, "acme")
        assert err.status == 409 and "national" in str(err)
        api.put_outbound_route(admin, "national", groups=["e1/1"])                # the rest is kept
        assert api.outbound_routes(admin)[0]["prepend"] == "+49"
        api.delete_trunk(admin, "acme")
        api.delete_outbound_route(admin, "national")
        assert api.outbound_routes(admin) == []
        assert error_of(api.delete_outbound_route, admin, "national").status == 404
        audit = b.run(b.store.db.fetchall("SELECT action, target FROM audit_log"
                                          " WHERE action LIKE 'trunk.%' OR action LIKE 'route.%'"
                                          " ORDER BY seq"))
        assert [tuple(r) for r in audit] == [
            ("trunk.put", "acme"), ("route.put", "national"), ("route.put", "national"),
            ("trunk.delete", "acme"), ("route.delete", "national")]
        assert b.run(b.store.outbound.routes()) == []
        assert isinstance(OutboundRoute("r", "", ("e1/1",)).checked(), OutboundRoute)


def test_the_security_log_pages_newest_first_and_bans_can_be_lifted(tmp_path: Path) -> None:
    with box(tmp_path) as b:
        api, admin = b.api, b.admin
        b.run(b.store.events.append_many([
            (T0 + i, "security.auth_failed", {"ip": "192.0.2.66", "user": "201", "count": i})
            for i in range(1, 4)] + [(T0 + 9, "security.banned",
                                      {"ip": "192.0.2.66", "reason": "auth_failed"})]))
        page = api.security_log(admin, limit=2)
        assert page["total"] == 4 and [i["kind"] for i in page["items"]] == ["banned",
                                                                              "auth_failed"]
        assert page["items"][0]["ts"].endswith("Z") and page["items"][1]["count"] == 3
        assert api.security_log(admin, kind="auth_failed", offset=2)["items"][0]["count"] == 1
        assert api.security_log(admin, kind="security.banned")["total"] == 1
        assert error_of(api.security_bans, admin).status == 503     # no edge attached
        api.attach_security(Bans())
        assert api.security_bans(admin) == [{"ip": "192.0.2.66", "reason": "flood",
                                             "seconds_left": 250.0}]
        assert api.unban(admin, "192.0.2.66") == {"ip": "192.0.2.66", "unbanned": True}
        assert error_of(api.unban, admin, "192.0.2.66").status == 404
        auditor = b.principal("auditor")
        assert api.security_log(auditor)["total"] == 4
        assert error_of(api.unban, auditor, "192.0.2.66").status == 403
        assert error_of(api.security_log, b.principal("agent", seat="201")).status == 403

"""A customer's life through the API: create, find by number, note, ticket, screen pop."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.errors import ApiError
from tests.crm.support import box
from tests.store.support import T0, call


def test_customer_ticket_and_screen_pop_round_trip(tmp_path: Path) -> None:
    with box(tmp_path) as b:
        api, admin = b.api, b.admin
        api.put_custom_field(admin, "level", "Level", "choice", choices=["gold", "silver"],
                             in_list=True)
        c = api.create_customer(admin, {"name": "王芳", "company": "Acme",
                                        "phones": ["138 1234 5678", {"number": "010-62345678",
                                                                     "label": "office"}],
                                        "tags": "vip, 回访", "custom": {"level": "gold"}})
        assert [p["number"] for p in c["phones"]] == ["+8613812345678", "+861062345678"]
        assert c["tags"] == ["vip", "回访"] and c["custom"] == {"level": "gold"}
        b.run(b.store.cdr.insert(call(T0 - 3600, caller_number="013812345678")))
        api.add_note(admin, c["id"], "called about the bill")
        t = api.create_ticket(admin, "complaint", "bill too high", customer=c["id"],
                              priority="high")
        assert t["state"] == "new" and t["due_at"].endswith("Z")
        pop = api.screen_pop(admin, "013812345678")
        assert pop["matched_by"] == "phone" and pop["customer"]["id"] == c["id"]
        assert [x["id"] for x in pop["open_tickets"]] == [t["id"]]
        assert {x["kind"] for x in pop["last_interactions"]} == {"call", "note", "ticket"}
        agent = b.principal("agent", seat="201")
        masked = api.screen_pop(agent, "013812345678")
        assert masked["caller"] == "0138****5678"
        assert masked["customer"]["phones"][0]["number"] == "+86138****5678"
        found = api.list_customers(admin, q="Acm")
        assert found["total"] == 1
        assert api.list_customers(agent, phone="13812345678")["total"] == 1
        with pytest.raises(ApiError) as err:
            api.list_customers(agent, phone="5678")
        assert err.value.status == 400 and err.value.field == "phone"
        with pytest.raises(ApiError) as err:
            api.delete_customer(agent, c["id"])
        assert err.value.status == 403 and err.value.permission == "customers.delete"

"""JSON-RPC replies captured from Kamailio 5.6.3 -> our views; a dead socket is an EdgeError."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from firmware.errors import EdgeError
from firmware.sipedge.rpc import JsonRpcClient, contacts_by_user

DATA = Path(__file__).parent / "data"


def _load(name: str) -> object:
    return json.loads((DATA / name).read_text())


def test_ul_dump_of_two_seats() -> None:
    assert contacts_by_user(_load("ul_dump_two_seats.json")) == {
        "202": ["sip:202@127.0.0.1:54004"],
        "201": ["sip:201@127.0.0.1:37839", "sip:201@127.0.0.1:43096"],
    }


def test_expired_contacts_are_not_registrations() -> None:
    dump = _load("ul_dump_two_seats.json")
    for aor in dump["Domains"][0]["Domain"]["AoRs"]:  # type: ignore[index]
        if aor["Info"]["AoR"] == "202":
            aor["Info"]["Contacts"][0]["Contact"]["Expires"] = "expired"
    assert set(contacts_by_user(dump)) == {"201"}


def test_ul_dump_of_unexpected_shape_is_an_edge_error() -> None:
    with pytest.raises(EdgeError, match="ul.dump"):
        contacts_by_user({"Domains": [{"Domain": {"AoRs": [
            {"Info": {"AoR": "201", "Contacts": [{"Contact": {}}]}}]}}]})


def test_call_without_a_server_is_an_edge_error(tmp_path: Path) -> None:
    client = JsonRpcClient(tmp_path / "nobody.sock", tmp_path)

    async def body() -> None:
        with pytest.raises(EdgeError, match="core.uptime failed"):
            await client.call("core.uptime")
    asyncio.run(body())
    assert list(tmp_path.iterdir()) == []  # the client socket was removed

"""A listen change is checked against the box as it is (real sockets, real interfaces):
each bad field gets its own message naming it, and checking changes nothing."""
from __future__ import annotations

import socket
from dataclasses import replace
from typing import Any, Iterator

import pytest

from firmware import config
from firmware.errors import ListenError
from firmware.listen_change import Listen, box_addresses, check_request

CFG = config.load(None)
NOW = Listen.from_config(CFG)          # 127.0.0.1:8080, 127.0.0.1:5060


def refused(data: dict[str, Any], cfg: config.Config = CFG) -> ListenError:
    with pytest.raises(ListenError) as err:
        check_request(data, NOW, cfg)
    return err.value


@pytest.fixture
def held_tcp() -> Iterator[int]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


def test_an_address_that_is_not_on_the_box_is_named_with_the_addresses_it_has() -> None:
    err = refused({"sip_listen": "192.0.2.10"})
    assert err.context["field"] == "sip_listen"
    assert "192.0.2.10 is not an address of this box" in str(err)
    assert "127.0.0.1" in box_addresses() and "127.0.0.1" in str(err)


@pytest.mark.parametrize("data, field, text", [
    ({"web_listen": "10.0.0"}, "web_listen", "expected an IPv4 address"),
    ({"web_listen": "0.0.0.0"}, "web_listen", "not one address of this box"),
    ({"sip_listen": "224.0.0.1"}, "sip_listen", "not one address of this box"),
    ({"web_port": 0}, "web_port", "expected a port 1-65535, got 0"),
    ({"sip_port": "x"}, "sip_port", "expected a port 1-65535, got 'x'"),
    ({"sip_port": 5070}, "sip_port", "media nodes' ports"),
    ({"sip_port": 5059}, "sip_port", "placement port"),
    ({"web_port": 8080}, "web_listen", "listens on now"),
    ({"colour": "red"}, "colour", "unknown field"),
])
def test_each_bad_field_is_named(data: dict[str, Any], field: str, text: str) -> None:
    err = refused(data)
    assert err.context["field"] == field and text in str(err)


def test_a_port_in_use_is_named(held_tcp: int) -> None:
    err = refused({"web_port": held_tcp})
    assert err.context["field"] == "web_port"
    assert f"TCP port {held_tcp} on 127.0.0.1 is in use" in str(err)


def test_behind_the_https_front_only_the_sip_edge_moves() -> None:
    front = replace(CFG, web=replace(CFG.web, trusted_proxy="127.0.0.1"))
    err = refused({"web_port": 8090}, front)
    assert err.status == 409 and err.context["field"] == "web_port"
    assert "HTTPS front" in str(err)
    assert check_request({"sip_listen": "127.0.0.2"}, NOW, front) == replace(
        NOW, sip_listen="127.0.0.2")


def test_fields_left_out_keep_their_value() -> None:
    assert check_request({"web_listen": "127.0.0.2", "sip_port": 5062}, NOW, CFG) == Listen(
        "127.0.0.2", 8080, "127.0.0.1", 5062)

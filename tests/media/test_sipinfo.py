"""What a node reads from an incoming INVITE's text."""
from __future__ import annotations

import pytest

from firmware.media.protocol import ProtocolError
from firmware.media.sipinfo import parse_invite, user_part

INVITE = (
    "INVITE sip:100@127.0.0.1:5070;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
    "From: \"Alice\" <sip:5551234@10.0.0.7>;tag=abc\r\n"
    "To: <sip:100@127.0.0.1>\r\n"
    "Call-ID: 77@10.0.0.7\r\n"
    "CSeq: 1 INVITE\r\n"
    "X-Callbox-Trunk: carrier-a\r\n"
    "Content-Length: 0\r\n\r\n"
)


def test_did_trunk_and_parties_from_a_trunk_invite() -> None:
    info = parse_invite(INVITE)
    assert info.did == "100"
    assert info.trunk == "carrier-a" and info.seat is None
    assert info.from_ == '"Alice" <sip:5551234@10.0.0.7>'   # dialog tag dropped
    assert info.to == "<sip:100@127.0.0.1>"
    assert info.call_id == "77@10.0.0.7"


def test_seat_header_and_compact_forms() -> None:
    text = ("INVITE sip:sales@127.0.0.1 SIP/2.0\n"
            "f: <sip:201@127.0.0.1>;tag=1\n"
            "t: <sip:sales@127.0.0.1>\n"
            "i: c1\n"
            "x-callbox-seat: 201\n\n")
    info = parse_invite(text)
    assert (info.did, info.seat, info.call_id, info.trunk) == ("sales", "201", "c1", None)


def test_folded_header_is_joined() -> None:
    text = INVITE.replace("X-Callbox-Trunk: carrier-a", "X-Callbox-Trunk:\r\n carrier-b")
    assert parse_invite(text).trunk == "carrier-b"


def test_body_is_not_read_as_headers() -> None:
    text = INVITE.replace("Content-Length: 0\r\n\r\n", "Content-Length: 20\r\n\r\nX-Callbox-Seat: 666\r\n")
    assert parse_invite(text).seat is None


@pytest.mark.parametrize("uri, user", [
    ("sip:100@host", "100"), ("<sip:+4930123@host;user=phone>", "+4930123"),
    ("sips:alice@example.com:5061", "alice"), ("sip:host.only", ""), ("tel:+123", "+123"),
])
def test_user_part(uri: str, user: str) -> None:
    assert user_part(uri) == user


def test_request_that_is_not_an_invite_is_refused() -> None:
    with pytest.raises(ProtocolError, match="not an INVITE request line") as err:
        parse_invite(INVITE.replace("INVITE sip", "OPTIONS sip", 1))
    assert err.value.field == "request-line"


def test_invite_without_call_id_is_refused() -> None:
    with pytest.raises(ProtocolError, match="without call-id") as err:
        parse_invite(INVITE.replace("Call-ID: 77@10.0.0.7\r\n", ""))
    assert err.value.field == "call-id"


def test_header_line_without_colon_is_refused() -> None:
    with pytest.raises(ProtocolError, match="header line without ':'"):
        parse_invite(INVITE.replace("CSeq: 1 INVITE", "CSeq 1 INVITE"))

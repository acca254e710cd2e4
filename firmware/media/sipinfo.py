"""What a node reports about an incoming INVITE, read from its raw text.

pjsua2 gives the application the whole received message (``SipRxData.wholeMsg``)
but no header accessor, so the few things the daemon needs are parsed here:
the dialled number (user part of the Request-URI) and the headers Kamailio adds
(``X-Callbox-Trunk``, ``X-Callbox-Seat``). Kept apart from the node so it can be
tested without pjsua2.
"""
from __future__ import annotations

from dataclasses import dataclass

from firmware.media.protocol import ProtocolError

# Compact forms (RFC 3261 7.3.3) of the headers we read.
_COMPACT = {"f": "from", "t": "to", "i": "call-id"}


@dataclass(frozen=True)
class InviteInfo:
    did: str
    from_: str
    to: str
    call_id: str
    trunk: str | None
    seat: str | None


def user_part(uri: str) -> str:
    """``sip:100@host;x=y`` or ``<sip:100@host>`` -> ``100`` ("" when there is no user)."""
    s = uri.strip()
    if "<" in s and ">" in s:
        s = s[s.index("<") + 1:s.index(">")]
    for scheme in ("sips:", "sip:", "tel:"):
        if s.lower().startswith(scheme):
            s = s[len(scheme):]
            break
    if "@" not in s and not uri.strip().lower().startswith("tel:"):
        return ""
    return s.split("@", 1)[0].split(";", 1)[0]


def display_name(name_addr: str) -> str:
    """``"Jane Doe" <sip:123@host>;tag=x`` -> ``Jane Doe`` ("" without a display name)."""
    if "<" not in name_addr:
        return ""
    return name_addr[:name_addr.index("<")].strip().strip('"')


def _no_params(value: str) -> str:
    """Drop header parameters (the dialog tag) after a name-addr."""
    return value[:value.rindex(">") + 1] if ">" in value else value.split(";", 1)[0]


def parse_invite(msg: str) -> InviteInfo:
    """Parse the start line and headers of an INVITE; raise ProtocolError naming the field."""
    head = msg.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    lines = head.replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "INVITE" or not parts[2].startswith("SIP/"):
        raise ProtocolError(f"not an INVITE request line: {lines[0]!r:.80}", field="request-line")
    headers: dict[str, str] = {}
    last = ""
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and last:      # folded continuation
            headers[last] = (headers[last] + " " + line.strip()).strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"header line without ':': {line!r:.80}", field="header")
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        last = key
        headers.setdefault(key, value.strip())
    for required in ("from", "to", "call-id"):
        if required not in headers:
            raise ProtocolError(f"INVITE without {required} header", field=required)
    return InviteInfo(did=user_part(parts[1]), from_=_no_params(headers["from"]),
                      to=_no_params(headers["to"]),
                      call_id=headers["call-id"], trunk=headers.get("x-callbox-trunk") or None,
                      seat=headers.get("x-callbox-seat") or None)

"""Caller ID messages: SDMF and MDMF (Bellcore GR-30, ETSI EN 300 659-3), and DTMF caller ID.

A message is a value: ``CallerIdMessage.parse(data)`` and ``bytes(message)``
round-trip, checksum included (two's complement of the byte sum, so that all
bytes of a good message sum to 0 mod 256). Bad input raises ``CallerIdError``
naming the offset and field. DTMF caller ID (EN 300 659-1 annex, DK/SE/FI/NL/BE/
IN/BR/TW) is ``A<digits>C`` or ``D<digits>C`` (``#`` may end it), with ``B00``
for "unavailable" and ``B10`` for "private"
(docs/reference/tones-and-callerid.md#dtmf-caller-id).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from acd_core.errors import DecodeError

# Message types.
SDMF_CALL_SETUP = 0x04
SDMF_MWI = 0x06
MDMF_CALL_SETUP = 0x80
MDMF_MWI = 0x82

# MDMF parameter types (GR-30 table 3 / EN 300 659-3 table 3).
P_DATE_TIME = 0x01
P_NUMBER = 0x02
P_NUMBER_ABSENT = 0x04
P_CALL_QUALIFIER = 0x06
P_NAME = 0x07
P_NAME_ABSENT = 0x08
P_VISUAL_INDICATOR = 0x0B

#: Reasons a number or name is missing: 'O' out of area / unavailable, 'P' private.
REASONS = {"O": "unavailable", "P": "private"}


class CallerIdError(DecodeError):
    """A caller ID message could not be parsed (``offset``, ``field``)."""


def checksum(data: bytes) -> int:
    return (-sum(data)) & 0xFF


@dataclass
class CallerIdMessage:
    """One on-hook caller ID message.

    ``date_time`` is the 8-digit ``MMDDhhmm`` string; ``number_absent`` /
    ``name_absent`` hold the reason letter ('O' or 'P'); ``extra`` keeps
    parameters we do not interpret, in order, so that parse/bytes round-trip.
    """

    type: int = MDMF_CALL_SETUP
    date_time: Optional[str] = None
    number: Optional[str] = None
    number_absent: Optional[str] = None
    name: Optional[str] = None
    name_absent: Optional[str] = None
    long_distance: bool = False
    message_waiting: Optional[bool] = None
    extra: List[Tuple[int, bytes]] = field(default_factory=list)

    @classmethod
    def parse(cls, data: bytes) -> "CallerIdMessage":
        data = bytes(data)
        if len(data) < 3:
            raise CallerIdError("caller ID message too short", offset=0, field="header")
        mtype, length = data[0], data[1]
        if len(data) < length + 3:
            raise CallerIdError(f"caller ID message says {length} bytes of body but has "
                                f"{len(data) - 3}", offset=1, field="length")
        if checksum(data[: length + 2]) != data[length + 2]:
            raise CallerIdError("caller ID checksum mismatch", offset=length + 2, field="checksum")
        body = data[2: length + 2]
        msg = cls(type=mtype)
        if mtype == SDMF_CALL_SETUP:
            if length < 8:
                raise CallerIdError("SDMF message shorter than its date and time",
                                    offset=2, field="date_time")
            msg.date_time = _text(body[:8])
            rest = _text(body[8:])
            if rest in REASONS:
                msg.number_absent = rest
            else:
                msg.number = rest
        elif mtype == SDMF_MWI:
            if body not in (b"BBB", b"ooo"):
                raise CallerIdError("SDMF MWI body is neither BBB nor ooo", offset=2,
                                    field="indicator")
            msg.message_waiting = body == b"BBB"
        elif mtype in (MDMF_CALL_SETUP, MDMF_MWI):
            msg._parse_params(body)
        else:
            raise CallerIdError(f"unknown caller ID message type 0x{mtype:02X}",
                                offset=0, field="type")
        return msg

    def _parse_params(self, body: bytes) -> None:
        pos = 0
        while pos < len(body):
            if pos + 2 > len(body):
                raise CallerIdError("MDMF parameter header cut short", offset=2 + pos,
                                    field="parameter")
            ptype, plen = body[pos], body[pos + 1]
            value = body[pos + 2: pos + 2 + plen]
            if len(value) != plen:
                raise CallerIdError(f"MDMF parameter 0x{ptype:02X} runs past the message",
                                    offset=2 + pos, field="parameter")
            at = 4 + pos
            if ptype == P_DATE_TIME:
                self.date_time = _text(value)
            elif ptype == P_NUMBER:
                self.number = _text(value)
            elif ptype == P_NUMBER_ABSENT:
                self.number_absent = _text(value)
            elif ptype == P_NAME:
                self.name = _text(value)
            elif ptype == P_NAME_ABSENT:
                self.name_absent = _text(value)
            elif ptype == P_CALL_QUALIFIER and value == b"L":
                self.long_distance = True
            elif ptype == P_VISUAL_INDICATOR and plen == 1 and value[0] in (0x00, 0xFF):
                self.message_waiting = value[0] == 0xFF
            else:
                self.extra.append((ptype, value))
            pos += 2 + plen

    def body(self) -> bytes:
        if self.type == SDMF_CALL_SETUP:
            return ((self.date_time or "00000000").encode("latin-1")
                    + (self.number or self.number_absent or "").encode("latin-1"))
        if self.type == SDMF_MWI:
            return b"BBB" if self.message_waiting else b"ooo"
        out = bytearray()

        def put(ptype: int, value: bytes) -> None:
            if len(value) > 255:
                raise ValueError(f"MDMF parameter 0x{ptype:02X} longer than 255 bytes")
            out.extend((ptype, len(value)))
            out.extend(value)

        if self.date_time is not None:
            put(P_DATE_TIME, self.date_time.encode("latin-1"))
        if self.number is not None:
            put(P_NUMBER, self.number.encode("latin-1"))
        if self.number_absent is not None:
            put(P_NUMBER_ABSENT, self.number_absent.encode("latin-1"))
        if self.long_distance:
            put(P_CALL_QUALIFIER, b"L")
        if self.name is not None:
            put(P_NAME, self.name.encode("latin-1"))
        if self.name_absent is not None:
            put(P_NAME_ABSENT, self.name_absent.encode("latin-1"))
        if self.message_waiting is not None:
            put(P_VISUAL_INDICATOR, b"\xff" if self.message_waiting else b"\x00")
        for ptype, value in self.extra:
            put(ptype, value)
        return bytes(out)

    def __bytes__(self) -> bytes:
        body = self.body()
        if len(body) > 255:
            raise ValueError("caller ID message body longer than 255 bytes")
        head = bytes((self.type, len(body))) + body
        return head + bytes((checksum(head),))

    @property
    def reason(self) -> Optional[str]:
        """Why the number is missing, in words ('private', 'unavailable')."""
        return REASONS.get(self.number_absent or "", None)


def _text(value: bytes) -> str:
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        # Names are 8-bit in some networks; keep every byte.
        return value.decode("latin-1")


@dataclass(frozen=True)
class DtmfCallerId:
    """A DTMF caller ID: the number, or why there is none."""

    number: Optional[str]
    reason: Optional[str] = None     # 'unavailable' / 'private' / raw B/D code
    start: str = "A"

    @classmethod
    def parse(cls, digits: str) -> "DtmfCallerId":
        """``A1234C``, ``D1234#``, ``B00C`` (unavailable), ``B10C`` (private),
        ``D1#``/``D2#``/``D3#`` (Denmark: private / unavailable / international-unknown)."""
        s = digits.strip().upper()
        if len(s) < 2 or s[0] not in "ABD" or s[-1] not in "C#":
            raise CallerIdError(f"DTMF caller ID must start with A, B or D and end with C or #: "
                                f"{digits!r}", offset=0, field="framing")
        inner = s[1:-1]
        bad = [i for i, c in enumerate(inner) if c not in "0123456789*#"]
        if bad:
            raise CallerIdError(f"unexpected {inner[bad[0]]!r} inside DTMF caller ID {digits!r}",
                                offset=bad[0] + 1, field="digits")
        if s[0] == "B":
            reason = {"00": "unavailable", "10": "private"}.get(inner, f"B{inner}")
            return cls(None, reason, "B")
        if s[0] == "D" and inner in ("1", "2", "3"):
            return cls(None, {"1": "private", "2": "unavailable", "3": "unavailable"}[inner], "D")
        return cls(inner, None, s[0])

    def __str__(self) -> str:
        if self.number is not None:
            return f"{self.start}{self.number}C"
        inv = {"unavailable": "00", "private": "10"}
        return f"B{inv.get(self.reason or '', '00')}C"


class DtmfCallerIdCollector:
    """Turns the digits of a ``DtmfDetector`` into ``DtmfCallerId`` messages.

    Feed ``(offset, digit)`` pairs; a message is returned when its end digit
    arrives. A start digit restarts collection; stray digits outside a message
    are ignored (they are the caller's, not the exchange's).
    """

    MAX_DIGITS = 32

    def __init__(self) -> None:
        self._buf = ""

    def feed(self, events) -> List[Tuple[int, DtmfCallerId]]:
        out = []
        for offset, digit in events:
            if digit in "ABD":
                self._buf = digit
            elif self._buf:
                self._buf += digit
                if digit in "C#":
                    try:
                        out.append((offset, DtmfCallerId.parse(self._buf)))
                    except CallerIdError:
                        pass
                    self._buf = ""
                elif len(self._buf) > self.MAX_DIGITS:
                    self._buf = ""
        return out

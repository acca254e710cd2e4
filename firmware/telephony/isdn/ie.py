"""Q.931 information elements (codeset 0) as values, ETSI EN 300 403 layouts.

Each known element decodes from its contents (the octets after the length)
and encodes back to the same octets: optional octets (3a, 3b, layer 1
continuation) are kept as fields, so ``bytes`` of a decoded element equal the
octets received. Elements we do not interpret stay ``RawIE`` and are
re-encoded untouched; so do elements of other codesets (after a shift).

Contents that cannot be what the element says raise ``InvalidIeContents``
with the absolute ``offset`` of the bad octet and ``field`` naming the element
and the octet ("cause: octet 4").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from firmware.telephony.isdn.errors import InvalidIeContents

# Type of number (Q.931 4.5.8/4.5.10) and numbering plan.
TON_UNKNOWN, TON_INTERNATIONAL, TON_NATIONAL, TON_NETWORK, TON_SUBSCRIBER = 0, 1, 2, 3, 4
PLAN_UNKNOWN, PLAN_ISDN, PLAN_PRIVATE = 0, 1, 9
# Presentation indicator (octet 3a) and screening indicator.
PRES_ALLOWED, PRES_RESTRICTED, PRES_NOT_AVAILABLE = 0, 1, 2
SCREEN_USER_NOT_SCREENED, SCREEN_USER_PASSED, SCREEN_USER_FAILED, SCREEN_NETWORK = 0, 1, 2, 3
# Bearer capability.
ITC_SPEECH, ITC_UNRESTRICTED_DIGITAL, ITC_AUDIO_3K1 = 0x00, 0x08, 0x10
RATE_64K = 0x10
L1_ULAW, L1_ALAW = 0x02, 0x03
# Location (cause, progress indicator).
LOC_USER, LOC_PRIVATE_LOCAL, LOC_PUBLIC_LOCAL, LOC_TRANSIT, LOC_PUBLIC_REMOTE = 0, 1, 2, 3, 4
# Progress descriptions.
PROG_NOT_END_TO_END_ISDN, PROG_DEST_NOT_ISDN, PROG_ORIG_NOT_ISDN = 1, 2, 3
PROG_RETURNED_TO_ISDN, PROG_INBAND = 4, 8
# Restart classes.
RESTART_CHANNELS, RESTART_INTERFACE, RESTART_ALL_INTERFACES = 0, 6, 7

DIGIT_CHARS = frozenset("0123456789*#ABCDabcd+")


def _err(ie: str, what: str, offset: int, octet: str) -> InvalidIeContents:
    return InvalidIeContents(f"{ie}: {what}", offset=offset, field=f"{ie}: {octet}")


def _need(name: str, data: bytes, n: int, offset: int, octet: str) -> None:
    if len(data) < n:
        raise _err(name, f"contents too short ({len(data)} octets)", offset + len(data), octet)


def _digits(name: str, data: bytes, offset: int) -> str:
    for i, b in enumerate(data):
        if b & 0x80 or b < 0x20:
            raise _err(name, f"digit 0x{b:02x} is not IA5", offset + i, "digits")
    return data.decode("ascii")


@dataclass(frozen=True)
class IE:
    """Base of the variable-length elements we interpret."""

    ID: ClassVar[int] = -1
    NAME: ClassVar[str] = "?"

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "IE":
        raise NotImplementedError

    def contents(self) -> bytes:
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        body = self.contents()
        if len(body) > 255:
            raise ValueError(f"{self.NAME} longer than 255 octets")
        return bytes((self.ID, len(body))) + body


@dataclass(frozen=True)
class RawIE:
    """An element kept as received: unknown to us, or in another codeset."""

    ident: int
    data: bytes
    codeset: int = 0

    @property
    def ID(self) -> int:  # noqa: N802 - same attribute as the typed elements
        return self.ident

    @property
    def NAME(self) -> str:  # noqa: N802
        return IE_NAMES.get(self.ident, f"IE 0x{self.ident:02x}") if self.codeset == 0 \
            else f"codeset {self.codeset} IE 0x{self.ident:02x}"

    def __bytes__(self) -> bytes:
        return bytes((self.ident, len(self.data))) + self.data


@dataclass(frozen=True)
class SingleOctetIE:
    """A type 1/type 2 element: one octet with bit 8 set (Q.931 4.5.1)."""

    octet: int

    @property
    def ID(self) -> int:  # noqa: N802
        return self.octet

    @property
    def NAME(self) -> str:  # noqa: N802
        if self.octet == 0xA1:
            return "sending complete"
        if self.octet & 0xF0 == 0x90:
            return f"{'non-' if self.octet & 0x08 else ''}locking shift {self.octet & 7}"
        return f"single-octet IE 0x{self.octet:02x}"

    def __bytes__(self) -> bytes:
        return bytes((self.octet,))


SENDING_COMPLETE = SingleOctetIE(0xA1)


def shift(codeset: int, locking: bool = True) -> SingleOctetIE:
    return SingleOctetIE(0x90 | (0 if locking else 0x08) | codeset)


@dataclass(frozen=True)
class BearerCapability(IE):
    ID: ClassVar[int] = 0x04
    NAME: ClassVar[str] = "bearer capability"
    itc: int = ITC_SPEECH
    coding: int = 0
    mode: int = 0                  # 0 circuit mode
    rate: int = RATE_64K
    multiplier: int | None = None  # octet 4.1, with rate 0x18 (multirate)
    layer1: int | None = L1_ALAW   # octet 5 protocol, None if absent
    layer1_more: bytes = b""       # octets 5a.. (rate adaption)
    rest: bytes = b""              # octets 6, 7 (layer 2/3 ids)

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "BearerCapability":
        n = cls.NAME
        _need(n, data, 2, offset, "octet 4")
        if not data[0] & 0x80:
            raise _err(n, "octet 3 has no extension bit set", offset, "octet 3")
        if not data[1] & 0x80:
            raise _err(n, "octet 4 has no extension bit set", offset + 1, "octet 4")
        coding, itc = (data[0] >> 5) & 3, data[0] & 0x1F
        mode, rate = (data[1] >> 5) & 3, data[1] & 0x1F
        i = 2
        multiplier = None
        if rate == 0x18:
            _need(n, data, 3, offset, "octet 4.1")
            multiplier = data[2] & 0x7F
            i = 3
        layer1, more, rest = None, b"", b""
        if i < len(data) and (data[i] >> 5) & 3 == 1:
            layer1 = data[i] & 0x1F
            j = i + 1
            if not data[i] & 0x80:
                while True:
                    if j >= len(data):
                        raise _err(n, "layer 1 octets run past the end", offset + j, "octet 5a")
                    j += 1
                    if data[j - 1] & 0x80:
                        break
            more = bytes(data[i + 1:j])
            i = j
        rest = bytes(data[i:])
        return cls(itc, coding, mode, rate, multiplier, layer1, more, rest)

    def contents(self) -> bytes:
        out = bytearray((0x80 | self.coding << 5 | self.itc, 0x80 | self.mode << 5 | self.rate))
        if self.multiplier is not None:
            out.append(0x80 | self.multiplier)
        if self.layer1 is not None:
            out.append((0x00 if self.layer1_more else 0x80) | 0x20 | self.layer1)
            out += self.layer1_more
        return bytes(out) + self.rest


@dataclass(frozen=True)
class ChannelId(IE):
    """Channel identification for a primary rate interface: E1 channel number = timeslot."""

    ID: ClassVar[int] = 0x18
    NAME: ClassVar[str] = "channel identification"
    channels: tuple[int, ...] = ()
    exclusive: bool = True
    selection: int = 1             # 0 no channel, 1 as indicated, 3 any channel
    primary: bool = True           # interface type bit
    dchannel: bool = False
    interface_id: bytes | None = None
    coding: int | None = 0         # octet 3.2; None if absent
    number_map: int = 0
    channel_type: int = 3          # B-channel units
    slot_map: bytes = b""

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "ChannelId":
        n = cls.NAME
        _need(n, data, 1, offset, "octet 3")
        o3 = data[0]
        if not o3 & 0x80:
            raise _err(n, "octet 3 has no extension bit set", offset, "octet 3")
        i = 1
        iface = None
        if o3 & 0x40:
            j = i
            while True:
                if j >= len(data):
                    raise _err(n, "interface identifier runs past the end", offset + j,
                               "octet 3.1")
                j += 1
                if data[j - 1] & 0x80:
                    break
            iface, i = bytes(data[i:j]), j
        primary = bool(o3 & 0x20)
        fields: dict[str, Any] = dict(exclusive=bool(o3 & 0x08), selection=o3 & 0x03,
                                      primary=primary, dchannel=bool(o3 & 0x04),
                                      interface_id=iface)
        if i >= len(data):
            return cls((), coding=None, **fields)
        o32 = data[i]
        if not o32 & 0x80:
            raise _err(n, "octet 3.2 has no extension bit set", offset + i, "octet 3.2")
        coding, number_map, ctype = (o32 >> 5) & 3, (o32 >> 4) & 1, o32 & 0x0F
        body = bytes(data[i + 1:])
        channels: tuple[int, ...] = ()
        slot_map = b""
        if number_map:
            slot_map = body
        else:
            if not body:
                raise _err(n, "no channel number after octet 3.2", offset + len(data), "octet 3.3")
            if not body[-1] & 0x80:
                raise _err(n, "last channel number has no extension bit set",
                           offset + len(data) - 1, "octet 3.3")
            for k, b in enumerate(body[:-1]):
                if b & 0x80:
                    raise _err(n, "channel number list ends early", offset + i + 1 + k,
                               "octet 3.3")
            channels = tuple(b & 0x7F for b in body)
        return cls(channels, coding=coding, number_map=number_map, channel_type=ctype,
                   slot_map=slot_map, **fields)

    def contents(self) -> bytes:
        out = bytearray((0x80 | (0x40 if self.interface_id is not None else 0)
                         | (0x20 if self.primary else 0) | (0x08 if self.exclusive else 0)
                         | (0x04 if self.dchannel else 0) | self.selection,))
        if self.interface_id is not None:
            out += self.interface_id
        if self.coding is None:
            return bytes(out)
        out.append(0x80 | self.coding << 5 | self.number_map << 4 | self.channel_type)
        if self.number_map:
            out += self.slot_map
        else:
            for k, ch in enumerate(self.channels):
                out.append(ch | (0x80 if k == len(self.channels) - 1 else 0))
        return bytes(out)

    @classmethod
    def for_timeslot(cls, ts: int, exclusive: bool = True) -> "ChannelId":
        return cls((ts,), exclusive=exclusive)

    @property
    def timeslot(self) -> int | None:
        """The one B-channel this names, or None (no channel, any channel, several)."""
        if self.selection == 1 and self.coding is not None and len(self.channels) == 1 \
                and not self.number_map:
            return self.channels[0]
        return None


@dataclass(frozen=True)
class _Number(IE):
    """Calling/called/connected/redirecting party number layout."""

    digits: str = ""
    ton: int = TON_UNKNOWN
    plan: int = PLAN_UNKNOWN

    def _digits_bytes(self) -> bytes:
        return self.digits.encode("ascii")


@dataclass(frozen=True)
class CalledNumber(_Number):
    ID: ClassVar[int] = 0x70
    NAME: ClassVar[str] = "called party number"

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "CalledNumber":
        _need(cls.NAME, data, 1, offset, "octet 3")
        if not data[0] & 0x80:
            raise _err(cls.NAME, "octet 3 has no extension bit set", offset, "octet 3")
        return cls(_digits(cls.NAME, data[1:], offset + 1), (data[0] >> 4) & 7, data[0] & 0x0F)

    def contents(self) -> bytes:
        return bytes((0x80 | self.ton << 4 | self.plan,)) + self._digits_bytes()


@dataclass(frozen=True)
class CallingNumber(_Number):
    ID: ClassVar[int] = 0x6C
    NAME: ClassVar[str] = "calling party number"
    presentation: int | None = None     # None: octet 3a absent (presentation allowed)
    screening: int = SCREEN_USER_NOT_SCREENED

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "CallingNumber":
        n = cls.NAME
        _need(n, data, 1, offset, "octet 3")
        ton, plan = (data[0] >> 4) & 7, data[0] & 0x0F
        if data[0] & 0x80:
            return cls(_digits(n, data[1:], offset + 1), ton, plan)
        _need(n, data, 2, offset, "octet 3a")
        if not data[1] & 0x80:
            raise _err(n, "octet 3a has no extension bit set", offset + 1, "octet 3a")
        return cls(_digits(n, data[2:], offset + 2), ton, plan, (data[1] >> 5) & 3, data[1] & 3)

    def contents(self) -> bytes:
        if self.presentation is None:
            return bytes((0x80 | self.ton << 4 | self.plan,)) + self._digits_bytes()
        return bytes((self.ton << 4 | self.plan, 0x80 | self.presentation << 5 | self.screening)) \
            + self._digits_bytes()

    @property
    def restricted(self) -> bool:
        return self.presentation == PRES_RESTRICTED


@dataclass(frozen=True)
class ConnectedNumber(CallingNumber):
    ID: ClassVar[int] = 0x4C
    NAME: ClassVar[str] = "connected number"


@dataclass(frozen=True)
class RedirectingNumber(_Number):
    ID: ClassVar[int] = 0x74
    NAME: ClassVar[str] = "redirecting number"
    presentation: int | None = None
    screening: int = SCREEN_USER_NOT_SCREENED
    reason: int | None = None           # octet 3b (0xF unconditional, 1 busy, 2 no reply ...)

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "RedirectingNumber":
        n = cls.NAME
        _need(n, data, 1, offset, "octet 3")
        ton, plan = (data[0] >> 4) & 7, data[0] & 0x0F
        if data[0] & 0x80:
            return cls(_digits(n, data[1:], offset + 1), ton, plan)
        _need(n, data, 2, offset, "octet 3a")
        pres, screen = (data[1] >> 5) & 3, data[1] & 3
        if data[1] & 0x80:
            return cls(_digits(n, data[2:], offset + 2), ton, plan, pres, screen)
        _need(n, data, 3, offset, "octet 3b")
        if not data[2] & 0x80:
            raise _err(n, "octet 3b has no extension bit set", offset + 2, "octet 3b")
        return cls(_digits(n, data[3:], offset + 3), ton, plan, pres, screen, data[2] & 0x0F)

    def contents(self) -> bytes:
        if self.presentation is None:
            return bytes((0x80 | self.ton << 4 | self.plan,)) + self._digits_bytes()
        o3a = self.presentation << 5 | self.screening
        if self.reason is None:
            return bytes((self.ton << 4 | self.plan, 0x80 | o3a)) + self._digits_bytes()
        return bytes((self.ton << 4 | self.plan, o3a, 0x80 | self.reason)) + self._digits_bytes()


@dataclass(frozen=True)
class Cause(IE):
    ID: ClassVar[int] = 0x08
    NAME: ClassVar[str] = "cause"
    value: int = 16
    location: int = LOC_USER
    coding: int = 0
    recommendation: int | None = None   # octet 3a
    diagnostics: bytes = b""

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "Cause":
        n = cls.NAME
        _need(n, data, 2, offset, "octet 4")
        coding, location = (data[0] >> 5) & 3, data[0] & 0x0F
        i, rec = 1, None
        if not data[0] & 0x80:
            rec = data[1] & 0x7F
            if not data[1] & 0x80:
                raise _err(n, "octet 3a has no extension bit set", offset + 1, "octet 3a")
            i = 2
            _need(n, data, 3, offset, "octet 4")
        if not data[i] & 0x80:
            raise _err(n, "octet 4 has no extension bit set", offset + i, "octet 4")
        return cls(data[i] & 0x7F, location, coding, rec, bytes(data[i + 1:]))

    def contents(self) -> bytes:
        o3 = self.coding << 5 | self.location
        if self.recommendation is None:
            head = bytes((0x80 | o3,))
        else:
            head = bytes((o3, 0x80 | self.recommendation))
        return head + bytes((0x80 | self.value,)) + self.diagnostics


@dataclass(frozen=True)
class ProgressIndicator(IE):
    ID: ClassVar[int] = 0x1E
    NAME: ClassVar[str] = "progress indicator"
    description: int = PROG_INBAND
    location: int = LOC_USER
    coding: int = 0

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "ProgressIndicator":
        n = cls.NAME
        _need(n, data, 2, offset, "octet 4")
        if not data[0] & 0x80 or not data[1] & 0x80:
            bad = 0 if not data[0] & 0x80 else 1
            raise _err(n, f"octet {3 + bad} has no extension bit set", offset + bad,
                       f"octet {3 + bad}")
        if len(data) != 2:
            raise _err(n, f"contents are {len(data)} octets, not 2", offset + 2, "length")
        return cls(data[1] & 0x7F, data[0] & 0x0F, (data[0] >> 5) & 3)

    def contents(self) -> bytes:
        return bytes((0x80 | self.coding << 5 | self.location, 0x80 | self.description))


@dataclass(frozen=True)
class CallState(IE):
    ID: ClassVar[int] = 0x14
    NAME: ClassVar[str] = "call state"
    value: int = 0
    coding: int = 0

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "CallState":
        if len(data) != 1:
            raise _err(cls.NAME, f"contents are {len(data)} octets, not 1", offset + min(len(data), 1),
                       "octet 3")
        return cls(data[0] & 0x3F, data[0] >> 6)

    def contents(self) -> bytes:
        return bytes((self.coding << 6 | self.value,))


@dataclass(frozen=True)
class RestartIndicator(IE):
    ID: ClassVar[int] = 0x79
    NAME: ClassVar[str] = "restart indicator"
    restart_class: int = RESTART_CHANNELS

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "RestartIndicator":
        if len(data) != 1:
            raise _err(cls.NAME, f"contents are {len(data)} octets, not 1", offset + min(len(data), 1),
                       "octet 3")
        if not data[0] & 0x80:
            raise _err(cls.NAME, "octet 3 has no extension bit set", offset, "octet 3")
        if data[0] & 0x07 not in (RESTART_CHANNELS, RESTART_INTERFACE, RESTART_ALL_INTERFACES):
            raise _err(cls.NAME, f"class {data[0] & 7} is reserved", offset, "octet 3")
        return cls(data[0] & 0x07)

    def contents(self) -> bytes:
        return bytes((0x80 | self.restart_class,))


@dataclass(frozen=True)
class Display(IE):
    ID: ClassVar[int] = 0x28
    NAME: ClassVar[str] = "display"
    text: str = ""

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "Display":
        return cls(data.decode("latin-1"))

    def contents(self) -> bytes:
        return self.text.encode("latin-1")


@dataclass(frozen=True)
class KeypadFacility(IE):
    ID: ClassVar[int] = 0x2C
    NAME: ClassVar[str] = "keypad facility"
    digits: str = ""

    @classmethod
    def decode(cls, data: bytes, offset: int) -> "KeypadFacility":
        return cls(_digits(cls.NAME, data, offset))

    def contents(self) -> bytes:
        return self.digits.encode("ascii")


KNOWN_IES: dict[int, type[IE]] = {c.ID: c for c in (
    BearerCapability, Cause, CallState, ChannelId, ProgressIndicator, Display, KeypadFacility,
    ConnectedNumber, CallingNumber, CalledNumber, RedirectingNumber, RestartIndicator)}

IE_NAMES: dict[int, str] = {
    0x00: "segmented message", 0x04: "bearer capability", 0x08: "cause", 0x10: "call identity",
    0x14: "call state", 0x18: "channel identification", 0x1C: "facility",
    0x1E: "progress indicator", 0x20: "network-specific facilities",
    0x27: "notification indicator", 0x28: "display", 0x29: "date/time", 0x2C: "keypad facility",
    0x34: "signal", 0x4C: "connected number", 0x4D: "connected subaddress",
    0x6C: "calling party number", 0x6D: "calling party subaddress", 0x70: "called party number",
    0x71: "called party subaddress", 0x74: "redirecting number", 0x76: "redirection number",
    0x78: "transit network selection", 0x79: "restart indicator",
    0x7C: "low layer compatibility", 0x7D: "high layer compatibility", 0x7E: "user-user",
    0x7F: "escape for extension",
}

AnyIE = IE | RawIE | SingleOctetIE

"""Q.931 messages as values: header (protocol discriminator, call reference,
message type) and the information elements in the order received.

``bytes(Message.parse(b)) == b`` for every message this module accepts. The
decoder is strict where Q.931 5.8 tells the receiver to act: a wrong protocol
discriminator, a call reference longer than 2 octets or a message cut before
its type are ignored by the stack (``cause is None``); a truncated element,
a length that runs past the end, an element out of ascending order (Q.931
4.5.1; single-octet elements may stand anywhere) or bad contents of a known
element answer with cause 100; a missing mandatory element with cause 96.
Every error carries ``offset`` and ``field`` and, once they were read, the
header fields, so the stack can answer on the right call reference.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Iterable, TypeVar

from firmware.telephony.isdn.errors import (
    BadCallReference, BadProtocolDiscriminator, IeOutOfOrder, InvalidIeContents,
    MandatoryIeMissing, MessageTooShort, Q931DecodeError,
)
from firmware.telephony.isdn.ie import (
    IE, KNOWN_IES, AnyIE, BearerCapability, CallState, Cause, ProgressIndicator, RawIE,
    RestartIndicator, SingleOctetIE,
)

PD_Q931 = 0x08
GLOBAL_CALL_REF = 0


class MessageType(IntEnum):
    ALERTING = 0x01
    CALL_PROCEEDING = 0x02
    PROGRESS = 0x03
    SETUP = 0x05
    CONNECT = 0x07
    SETUP_ACKNOWLEDGE = 0x0D
    CONNECT_ACKNOWLEDGE = 0x0F
    USER_INFORMATION = 0x20
    SUSPEND_REJECT = 0x21
    RESUME_REJECT = 0x22
    SUSPEND = 0x25
    RESUME = 0x26
    SUSPEND_ACKNOWLEDGE = 0x2D
    RESUME_ACKNOWLEDGE = 0x2E
    DISCONNECT = 0x45
    RESTART = 0x46
    RELEASE = 0x4D
    RESTART_ACKNOWLEDGE = 0x4E
    RELEASE_COMPLETE = 0x5A
    SEGMENT = 0x60
    FACILITY = 0x62
    NOTIFY = 0x6E
    STATUS_ENQUIRY = 0x75
    CONGESTION_CONTROL = 0x79
    INFORMATION = 0x7B
    STATUS = 0x7D

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


MT = MessageType

MANDATORY: dict[int, tuple[type[IE], ...]] = {
    MT.SETUP: (BearerCapability,),
    MT.PROGRESS: (ProgressIndicator,),
    MT.DISCONNECT: (Cause,),
    MT.RESTART: (RestartIndicator,),
    MT.RESTART_ACKNOWLEDGE: (RestartIndicator,),
    MT.STATUS: (Cause, CallState),
}

T = TypeVar("T", bound=IE)


def type_label(mtype: int) -> str:
    try:
        return MessageType(mtype).label
    except ValueError:
        return f"message type 0x{mtype:02x}"


@dataclass(frozen=True)
class Message:
    mtype: int
    call_ref: int = 0
    flag: bool = False          # call reference flag: set when sent by the side that did not allocate it
    ies: tuple[AnyIE, ...] = ()
    cr_len: int = 2

    def __post_init__(self) -> None:
        if self.cr_len not in (0, 1, 2):
            raise ValueError("a call reference has 0, 1 or 2 octets")
        limit = 1 << (8 * self.cr_len - 1) if self.cr_len else 1
        if not 0 <= self.call_ref < limit:
            raise ValueError(f"call reference {self.call_ref} does not fit {self.cr_len} octets")

    @classmethod
    def build(cls, mtype: int, call_ref: int, flag: bool, *ies: AnyIE | None) -> "Message":
        """A message with its codeset 0 elements put in ascending order (Q.931 4.5.1)."""
        present = [ie for ie in ies if ie is not None]
        ordered = sorted(present, key=lambda ie: 0x100 if isinstance(ie, SingleOctetIE) else ie.ID)
        return cls(int(mtype), call_ref, flag, tuple(ordered))

    @property
    def name(self) -> str:
        return type_label(self.mtype)

    @property
    def is_global(self) -> bool:
        return self.cr_len > 0 and self.call_ref == GLOBAL_CALL_REF

    def get(self, kind: type[T]) -> T | None:
        for ie in self.ies:
            if isinstance(ie, kind):
                return ie
        return None

    def all(self, kind: type[T]) -> list[T]:
        return [ie for ie in self.ies if isinstance(ie, kind)]

    @property
    def sending_complete(self) -> bool:
        return any(isinstance(ie, SingleOctetIE) and ie.octet == 0xA1 for ie in self.ies)

    def __bytes__(self) -> bytes:
        head = bytearray((PD_Q931, self.cr_len))
        if self.cr_len:
            cr = self.call_ref.to_bytes(self.cr_len, "big")
            head += bytes((cr[0] | (0x80 if self.flag else 0),)) + cr[1:]
        head.append(self.mtype)
        return bytes(head) + b"".join(bytes(ie) for ie in self.ies)

    def describe(self) -> str:
        cr = "global" if self.is_global else f"0x{self.call_ref:04x}{'/to-orig' if self.flag else ''}"
        return f"{self.name} cr={cr} [{', '.join(ie.NAME for ie in self.ies)}]"

    @classmethod
    def parse(cls, data: bytes, strict: bool = True) -> "Message":
        """Decode one message. ``strict=False`` is the second look the stack takes at a
        clearing message that failed: element order and mandatory elements are not
        checked and a known element with bad contents is kept raw (Q.931 5.8.6.2:
        clear the call anyway)."""
        data = bytes(data)
        n = len(data)
        if n < 1:
            raise MessageTooShort("empty Q.931 message", offset=0, field="protocol discriminator")
        if data[0] != PD_Q931:
            raise BadProtocolDiscriminator(f"protocol discriminator 0x{data[0]:02x} is not Q.931",
                                           offset=0, field="protocol discriminator")
        if n < 2:
            raise MessageTooShort("message ends before the call reference", offset=1,
                                  field="call reference length")
        if data[1] & 0xF0:
            raise BadCallReference(f"call reference length octet 0x{data[1]:02x} has spare bits set",
                                   offset=1, field="call reference length")
        cr_len = data[1] & 0x0F
        if cr_len > 2:
            raise BadCallReference(f"call reference length {cr_len} (a PRI uses 2 octets)",
                                   offset=1, field="call reference length")
        if n < 3 + cr_len:
            raise MessageTooShort("message ends before the message type", offset=n,
                                  field="call reference" if n < 2 + cr_len else "message type")
        flag, call_ref = False, 0
        if cr_len:
            flag = bool(data[2] & 0x80)
            call_ref = int.from_bytes(bytes((data[2] & 0x7F,)) + data[3:2 + cr_len], "big")
        i = 2 + cr_len
        mtype = data[i]
        header = dict(call_ref=call_ref, call_ref_flag=flag, message_type=type_label(mtype),
                      mtype=mtype)
        if mtype & 0x80:
            exc = Q931DecodeError(f"message type octet 0x{mtype:02x} has bit 8 set", offset=i,
                                  field="message type", **header)
            exc.cause = 97
            raise exc
        i += 1
        ies: list[AnyIE] = []
        codeset, locked = 0, 0
        last: dict[int, int] = {}
        while i < n:
            octet = data[i]
            if octet & 0x80:
                single = SingleOctetIE(octet)
                ies.append(single)
                i += 1
                if octet & 0xF0 == 0x90:
                    if octet & 0x08:
                        codeset = octet & 0x07          # this next element only
                    else:
                        codeset = locked = octet & 0x07
                    continue
                codeset = locked
                continue
            name = KNOWN_IES[octet].NAME if codeset == 0 and octet in KNOWN_IES \
                else RawIE(octet, b"", codeset).NAME
            if i + 1 >= n:
                raise InvalidIeContents(f"truncated {name}: no length octet", offset=i + 1,
                                        field=name, **header)
            length = data[i + 1]
            if i + 2 + length > n:
                raise InvalidIeContents(
                    f"{name} length {length} overruns the message ({n - i - 2} octets left)",
                    offset=i + 1, field=name, **header)
            if strict and octet < last.get(codeset, -1):
                raise IeOutOfOrder(f"{name} (0x{octet:02x}) after 0x{last[codeset]:02x}: "
                                   "information elements out of ascending order",
                                   offset=i, field=name, **header)
            last[codeset] = octet
            body = data[i + 2:i + 2 + length]
            if codeset == 0 and octet in KNOWN_IES:
                try:
                    ies.append(KNOWN_IES[octet].decode(body, i + 2))
                except InvalidIeContents as exc:
                    if strict:
                        exc.context.update(header)
                        raise
                    ies.append(RawIE(octet, body, codeset))
            else:
                ies.append(RawIE(octet, body, codeset))
            i += 2 + length
            codeset = locked
        msg = cls(mtype, call_ref, flag, tuple(ies), cr_len)
        if strict:
            for kind in MANDATORY.get(mtype, ()):
                if msg.get(kind) is None:
                    raise MandatoryIeMissing(f"{msg.name} without its mandatory {kind.NAME}",
                                             offset=n, field=kind.NAME, **header)
        return msg


def ies_named(ies: Iterable[AnyIE]) -> list[str]:
    return [ie.NAME for ie in ies]

"""Q.921 (LAPD) frames as values: address, control, information.

A frame here is what the card's HDLC controller hands over: no flags, no FCS
(the framer checks and strips it). Modulo 128 as Q.921 uses on SAPI 0: I and
S frames have two control octets, U frames one. ``bytes(LapdFrame.parse(b)) == b``
for every frame this module accepts.

C/R (Q.921 3.3.2): the user side sends commands with C/R = 0 and responses
with C/R = 1, the network side the opposite; ``command_cr``/``is_command``
do that arithmetic so callers speak of commands and responses, not bits.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from firmware.telephony.isdn.errors import LapdDecodeError

N201 = 260          # longest information field (Q.921 5.9.3)


class Role(str, Enum):
    USER = "user"
    NETWORK = "network"

    @property
    def peer(self) -> "Role":
        return Role.NETWORK if self is Role.USER else Role.USER


class Kind(str, Enum):
    I = "I"
    RR = "RR"
    RNR = "RNR"
    REJ = "REJ"
    SABME = "SABME"
    DM = "DM"
    UI = "UI"
    DISC = "DISC"
    UA = "UA"
    FRMR = "FRMR"
    XID = "XID"


S_CODES = {Kind.RR: 0x01, Kind.RNR: 0x05, Kind.REJ: 0x09}
U_CODES = {Kind.SABME: 0x6F, Kind.DM: 0x0F, Kind.UI: 0x03, Kind.DISC: 0x43,
           Kind.UA: 0x63, Kind.FRMR: 0x87, Kind.XID: 0xAF}
_S_BY_CODE = {v: k for k, v in S_CODES.items()}
_U_BY_CODE = {v: k for k, v in U_CODES.items()}
_U_WITH_INFO = (Kind.UI, Kind.FRMR, Kind.XID)


def command_cr(sender: Role, command: bool) -> int:
    """The C/R bit a frame from ``sender`` carries (Q.921 table 1)."""
    return int(command) if sender is Role.NETWORK else int(not command)


def is_command(sender: Role, cr: int) -> bool:
    return bool(cr) if sender is Role.NETWORK else not cr


@dataclass(frozen=True)
class LapdFrame:
    kind: Kind
    sapi: int = 0
    tei: int = 0
    cr: int = 0
    pf: bool = False
    ns: int = 0            # I frames
    nr: int = 0            # I and S frames
    info: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.sapi < 64 or not 0 <= self.tei < 128 or self.cr not in (0, 1):
            raise ValueError(f"LAPD address out of range: SAPI {self.sapi} TEI {self.tei} C/R {self.cr}")
        if not 0 <= self.ns < 128 or not 0 <= self.nr < 128:
            raise ValueError(f"LAPD sequence number out of range: N(S) {self.ns} N(R) {self.nr}")
        if self.info and self.kind is not Kind.I and self.kind not in _U_WITH_INFO:
            raise ValueError(f"a {self.kind.value} frame has no information field")

    @classmethod
    def parse(cls, data: bytes) -> "LapdFrame":
        n = len(data)
        if n < 3:
            raise LapdDecodeError("LAPD frame shorter than address + control", offset=n,
                                  field="control" if n == 2 else "address")
        a0, a1 = data[0], data[1]
        if a0 & 0x01 or not a1 & 0x01:
            raise LapdDecodeError("LAPD address extension bits wrong", offset=0 if a0 & 1 else 1,
                                  field="address EA")
        sapi, cr, tei = a0 >> 2, (a0 >> 1) & 1, a1 >> 1
        c0 = data[2]
        if c0 & 0x01 == 0:                      # I frame
            if n < 4:
                raise LapdDecodeError("I frame truncated in control", offset=n, field="control")
            info = bytes(data[4:])
            if len(info) > N201:
                raise LapdDecodeError("I frame information longer than N201", offset=4 + N201,
                                      field="information")
            return cls(Kind.I, sapi, tei, cr, bool(data[3] & 1), c0 >> 1, data[3] >> 1, info)
        if c0 & 0x03 == 0x01:                   # S frame
            kind = _S_BY_CODE.get(c0)
            if kind is None:
                raise LapdDecodeError(f"unknown supervisory function 0x{c0:02x}", offset=2,
                                      field="control")
            if n < 4:
                raise LapdDecodeError("S frame truncated in control", offset=n, field="control")
            if n > 4:
                raise LapdDecodeError(f"{kind.value} frame with an information field", offset=4,
                                      field="information")
            return cls(kind, sapi, tei, cr, bool(data[3] & 1), 0, data[3] >> 1)
        kind = _U_BY_CODE.get(c0 & ~0x10)
        if kind is None:
            raise LapdDecodeError(f"unknown unnumbered function 0x{c0:02x}", offset=2, field="control")
        info = bytes(data[3:])
        if info and kind not in _U_WITH_INFO:
            raise LapdDecodeError(f"{kind.value} frame with an information field", offset=3,
                                  field="information")
        if len(info) > N201:
            raise LapdDecodeError("UI frame information longer than N201", offset=3 + N201,
                                  field="information")
        return cls(kind, sapi, tei, cr, bool(c0 & 0x10), info=info)

    def __bytes__(self) -> bytes:
        head = bytes(((self.sapi << 2) | (self.cr << 1), (self.tei << 1) | 1))
        pf = int(self.pf)
        if self.kind is Kind.I:
            return head + bytes((self.ns << 1, (self.nr << 1) | pf)) + self.info
        if self.kind in S_CODES:
            return head + bytes((S_CODES[self.kind], (self.nr << 1) | pf))
        return head + bytes((U_CODES[self.kind] | (pf << 4),)) + self.info

    def describe(self, sender: Role | None = None) -> str:
        """``I N(S)=3 N(R)=2 P=0`` style, with command/response when the sender is known."""
        bit = "P" if sender is None or is_command(sender, self.cr) else "F"
        if sender is not None and self.kind in (Kind.SABME, Kind.DISC, Kind.I, Kind.UI):
            bit = "P"
        elif sender is not None and self.kind in (Kind.UA, Kind.DM, Kind.FRMR):
            bit = "F"
        parts = [self.kind.value]
        if self.kind is Kind.I:
            parts.append(f"N(S)={self.ns}")
        if self.kind is Kind.I or self.kind in S_CODES:
            parts.append(f"N(R)={self.nr}")
        parts.append(f"{bit}={int(self.pf)}")
        if sender is not None and self.kind in S_CODES:
            parts.append("cmd" if is_command(sender, self.cr) else "resp")
        if self.info:
            parts.append(f"({len(self.info)} octets)")
        return " ".join(parts)

"""One 20 ms frame of one E1 timeslot, as it crosses the simulated card's timeslot door.

The door (:mod:`drivers.sim.timeslot_door`) carries a voice timeslot to an
external R2 stack, which needs both halves of an R2 call at once: the
channel's ABCD bits from TS16 and the interregister tones in the channel's own
audio. Both directions use the same fixed 164-octet packet
(docs/r2.md#the-timeslot-socket-packet):

====== ======================================================================
octet  content
====== ======================================================================
0      ``0x10``: version 1 (high nibble), type 0 "CAS + voice" (low nibble)
1      the sender's transmit ABCD bits in the low nibble (A = bit 3 ... D =
       bit 0), high nibble 0; repeated in every frame
2-3    sequence number, big-endian, 0 at connection, +1 per frame (wraps)
4-163  160 A-law samples as they travel on the E1 (silence ``0xD5``)
====== ======================================================================
"""
from __future__ import annotations

from dataclasses import dataclass

from acd_core.errors import DecodeError

VERSION = 1
TYPE_CAS_VOICE = 0
HEADER = 4
SAMPLES = 160
FRAME_OCTETS = HEADER + SAMPLES
ALAW_SILENCE = 0xD5
SILENCE = bytes([ALAW_SILENCE]) * SAMPLES
SEQ_MODULO = 1 << 16


class FrameDecodeError(DecodeError):
    """A timeslot packet that is not a valid frame; ``field`` and ``offset`` say where."""


@dataclass(frozen=True)
class TimeslotFrame:
    abcd: int
    seq: int
    audio: bytes = SILENCE

    def __post_init__(self) -> None:
        if not 0 <= self.abcd <= 0xF:
            raise ValueError(f"ABCD bits are 0-15, not {self.abcd!r}")
        if not 0 <= self.seq < SEQ_MODULO:
            raise ValueError(f"sequence number is 0-65535, not {self.seq!r}")
        if len(self.audio) != SAMPLES:
            raise ValueError(f"a frame carries {SAMPLES} A-law samples, not {len(self.audio)}")

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> "TimeslotFrame":
        if len(data) != FRAME_OCTETS:
            raise FrameDecodeError(f"timeslot frame is {len(data)} octets, expected {FRAME_OCTETS}",
                                   field="length", offset=min(len(data), FRAME_OCTETS))
        version, kind = data[0] >> 4, data[0] & 0x0F
        if version != VERSION:
            raise FrameDecodeError(f"timeslot frame version {version}, expected {VERSION}",
                                   field="version", offset=0)
        if kind != TYPE_CAS_VOICE:
            raise FrameDecodeError(f"timeslot frame type {kind}, expected {TYPE_CAS_VOICE} "
                                   "(CAS + voice)", field="type", offset=0)
        if data[1] & 0xF0:
            raise FrameDecodeError(f"ABCD octet 0x{data[1]:02X} has high-nibble bits set",
                                   field="abcd", offset=1)
        return cls(data[1], (data[2] << 8) | data[3], bytes(data[HEADER:]))

    def __bytes__(self) -> bytes:
        return bytes((VERSION << 4 | TYPE_CAS_VOICE, self.abcd, self.seq >> 8, self.seq & 0xFF)) \
            + self.audio


def next_seq(seq: int) -> int:
    return (seq + 1) % SEQ_MODULO

"""HDLC on a TDM bit stream: flags, zero-bit stuffing, CRC-16 FCS, aborts.

This is the line side of the framer's HDLC controller (and of a far end that
runs its D-channel in software, like DAHDI ``dchan`` or osmo-e1d ``HDLCFCS``).
Bits of a timeslot go out most significant first; inside an HDLC octet the least
significant bit goes first (ISO 13239). FCS: CRC-16/X.25 (reflected 0x8408,
init 0xFFFF, complemented, sent low byte first), good residue 0xF0B8.

The encoder streams: a frame may be handed over in pieces (the FIFO's 32-byte
blocks) and is closed with ``end_frame()``; if the line needs a bit of an
unfinished frame and none is there the frame is aborted (7 ones) and
``underruns`` counts it, which is what a FIFO underrun (XDU) does on the wire.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable

from drivers.sim.steady import StateTable

FLAG_BITS = (0, 1, 1, 1, 1, 1, 1, 0)
ABORT_BITS = (1, 1, 1, 1, 1, 1, 1, 1)
GOOD_RESIDUE = 0xF0B8


def _fcs_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_FCS = _fcs_table()


def fcs16(data: bytes, crc: int = 0xFFFF) -> int:
    """Running CRC (not complemented); the FCS to send is ``fcs16(data) ^ 0xFFFF``."""
    for b in data:
        crc = (crc >> 8) ^ _FCS[(crc ^ b) & 0xFF]
    return crc


def with_fcs(payload: bytes) -> bytes:
    fcs = fcs16(payload) ^ 0xFFFF
    return payload + bytes([fcs & 0xFF, fcs >> 8])


def fcs_ok(frame_with_fcs: bytes) -> bool:
    return len(frame_with_fcs) >= 3 and fcs16(frame_with_fcs) == GOOD_RESIDUE


_BYTE_BITS = [tuple((b >> i) & 1 for i in range(8)) for b in range(256)]  # LSB first


class _Pending:
    __slots__ = ("data", "complete")

    def __init__(self, data: bytes, complete: bool) -> None:
        self.data = bytearray(data)
        self.complete = complete


class HdlcEncoder:
    """Frames in (whole, or streamed block by block), line octets out (``take(n)``)."""

    def __init__(self, idle_flags: bool = True, fcs: bool = True) -> None:
        self.idle_flags = idle_flags
        self.fcs = fcs
        self._bits: deque[int] = deque()
        self._queue: deque[_Pending] = deque()   # head = frame on the wire (or next)
        self._in_frame = False
        self._crc = 0xFFFF
        self._ones = 0
        self.underruns = 0
        self.frames_sent = 0
        self.on_frame_sent: Callable[[], None] | None = None

    # --- producer side ------------------------------------------------------
    def send(self, frame: bytes) -> None:
        """Queue a whole frame (the FCS is added on the wire when ``fcs``)."""
        self._queue.append(_Pending(frame, True))

    def feed(self, chunk: bytes, end: bool) -> None:
        """Stream a piece of a frame (a FIFO block); ``end`` closes the frame."""
        if self._queue and not self._queue[-1].complete:
            tail = self._queue[-1]
            tail.data += chunk
            tail.complete = end
        else:
            self._queue.append(_Pending(chunk, end))

    def reset(self) -> None:
        self._queue.clear()
        if self._in_frame:
            self._bits.extend(ABORT_BITS)
            self._bits.extend(FLAG_BITS)
        self._in_frame = False

    @property
    def pending_octets(self) -> int:
        """Octets handed over but not yet in the shift register."""
        return sum(len(p.data) for p in self._queue)

    @property
    def busy(self) -> bool:
        return self._in_frame or bool(self._queue)

    # --- line side ------------------------------------------------------------
    def _push_octet(self, b: int) -> None:
        bits = self._bits
        ones = self._ones
        for bit in _BYTE_BITS[b]:
            bits.append(bit)
            if bit:
                ones += 1
                if ones == 5:
                    bits.append(0)
                    ones = 0
            else:
                ones = 0
        self._ones = ones

    def _refill(self) -> None:
        """Put at least 8 bits in the shift register."""
        while len(self._bits) < 8:
            if not self._in_frame:
                if not self._queue:
                    self._bits.extend(FLAG_BITS if self.idle_flags else ABORT_BITS)
                    continue
                if not self._bits or not self.idle_flags:
                    self._bits.extend(FLAG_BITS)          # opening flag
                self._in_frame = True
                self._crc = 0xFFFF
                self._ones = 0
                continue
            head = self._queue[0] if self._queue else None
            if head is not None and head.data:
                data = bytes(head.data)
                head.data.clear()
                if self.fcs:
                    self._crc = fcs16(data, self._crc)
                for b in data:
                    self._push_octet(b)
            elif head is not None and head.complete:
                self._queue.popleft()
                if self.fcs:
                    f = self._crc ^ 0xFFFF
                    self._push_octet(f & 0xFF)
                    self._push_octet(f >> 8)
                self._bits.extend(FLAG_BITS)              # closing flag
                self._in_frame = False
                self.frames_sent += 1
                if self.on_frame_sent is not None:
                    self.on_frame_sent()
            else:  # the line wants a bit of an unfinished frame: underrun, abort it
                if head is not None:
                    self._queue.popleft()
                self.underruns += 1
                self._bits.extend(ABORT_BITS)
                self._bits.extend(FLAG_BITS)
                self._in_frame = False

    def _idle_octet(self) -> int | None:
        """The octet idle fill produces from here on, if the shift register is in step with it."""
        if self._in_frame or self._queue:
            return None
        fill = FLAG_BITS if self.idle_flags else ABORT_BITS
        r = len(self._bits)
        if r >= 8 or tuple(self._bits) != fill[8 - r:]:
            return None
        v = 0
        for bit in fill[8 - r:] + fill[:8 - r]:
            v = (v << 1) | bit
        return v

    def take(self, n: int) -> bytes:
        idle = self._idle_octet()
        if idle is not None:      # idle fill repeats one octet (a rotated flag): no bit work
            return bytes([idle]) * n
        out = bytearray(n)
        bits = self._bits
        for i in range(n):
            if len(bits) < 8:
                self._refill()
            v = 0
            for _ in range(8):
                v = (v << 1) | bits.popleft()
            out[i] = v
        return bytes(out)


ENCODER_STATE = StateTable(
    "HdlcEncoder",
    key=("idle_flags", "fcs", "_in_frame", "_crc", "_ones", "underruns", "on_frame_sent"),
    copied={"_bits": tuple, "_queue": lambda q: tuple((bytes(p.data), p.complete) for p in q)},
    events=("frames_sent",),
    ignored={})


@dataclass
class ReceivedFrame:
    data: bytes            # octets between the flags (FCS included)
    aborted: bool = False
    valid: bool = True     # a whole number of octets
    fcs_good: bool = False


class HdlcDecoder:
    """Line octets in; frames out through ``on_octet``/``on_end`` (streaming) or ``frames``."""

    def __init__(self, min_octets: int = 3) -> None:
        self.min_octets = min_octets
        self._ones = 0
        self._hunting = True
        self._acc = 0
        self._nbits = 0
        self._buf = bytearray()
        self.frames: deque[ReceivedFrame] = deque()
        self.on_octet: Callable[[int], None] | None = None
        self.on_end: Callable[[ReceivedFrame], None] | None = None
        self.aborts = 0
        self.bad_fcs = 0
        self._outputs = 0
        self._stored = 0
        self._stationary: set[tuple[int, int, bool, int, int]] = set()

    @property
    def idle(self) -> bool:
        return self._hunting or (not self._buf and self._nbits == 0)

    @property
    def in_frame(self) -> bool:
        """Octets of a frame received and not yet closed."""
        return bool(self._buf)

    def _close(self, aborted: bool) -> None:
        if self._nbits == 8 and not aborted:
            self._store()
        data = bytes(self._buf)
        self._buf.clear()
        valid = self._nbits == 0
        self._acc = 0
        self._nbits = 0
        if not data and not aborted:
            return
        if len(data) < self.min_octets and not aborted and self.on_octet is None:
            return  # runt between flags: ignored
        # (when octets are streamed out as they arrive, a runt must still be closed,
        # as an invalid frame, so the receiver can drop what it already took)
        valid = valid and len(data) >= self.min_octets
        frame = ReceivedFrame(data, aborted=aborted, valid=valid and not aborted,
                              fcs_good=(not aborted and valid and fcs_ok(data)))
        if aborted:
            self.aborts += 1
        elif not frame.fcs_good:
            self.bad_fcs += 1
        self._outputs += 1
        if self.on_end is not None:
            self.on_end(frame)
        else:
            self.frames.append(frame)

    def _state(self) -> tuple[int, bool, int, int]:
        return (self._ones, self._hunting, self._acc, self._nbits)

    def feed(self, octets: bytes) -> None:
        still = self._stationary
        for b in octets:
            if not self._buf:
                before = (b, *self._state())
                if before in still:   # this octet leaves the idle state as it was (flag fill)
                    continue
                out = (self._outputs, self._stored)
                self._bits_of(b)
                if (self._outputs, self._stored) == out and (b, *self._state()) == before:
                    if len(still) > 64:
                        still.clear()
                    still.add(before)
            else:
                self._bits_of(b)

    def _bits_of(self, b: int) -> None:
        for shift in range(7, -1, -1):
            if (b >> shift) & 1:
                self._ones += 1
                if self._ones >= 7:
                    if not self._hunting and (self._buf or self._nbits > 1):
                        self._close(aborted=True)
                    self._hunting = True
                    self._buf.clear()
                    self._acc = 0
                    self._nbits = 0
                continue
            ones = self._ones
            self._ones = 0
            if ones == 6:  # a flag: 0 111111 0
                if not self._hunting:
                    if self._nbits > 0:   # the flag's leading zero was taken as data
                        self._nbits -= 1
                        self._acc &= (1 << self._nbits) - 1
                    self._close(aborted=False)
                self._hunting = False
                self._acc = 0
                self._nbits = 0
                continue
            if self._hunting:
                continue
            for _ in range(ones):
                self._add_bit(1)
            if ones != 5:  # after five ones a zero is stuffing
                self._add_bit(0)

    def _add_bit(self, bit: int) -> None:
        # an octet is only stored when the next bit arrives, so that a flag's
        # leading zero can still be taken back
        if self._nbits == 8:
            self._store()
        self._acc |= bit << self._nbits
        self._nbits += 1

    def _store(self) -> None:
        self._stored += 1
        self._buf.append(self._acc)
        if self.on_octet is not None:
            self.on_octet(self._acc)
        self._acc = 0
        self._nbits = 0


DECODER_STATE = StateTable(
    "HdlcDecoder",
    key=("min_octets", "_hunting", "_acc", "_nbits", "on_octet", "on_end", "aborts", "bad_fcs"),
    copied={"_buf": bytes, "frames": tuple},
    saturating={"_ones": 7},       # seven ones or more: hunting, whatever the count
    events=("_outputs", "_stored"),
    ignored={"_stationary": "a memo of octets that leave the idle state as it was; "
                            "it only saves work and never changes what feed() does"})

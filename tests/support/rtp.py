"""Caller audio for sipp: one coherent PCMA RTP stream written as a pcap.

sipp's ``play_pcap_audio`` sends a pcap's RTP packets as they are (it rewrites
only ports and checksums), so the test builds the whole call's stream itself:
one SSRC, continuous sequence numbers and timestamps, 20 ms pacing, with the
digit either as RFC 4733 telephone-event packets or as in-band tones. G.711 is
encoded with CPython's ``audioop`` so the test's oracle is not our own codec.
"""
from __future__ import annotations

import math
import struct
import warnings
from dataclasses import dataclass, field

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402  (deprecated in 3.11, still the independent oracle)

RATE = 8000
FRAME = 160
DTMF_FREQS = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
    "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
}
EVENT_CODES = {**{str(i): i for i in range(10)}, "*": 10, "#": 11,
               "A": 12, "B": 13, "C": 14, "D": 15}
PT_PCMA = 8
PT_EVENT = 101


def tone(freqs: tuple[float, ...], seconds: float, amplitude: float = 0.25) -> bytes:
    """PCM16LE samples of a sum of sines, each at ``amplitude`` of full scale."""
    n = int(seconds * RATE)
    out = bytearray()
    for i in range(n):
        v = sum(math.sin(2 * math.pi * f * i / RATE) for f in freqs) * amplitude * 32767
        out += struct.pack("<h", int(max(-32767, min(32767, v))))
    return bytes(out)


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(seconds * RATE)


@dataclass
class RtpStream:
    ssrc: int = 0x1234ABCD
    seq: int = 1000
    ts: int = 0
    t: float = 0.0
    packets: list[tuple[float, bytes]] = field(default_factory=list)

    def _packet(self, pt: int, payload: bytes, marker: bool = False, ts: int | None = None) -> None:
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, self.seq & 0xFFFF,
                             (self.ts if ts is None else ts) & 0xFFFFFFFF, self.ssrc)
        self.packets.append((self.t, header + payload))
        self.seq += 1
        self.t += 0.020

    def audio(self, pcm16: bytes) -> "RtpStream":
        alaw = audioop.lin2alaw(pcm16, 2)
        for off in range(0, len(alaw) - FRAME + 1, FRAME):
            self._packet(PT_PCMA, alaw[off:off + FRAME])
            self.ts += FRAME
        return self

    def event(self, digit: str, seconds: float = 0.1) -> "RtpStream":
        """RFC 4733: same timestamp for the whole event, growing duration, 3 end packets."""
        code = EVENT_CODES[digit]
        start = self.ts
        frames = max(1, int(seconds * RATE) // FRAME)
        for k in range(1, frames + 1):
            self._packet(PT_EVENT, struct.pack("!BBH", code, 10, k * FRAME),
                         marker=(k == 1), ts=start)
        for _ in range(3):
            self.packets.append((self.t, struct.pack("!BBHII", 0x80, PT_EVENT, self.seq & 0xFFFF,
                                                     start, self.ssrc)
                                 + struct.pack("!BBH", code, 0x80 | 10, frames * FRAME)))
            self.seq += 1
        self.t += 0.020
        self.ts += frames * FRAME + FRAME
        return self

    def inband(self, digit: str, seconds: float = 0.1) -> "RtpStream":
        return self.audio(tone(DTMF_FREQS[digit], seconds, amplitude=0.2))

    def pcap(self) -> bytes:
        """Ethernet/IPv4/UDP pcap; addresses are placeholders sipp rewrites."""
        out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, rtp in self.packets:
            udp = struct.pack("!HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
            frame = b"\x00" * 12 + b"\x08\x00" + ip + udp
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            out += struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame
        return bytes(out)

"""D-channel capture to pcap, LINKTYPE_LINUX_LAPD (177), for Wireshark/tshark.

Each record carries the 16-octet pseudo-header Linux mISDN used (the layout
of the "cooked" SLL header): packet type 4 (PACKET_OUTGOING) for a frame we
sent, 0 (PACKET_HOST) for one we received; ARPHRD_LAPD (8445); address
length 1 with address octet 0 = 1 when we are the network side; protocol
ETH_P_LAPD (0x0030). From packet type and that octet the dissector knows
which side sent the frame, hence whether C/R marks a command or a response.
The frame itself is as on the HDLC path: address, control, information, no FCS.
"""
from __future__ import annotations

import struct
import time
from typing import BinaryIO, Callable

LINKTYPE_LINUX_LAPD = 177
ARPHRD_LAPD = 8445
ETH_P_LAPD = 0x0030
PACKET_HOST = 0
PACKET_OUTGOING = 4


class LapdPcapWriter:
    """Append frames to an open binary file; the caller owns and closes it."""

    def __init__(self, out: BinaryIO, we_network: bool,
                 wall: Callable[[], float] = time.time) -> None:
        self.out = out
        self.we_network = we_network
        self.wall = wall
        self.frames = 0
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_LINUX_LAPD))

    def write(self, frame: bytes, outgoing: bool) -> None:
        now = self.wall()
        sec = int(now)
        usec = int((now - sec) * 1_000_000)
        pseudo = struct.pack(">HHH8sH", PACKET_OUTGOING if outgoing else PACKET_HOST, ARPHRD_LAPD,
                             1, bytes((1 if self.we_network else 0,)) + bytes(7), ETH_P_LAPD)
        record = pseudo + bytes(frame)
        self.out.write(struct.pack("<IIII", sec, usec, len(record), len(record)) + record)
        self.out.flush()
        self.frames += 1

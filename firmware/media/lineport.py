"""A port leg's audio in the node: a line's 20 ms A-law frames on a datagram socket.

An E1 B-channel, an R2 timeslot or an analog port has no SIP dialog: its audio
is the card's TDM timeslot, which the daemon reads (``drivers.tdm_switch``).
The daemon relays each 20 ms frame (160 A-law octets) to the node hosting the
line's conversation over a Unix datagram socket pair (abstract addresses, one
per port leg); ``LinePort`` is that leg's port on the conference bridge, so
players, bridges, recorders and the in-band DTMF tap treat it as any call.

Runs on the bridge's clock thread like ``frames.FrameTap``: it only moves
bytes (no pjsua2 call). Frames from the line wait in a short queue (at most
``MAX_QUEUED`` frames, 80 ms: the oldest is dropped so delay cannot grow;
after running dry it waits for ``PRIME`` frames, a 20 ms jitter margin);
what the bridge gives the port is sent back at once, never blocking.
"""
from __future__ import annotations

import collections
import socket
from typing import Any

import pjsua2 as pj

from acd_core.g711 import alaw_to_linear, linear_to_alaw
from firmware.media.frames import FRAME_BYTES, vec_bytes
from firmware.media.protocol import sockaddr

ALAW_FRAME = 160             # octets of one 20 ms frame on the line
MAX_QUEUED = 4
PRIME = 2                    # frames queued before playing out again after running dry


def node_address(node: int, pid: int, leg: int) -> str:
    """The node side's socket address for port leg ``leg`` (``@``: abstract)."""
    return f"@callbox-node{node}-{pid}-port{leg}"


class LinePort(pj.AudioMediaPort):
    def __init__(self, address: str, peer: str) -> None:
        super().__init__()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(sockaddr(address))
        self.sock.setblocking(False)
        self.address = address
        self.peer = sockaddr(peer)
        self.queue: collections.deque[bytes] = collections.deque()
        self.frames_in = self.frames_out = self.dropped = self.send_errors = 0
        self.underruns = 0
        self._primed = False

    def _drain(self) -> None:
        while True:
            try:
                data = self.sock.recv(512)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if len(data) != ALAW_FRAME:
                self.dropped += 1
                continue
            self.queue.append(data)
            while len(self.queue) > MAX_QUEUED:
                self.queue.popleft()
                self.dropped += 1

    def onFrameRequested(self, frame: Any) -> None:  # noqa: N802 - pjsua2 name
        self._drain()
        if not self._primed and len(self.queue) >= PRIME:
            self._primed = True
        if not self._primed or not self.queue:
            if self._primed:
                self.underruns += 1
            self._primed = False
            frame.type = pj.PJMEDIA_FRAME_TYPE_NONE
            frame.size = 0
            return
        self.frames_in += 1
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = pj.ByteVector(alaw_to_linear(self.queue.popleft()))
        frame.size = FRAME_BYTES

    def onFrameReceived(self, frame: Any) -> None:  # noqa: N802 - pjsua2 name
        if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO or not frame.size:
            return
        try:
            self.sock.sendto(linear_to_alaw(vec_bytes(frame.buf)), self.peer)
            self.frames_out += 1
        except OSError:          # the daemon's end is gone or full: the frame is dropped
            self.send_errors += 1

    def close(self) -> None:
        self.sock.close()

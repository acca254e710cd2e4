"""Bridge the simulated span's D-channel to a Unix SOCK_SEQPACKET socket.

One packet = one LAPD frame as Q.921 sees it: address (2 octets), control (1-2
octets), information; no flags, no FCS. The bridge listens on the configured
path (``[e1.sim] dchannel_socket``) and takes one peer at a time (an external
ISDN stack such as ``tools/pri_peer`` with libpri). Packets from the peer are
sent by the simulated exchange on TS16 (flags, bit stuffing, FCS on the wire);
good frames the exchange receives from our framer go to the peer. It runs
inside the cable's time steps (``E1Cable.hooks``), so it needs no thread.
"""
from __future__ import annotations

import errno
import logging
import os
import socket
from collections import deque
from dataclasses import dataclass

from acd_core.errors import DecodeError
from drivers.errors import DriverError
from drivers.sim import listen_path
from drivers.sim.e1cable import ExchangeSim

log = logging.getLogger(__name__)
MAX_FRAME = 4096


@dataclass(frozen=True)
class LapdFrame:
    """Address, control, payload of one Q.921 frame (modulo-128 I/S frames have 2 control octets)."""

    address: bytes
    control: bytes
    payload: bytes = b""

    @classmethod
    def parse(cls, data: bytes) -> "LapdFrame":
        if len(data) < 3:
            raise DecodeError("LAPD frame shorter than address + control", offset=len(data),
                              field="control")
        if data[0] & 0x01 or not data[1] & 0x01:
            raise DecodeError("LAPD address extension bits wrong", offset=0, field="address")
        clen = 1 if data[2] & 0x03 == 0x03 else 2
        if len(data) < 2 + clen:
            raise DecodeError("LAPD frame truncated in control", offset=len(data), field="control")
        return cls(bytes(data[:2]), bytes(data[2:2 + clen]), bytes(data[2 + clen:]))

    def __bytes__(self) -> bytes:
        return self.address + self.control + self.payload

    @property
    def sapi(self) -> int:
        return self.address[0] >> 2

    @property
    def tei(self) -> int:
        return self.address[1] >> 1


class DChannelBridge:
    def __init__(self, exchange: ExchangeSim, path: str) -> None:
        self.exchange = exchange
        self.path = path
        self._listener = listen_path.listen(path, part="dchannel")
        self._peer: socket.socket | None = None
        self._to_peer: deque[bytes] = deque(maxlen=256)
        self.frames_in = 0
        self.frames_out = 0
        self.dropped = 0
        self.bad_packets = 0
        exchange.on_frame = self._from_line

    def _from_line(self, frame: bytes) -> None:
        self._to_peer.append(frame)

    def pump(self) -> None:
        """Accept a peer, move packets both ways; never blocks."""
        if self._peer is None:
            try:
                self._peer, _ = self._listener.accept()
                self._peer.setblocking(False)
                log.info("dchannel bridge peer connected path=%s", self.path)
            except (BlockingIOError, InterruptedError):
                pass
        peer = self._peer
        if peer is None:
            if self._to_peer:
                self.dropped += len(self._to_peer)
                self._to_peer.clear()
            return
        while True:
            try:
                pkt = peer.recv(MAX_FRAME + 1)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self._drop_peer(exc)
                return
            if not pkt:
                self._drop_peer(None)
                return
            if not 3 <= len(pkt) <= MAX_FRAME:
                # a runt cannot be LAPD; an oversize packet was cut by recv: never send either
                self.bad_packets += 1
                log.warning("dchannel bridge dropped a %s-octet packet path=%s",
                            len(pkt) if len(pkt) <= MAX_FRAME else f">{MAX_FRAME}", self.path)
                continue
            self.exchange.send(pkt)
            self.frames_in += 1
        while self._to_peer:
            try:
                peer.send(self._to_peer[0])
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self._drop_peer(exc)
                return
            self._to_peer.popleft()
            self.frames_out += 1

    def _drop_peer(self, exc: OSError | None) -> None:
        if exc is not None and exc.errno not in (errno.ECONNRESET, errno.EPIPE):
            log.warning("dchannel bridge peer error path=%s: %s", self.path, exc)
        log.info("dchannel bridge peer gone path=%s", self.path)
        if self._peer is not None:
            self._peer.close()
        self._peer = None

    def close(self) -> None:
        if self._peer is not None:
            self._peer.close()
            self._peer = None
        self._listener.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

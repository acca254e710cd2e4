"""A line's audio between the card's TDM timeslot and the media node's port leg.

The card's switch (``drivers.tdm_switch.TdmSwitch``) hands a listened timeslot's
received A-law to a callback in 160-octet (20 ms) chunks, in the thread that
moves the highway; each chunk goes straight to the node's port socket (one
non-blocking ``sendto``: nothing waits on the loop). What the node sends back
arrives on this relay's own datagram socket, read on the daemon loop, and is
queued on the timeslot; the queue is kept under ``MAX_QUEUED`` octets (60 ms)
so a late reader cannot build delay. Addresses are abstract Unix socket
names: nothing is left on disk, no path length to check.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
from typing import Callable, Protocol

from firmware.media.protocol import sockaddr

log = logging.getLogger("callbox.lines.relay")

FRAME = 160                # A-law octets in 20 ms
MAX_QUEUED = 3 * FRAME

_serial = itertools.count(1)


class Switch(Protocol):
    def listen(self, slot: int, listener: Callable[[bytes], None] | None) -> None: ...

    def send(self, slot: int, alaw: bytes) -> None: ...

    def queued(self, slot: int) -> int: ...

    def flush(self, slot: int) -> None: ...


def relay_address(label: str) -> str:
    """A fresh abstract address (``@``: see ``firmware.media.lineport.sockaddr``)."""
    return f"@callbox-{os.getpid()}-line-{label}-{next(_serial)}"


class TdmRelay:
    """One timeslot <-> one port leg. ``open`` before the port leg is made (its address
    goes in the ``port`` command), ``connect`` once the node named its own, ``close``
    when the call is over."""

    def __init__(self, switch: Switch, slot: int, label: str,
                 also: Callable[[bytes], None] | None = None,
                 restore: Callable[[bytes], None] | None = None) -> None:
        """``also``: another consumer of the slot's chunks while the call lasts (an analog
        line's own detectors: busy tone, polarity-less clearing); ``restore``: the slot's
        listener before the call, given back at ``close``."""
        self.switch = switch
        self.slot = slot
        self.also = also
        self.restore = restore
        self.address = relay_address(label)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(sockaddr(self.address))
        self.sock.setblocking(False)
        self.peer: str | None = None
        self.to_node = self.to_line = self.dropped = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def move(self, slot: int) -> None:
        """The call's channel changed (the network named another B-channel)."""
        if slot == self.slot:
            return
        if self.peer is not None:
            self.switch.listen(self.slot, None)
            self.switch.flush(self.slot)
            self.switch.listen(slot, self._from_line)
        self.slot = slot

    def connect(self, node_address: str) -> None:
        self.peer = sockaddr(node_address)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.sock.fileno(), self._from_node)
        self.switch.listen(self.slot, self._from_line)

    def _from_line(self, chunk: bytes) -> None:
        """Drivers' (or TDM) thread: one 20 ms chunk of the timeslot."""
        if self.also is not None:
            self.also(chunk)
        peer = self.peer
        if peer is None:
            return
        try:
            self.sock.sendto(chunk, peer)
            self.to_node += 1
        except OSError:          # the node's port is gone or full: this frame is lost
            self.dropped += 1

    def _from_node(self) -> None:
        while True:
            try:
                data = self.sock.recv(512)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("line relay read failed slot=%d error=%s", self.slot, exc)
                return
            if self.switch.queued(self.slot) > MAX_QUEUED:
                self.dropped += 1
                continue
            self.switch.send(self.slot, data)
            self.to_line += 1

    def close(self) -> None:
        if self.sock.fileno() < 0:
            return
        if self.peer is not None:
            try:
                self.switch.listen(self.slot, self.restore)
                self.switch.flush(self.slot)
            except ValueError:
                pass
            if self._loop is not None:
                self._loop.remove_reader(self.sock.fileno())
        self.peer = None
        self.sock.close()
        log.info("line relay closed slot=%d to_node=%d to_line=%d dropped=%d", self.slot,
                 self.to_node, self.to_line, self.dropped)

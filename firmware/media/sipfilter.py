"""Only the edge may talk SIP to a media node: a kernel filter on the node's SIP socket.

Every INVITE pjsua accepts costs it an RTP and an RTCP socket before the
application is even asked, and a refused call keeps them for half a second
while pjlib's I/O queue retires them. An INVITE flood straight at a node (any
local process can send to 127.0.0.1) exhausts that queue within a second and
pjlib aborts the process (measured: ``pj_ioqueue_register_sock2: Assertion
'!pj_list_empty(&ioqueue->free_list)'`` after ~30 refusals at 200/s). Kamailio
never floods a node — the daemon places a call only on a node with room — so
the node attaches a classic BPF socket filter that drops every datagram not
sent from the edge's address and port; the kernel discards the rest before
pjsip reads anything.
"""
from __future__ import annotations

import ctypes
import socket
import struct

SO_ATTACH_FILTER = 26                 # Linux <asm-generic/socket.h>
_SKF_NET_OFF = -0x100000              # offsets from the IP header, whatever the socket sees
_LD_W_ABS, _LD_H_ABS, _JEQ_K, _RET_K = 0x20, 0x28, 0x15, 0x06


def _ins(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF)


def program(host: str, port: int) -> bytes:
    """Accept IPv4 UDP from ``host:port`` only (loopback carries no IP options)."""
    addr = struct.unpack("!I", socket.inet_aton(host))[0]
    return b"".join([
        _ins(_LD_W_ABS, 0, 0, _SKF_NET_OFF + 12),    # source address
        _ins(_JEQ_K, 0, 3, addr),
        _ins(_LD_H_ABS, 0, 0, _SKF_NET_OFF + 20),    # UDP source port
        _ins(_JEQ_K, 0, 1, port),
        _ins(_RET_K, 0, 0, 0xFFFF),                  # keep the datagram
        _ins(_RET_K, 0, 0, 0),                       # drop it
    ])


def only_from(fd: int, host: str, port: int) -> None:
    """Attach the filter to socket ``fd`` (not taken over: the kernel copies the program)."""
    code = program(host, port)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HL", len(code) // 8, ctypes.addressof(buf))
    sock = socket.socket(fileno=fd)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    finally:
        sock.detach()

"""libopenr2 as the far end of the box's R2 timeslots: a process of its own.

Run with the shim preloaded (``LD_PRELOAD=openr2_shim.so``, see
``tests/support/openr2_shim.c``), one ``SOCK_SEQPACKET`` connection per
timeslot to the box's timeslot door and a control socket (inherited fd) to the
test. It is line-timed like an E1 terminal: for every 164-octet frame the box
sends it advances that channel's virtual clock by 20 ms, hands the bits and
audio to libopenr2 (``openr2_chan_process_event``) and sends exactly one frame
back with libopenr2's transmit bits and whatever it wrote. So the test can step
the box's manual clock and the far end follows in lock-step, and libopenr2's
timers run on the line's time.

The packet format is decoded here from the interface text, not with the box's
own classes, and so are A-law and the tone measurement: the peer checks what
the box sends with nothing of the box.

Control messages are JSON objects, one per packet. Commands (``cmd``) get a
reply (``ok``); the peer also sends events (``ev``) as libopenr2 reports them,
each with its timeslot and frame number.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import selectors
import socket
import struct
import sys
import time
from typing import Any

from tests.support import openr2
from tests.support.openr2 import CATEGORIES, CATEGORY_NAMES, CAUSE_NAMES, CAUSES, MODE_NAMES, MODES

FRAME = 164
BLOCK = 160
SILENCE = b"\xd5" * BLOCK
BASE_USEC = 1_000_000_000 * 1_000_000
FRAME_USEC = 20_000
DBM0_PEAK = 32767.0 * 10.0 ** (-3.14 / 20.0)


# ---------------------------------------------------------------- G.711 A-law, from the spec
def _alaw_decode(code: int) -> int:
    code ^= 0x55
    seg = (code >> 4) & 7
    mag = ((code & 0x0F) << 4) + 8
    if seg:
        mag = (mag + 0x100) << (seg - 1)
    return mag if code & 0x80 else -mag


ALAW_DECODE = [_alaw_decode(c) for c in range(256)]


def alaw_encode(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0x00
    mag = min(abs(sample) if sample >= 0 else -sample - 1, 32767) >> 3
    if mag < 32:
        code = mag >> 1
    else:
        seg = mag.bit_length() - 5
        code = (seg << 4) | ((mag >> seg) & 0x0F)
    return (code | sign) ^ 0x55


def tone_share(alaw: bytes, freq: float) -> tuple[float, float]:
    """(share of the energy at ``freq``, level in dBm0) of an A-law block."""
    x = [ALAW_DECODE[b] for b in alaw]
    n = len(x)
    k = 2.0 * math.cos(2.0 * math.pi * freq / 8000.0)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    power = (s1 * s1 + s2 * s2 - k * s1 * s2) / n
    energy = sum(v * v for v in x) / n if n else 0.0
    if energy <= 0:
        return 0.0, -99.0
    level = 10.0 * math.log10(energy / (DBM0_PEAK * DBM0_PEAK / 2.0))
    return 2.0 * power / n / energy, level


# ---------------------------------------------------------------- one timeslot
class Channel:
    def __init__(self, peer: "Peer", ts: int, sock: socket.socket, idle: int) -> None:
        self.peer = peer
        self.ts = ts
        self.sock = sock
        self.fd = os.open(os.devnull, os.O_RDWR)
        self.frames = 0
        self.tx_seq = 0
        self.rx_seq: int | None = None
        self.rx_bits: int | None = None
        self.tx_bits: int | None = None
        self.bad = 0
        self.gaps = 0
        self.answered = False
        self.rx_audio: list[bytes] = []
        self.tone: tuple[float, float] | None = None
        self.phase = 0.0
        if peer.shim.shim_register(self.fd, ts, idle) != 0:
            raise RuntimeError(f"shim refused timeslot {ts}")
        self.chan = peer.lib.openr2_chan_new_from_fd(peer.ctx.ctx, self.fd, None, None)
        if not self.chan:
            err = peer.lib.openr2_context_get_last_error(peer.ctx.ctx)
            raise RuntimeError(f"openr2_chan_new_from_fd failed on ts {ts}: "
                               f"{peer.lib.openr2_context_error_string(err).decode()}")
        peer.lib.openr2_chan_set_logging_func(self.chan, peer.chan_log_fn)
        peer.lib.openr2_chan_set_log_level(self.chan, peer.log_level)
        self.clock()
        peer.lib.openr2_chan_set_idle(self.chan)

    def clock(self) -> None:
        self.peer.shim.shim_set_time_usec(BASE_USEC + self.frames * FRAME_USEC)

    def frame_in(self, pkt: bytes) -> None:
        if len(pkt) != FRAME or pkt[0] != 0x10 or pkt[1] & 0xF0:
            self.bad += 1
            self.peer.event("bad_packet", self.ts, length=len(pkt),
                            head=pkt[:2].hex() if pkt else "")
            return
        abcd, seq = pkt[1], struct.unpack(">H", pkt[2:4])[0]
        if self.rx_seq is not None and seq != self.rx_seq:
            self.gaps += 1
            self.peer.event("seq_gap", self.ts, expected=self.rx_seq, got=seq)
        self.rx_seq = (seq + 1) & 0xFFFF
        self.frames += 1
        self.clock()
        if abcd != self.rx_bits:
            self.peer.event("cas", self.ts, dir="rx", bits=f"{abcd:04b}")
            self.rx_bits = abcd
        audio = pkt[4:]
        self.peer.shim.shim_rx(self.fd, abcd, audio)
        if self.frames == 1:
            # what the line is doing now, as chan_dahdi asks at start (the
            # shim raises an event only for a change)
            self.peer.lib.openr2_chan_handle_cas(self.chan)
        self.peer.lib.openr2_chan_process_event(self.chan)
        self.peer.run_deferred()
        if self.answered and self.tone is not None:
            self._write_tone()
        self._frame_out()

    def _write_tone(self) -> None:
        freq, level = self.tone  # type: ignore[misc]
        amp = DBM0_PEAK * 10.0 ** (level / 20.0)
        w = 2.0 * math.pi * freq / 8000.0
        buf = (ctypes.c_ubyte * BLOCK)()
        for i in range(BLOCK):
            buf[i] = alaw_encode(int(round(amp * math.sin(self.phase))))
            self.phase = (self.phase + w) % (2.0 * math.pi)
        self.peer.lib.openr2_chan_write(self.chan, buf, BLOCK)

    def _frame_out(self) -> None:
        buf = (ctypes.c_ubyte * BLOCK)()
        bits = ctypes.c_int(0)
        n = self.peer.shim.shim_tx(self.fd, buf, ctypes.byref(bits))
        audio = bytes(buf) if n > 0 else SILENCE
        if bits.value != self.tx_bits:
            self.peer.event("cas", self.ts, dir="tx", bits=f"{bits.value:04b}")
            self.tx_bits = bits.value
        pkt = bytes((0x10, bits.value & 0xF)) + struct.pack(">H", self.tx_seq) + audio
        self.tx_seq = (self.tx_seq + 1) & 0xFFFF
        try:
            self.sock.send(pkt)
        except OSError as exc:
            self.peer.event("socket_error", self.ts, error=str(exc))

    def on_read(self, data: bytes) -> None:
        self.rx_audio.append(data)
        if len(self.rx_audio) > 200:
            del self.rx_audio[:100]


# ---------------------------------------------------------------- the peer
class Peer:
    def __init__(self, args: argparse.Namespace) -> None:
        self.control = socket.socket(fileno=args.control_fd)
        self.lib = openr2.load(args.lib)
        self.shim = ctypes.CDLL(args.shim)
        self.shim.shim_register.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.shim.shim_set_time_usec.argtypes = [ctypes.c_longlong]
        self.shim.shim_set_time_usec.restype = None
        self.shim.shim_rx.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
        self.shim.shim_tx.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_ubyte),
                                      ctypes.POINTER(ctypes.c_int)]
        self.shim.shim_unknown_ioctls.argtypes = [ctypes.c_int]
        self.shim.shim_unknown_ioctls.restype = ctypes.c_ulong
        log_cb_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
        self.shim.shim_set_log_callback.argtypes = [log_cb_type]
        self._log_cb = log_cb_type(self._log)
        self.shim.shim_set_log_callback(self._log_cb)
        self.chan_log_fn = ctypes.cast(self.shim.shim_chan_log, ctypes.c_void_p).value
        self.log_level = args.log_level
        self.auto_disconnect = True
        self._deferred: list[Any] = []
        self.channels: dict[int, Channel] = {}
        self._by_chan: dict[int, Channel] = {}
        callbacks = {name: getattr(self, name) for name in (
            "on_call_init", "on_call_offered", "on_call_accepted", "on_call_answered",
            "on_call_disconnect", "on_call_end", "on_call_read", "on_hardware_alarm",
            "on_os_error", "on_protocol_error", "on_line_blocked", "on_line_idle",
            "on_dnis_digit_received", "on_ani_digit_received", "on_billing_pulse_received")}
        self.shim.shim_set_time_usec(BASE_USEC)
        self.ctx = openr2.OpenR2Context(
            self.lib, args.variant, args.max_ani, args.max_dnis, callbacks,
            ctypes.cast(self.shim.shim_context_log, ctypes.c_void_p).value)
        self.lib.openr2_context_set_log_level(self.ctx.ctx, self.log_level)
        if args.advanced:
            rc = self.lib.openr2_context_configure_from_advanced_file(self.ctx.ctx,
                                                                     args.advanced.encode())
            if rc:
                raise RuntimeError(f"libopenr2 refused the advanced file {args.advanced}")
        idle = 0b1011 if args.variant == "CN" else 0b1001
        for ts in args.ts:
            sock = self._connect(args.pattern.replace("{ts}", str(ts)))
            ch = Channel(self, ts, sock, idle)
            self.channels[ts] = ch
            self._by_chan[ch.chan] = ch
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.control, selectors.EVENT_READ, None)
        for ch in self.channels.values():
            self.selector.register(ch.sock, selectors.EVENT_READ, ch)

    @staticmethod
    def _connect(path: str) -> socket.socket:
        deadline = time.monotonic() + 10.0
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                sock.connect(path)
                return sock
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    # ------------------------------------------------------------ reporting
    def send(self, msg: dict[str, Any]) -> None:
        self.control.send(json.dumps(msg).encode())

    def event(self, name: str, ts: int | None, **fields: Any) -> None:
        ch = self.channels.get(ts) if ts is not None else None
        self.send({"ev": name, "ts": ts, "frame": ch.frames if ch else None, **fields})

    def _ch(self, chan: int) -> Channel | None:
        return self._by_chan.get(chan)

    def _ts(self, chan: int) -> int | None:
        ch = self._ch(chan)
        return ch.ts if ch else None

    def _log(self, chan: int | None, level: int, text: bytes) -> None:
        self.event("log", self._ts(chan) if chan else None, level=level,
                   text=text.decode(errors="replace").rstrip())

    def run_deferred(self) -> None:
        while self._deferred:
            fn, args = self._deferred.pop(0)
            fn(*args)

    # ------------------------------------------------------------ libopenr2 callbacks
    def on_call_init(self, chan: int) -> None:
        self.event("call_init", self._ts(chan))

    def on_call_offered(self, chan: int, ani: bytes | None, dnis: bytes | None,
                        category: int) -> None:
        self.event("call_offered", self._ts(chan), ani=(ani or b"").decode(),
                   dnis=(dnis or b"").decode(), category=CATEGORY_NAMES.get(category, category))

    def on_call_accepted(self, chan: int, mode: int) -> None:
        self.event("call_accepted", self._ts(chan), mode=MODE_NAMES.get(mode, mode))

    def on_call_answered(self, chan: int) -> None:
        ch = self._ch(chan)
        if ch:
            ch.answered = True
        self.event("call_answered", self._ts(chan))

    def on_call_disconnect(self, chan: int, cause: int) -> None:
        self.event("call_disconnect", self._ts(chan), cause=CAUSE_NAMES.get(cause, cause))
        ch = self._ch(chan)
        if ch:
            ch.answered = False
        if self.auto_disconnect:
            self._deferred.append((self.lib.openr2_chan_disconnect_call, (chan, CAUSES["normal"])))

    def on_call_end(self, chan: int) -> None:
        ch = self._ch(chan)
        if ch:
            ch.answered = False
        self.event("call_end", self._ts(chan))

    def on_call_read(self, chan: int, buf: Any, length: int) -> None:
        ch = self._ch(chan)
        if ch:
            ch.on_read(ctypes.string_at(buf, length))

    def on_hardware_alarm(self, chan: int, alarm: int) -> None:
        self.event("hardware_alarm", self._ts(chan), alarm=alarm)

    def on_os_error(self, chan: int, code: int) -> None:
        self.event("os_error", self._ts(chan), errno=code, error=os.strerror(code))

    def on_protocol_error(self, chan: int, error: int) -> None:
        self.event("protocol_error", self._ts(chan),
                   error=self.lib.openr2_proto_get_error(error).decode())

    def on_line_blocked(self, chan: int) -> None:
        self.event("line_blocked", self._ts(chan))

    def on_line_idle(self, chan: int) -> None:
        self.event("line_idle", self._ts(chan))

    def on_dnis_digit_received(self, chan: int, digit: bytes) -> int:
        self.event("dnis_digit", self._ts(chan), digit=digit.decode())
        return 1

    def on_ani_digit_received(self, chan: int, digit: bytes) -> None:
        self.event("ani_digit", self._ts(chan), digit=digit.decode())

    def on_billing_pulse_received(self, chan: int) -> None:
        self.event("billing_pulse", self._ts(chan))

    # ------------------------------------------------------------ commands
    def command(self, msg: dict[str, Any]) -> dict[str, Any]:
        cmd = msg.get("cmd")
        if cmd == "quit":
            return {"ok": True, "quit": True}
        if cmd == "policy":
            self.auto_disconnect = bool(msg.get("auto_disconnect", True))
            return {"ok": True}
        ch = self.channels.get(msg.get("ts", -1))
        if ch is None:
            return {"ok": False, "error": f"no channel for timeslot {msg.get('ts')!r}"}
        ch.clock()
        lib, chan = self.lib, ch.chan
        if cmd == "make_call":
            ani = msg.get("ani")
            rc = lib.openr2_chan_make_call(chan, ani.encode() if ani is not None else None,
                                           msg["dnis"].encode(), CATEGORIES[msg["category"]])
        elif cmd == "accept":
            rc = lib.openr2_chan_accept_call(chan, MODES[msg.get("mode", "charge")])
        elif cmd == "answer":
            rc = lib.openr2_chan_answer_call(chan)
            if rc == 0:
                ch.answered = True
        elif cmd == "disconnect":
            rc = lib.openr2_chan_disconnect_call(chan, CAUSES[msg.get("cause", "normal")])
        elif cmd == "block":
            rc = lib.openr2_chan_set_blocked(chan)
        elif cmd == "idle":
            rc = lib.openr2_chan_set_idle(chan)
        elif cmd == "tone":
            ch.tone = (float(msg["freq"]), float(msg.get("dbm0", -10.0)))
            rc = 0
        elif cmd == "stop_tone":
            ch.tone = None
            rc = 0
        elif cmd == "measure":
            frames = ch.rx_audio[-int(msg.get("frames", 10)):]
            if not frames:
                return {"ok": True, "share": 0.0, "dbm0": -99.0, "frames": 0}
            share, level = tone_share(b"".join(frames), float(msg["freq"]))
            return {"ok": True, "share": share, "dbm0": level, "frames": len(frames)}
        elif cmd == "state":
            return {"ok": True,
                    "r2": lib.openr2_chan_get_r2_state_string(chan).decode(),
                    "call": lib.openr2_chan_get_call_state_string(chan).decode(),
                    "rx_cas": lib.openr2_chan_get_rx_cas_string(chan).decode(),
                    "tx_cas": lib.openr2_chan_get_tx_cas_string(chan).decode(),
                    "frames": ch.frames, "bad": ch.bad, "gaps": ch.gaps,
                    "unknown_ioctls": self.shim.shim_unknown_ioctls(ch.fd)}
        else:
            return {"ok": False, "error": f"unknown command {cmd!r}"}
        self.run_deferred()
        return {"ok": rc == 0, "rc": rc}

    # ------------------------------------------------------------ main loop
    def run(self) -> None:
        self.send({"ev": "ready", "ts": None, "frame": None,
                   "version": self.lib.openr2_get_version().decode()})
        while True:
            for key, _ in self.selector.select(5.0):
                ch = key.data
                if ch is None:
                    data = self.control.recv(65536)
                    if not data:
                        return
                    msg = json.loads(data)
                    reply = self.command(msg)
                    reply["reply"] = msg.get("id")
                    self.send(reply)
                    if reply.get("quit"):
                        return
                    continue
                while True:
                    try:
                        pkt = ch.sock.recv(4096, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        break
                    if not pkt:
                        self.event("box_closed", ch.ts)
                        self.selector.unregister(ch.sock)
                        break
                    ch.frame_in(pkt)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--control-fd", type=int, required=True)
    ap.add_argument("--variant", required=True)
    ap.add_argument("--pattern", required=True)
    ap.add_argument("--ts", type=int, action="append", required=True)
    ap.add_argument("--max-ani", type=int, default=20)
    ap.add_argument("--max-dnis", type=int, default=4)
    ap.add_argument("--advanced", default="")
    ap.add_argument("--log-level", type=int,
                    default=openr2.LOG_ERROR | openr2.LOG_WARNING | openr2.LOG_NOTICE
                    | openr2.LOG_MF_TRACE | openr2.LOG_CAS_TRACE)
    args = ap.parse_args(argv)
    Peer(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

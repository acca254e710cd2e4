"""A media node: one pjsua2 process hosting at most ``legs_per_node`` call legs.

Run as ``python -m firmware.media.node --id N --sip-port P --rtp-port-base R
--control PATH --edge HOST:PORT``. It answers, plays, records, bridges, dials
and hangs up on the daemon's command and reports what happens; it holds no
business logic (docs/architecture.md#processes). SIP and RTP bind 127.0.0.1
only: Kamailio is the box's only SIP listener on the LAN.

Threads: pjsua2 runs with ``threadCnt=0`` and ``mainThreadOnly=True``; this
module's loop pumps ``libHandleEvents`` and the control socket on the main
thread, where every pjsua2 call is made. The bridge's clock thread only runs
``frames.FrameTap``/``frames.Player`` callbacks, which post to a queue drained
here. Logging: ``key=value`` lines on stderr (the pool forwards them).
"""
from __future__ import annotations

import argparse
import errno
import faulthandler
import gc
import select
import os
import signal
import socket
import sys
from typing import Any

from acd_core.clock import SystemClock
from firmware.media import sipfilter
from firmware.media.commands import NodeEngine
from firmware.media.protocol import (Command, Event, LineBuffer, ProtocolError, Reply, decode,
                                     encode)

try:
    import pjsua2 as pj
except ImportError as _exc:  # pragma: no cover - the wheel is a hard dependency
    raise SystemExit(f"level=error event=start_failed reason=\"pjsua2 missing: {_exc}\"")


IDLE_TICK = 0.1     # s between pjsip timer runs while the node has no legs
BUSY_TICK = 0.02    # ... and while it has calls (retransmissions, session timers)


def log(level: str, event: str, **kv: Any) -> None:
    """One ``key=value`` line on stderr; values with spaces are quoted."""
    parts = [f"level={level}", f"event={event}"]
    for k, v in kv.items():
        s = str(v).replace("\n", " ")
        parts.append(f'{k}="{s}"' if (" " in s or not s or '"' in s) else f"{k}={s}")
    try:
        sys.stderr.write(" ".join(parts) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class _PjLog(pj.LogWriter):
    """pjsip's own log lines, kept to warnings and errors, as key=value on stderr."""

    def write(self, entry: Any) -> None:
        level = "error" if entry.level <= 1 else "warning" if entry.level == 2 else "debug"
        log(level, "pjsip", msg=entry.msg.strip())


class Control:
    """The node's end of the control connection: non-blocking, buffered both ways."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self._in = LineBuffer()
        self._out = bytearray()
        self.closed = False
        self.bad_lines = 0

    def send(self, msg: Event | Reply) -> None:
        if not self.closed:
            self._out += encode(msg)
            self.flush()

    def flush(self) -> None:
        while self._out and not self.closed:
            try:
                n = self.sock.send(self._out)
            except BlockingIOError:
                return
            except OSError:
                self.closed = True
                return
            del self._out[:n]

    def read_lines(self) -> list[bytes]:
        lines: list[bytes] = []
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            except OSError:
                self.closed = True
                break
            if not data:
                self.closed = True
                break
            try:
                lines += self._in.feed(data)
            except ProtocolError as exc:
                self.bad_lines += 1
                log("warning", "bad_line", error=exc)
        return lines

    def close(self) -> None:
        self.flush()
        self.closed = True
        self.sock.close()


class Node:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stopping = ""
        self.ep: Any = None
        self.engine: NodeEngine | None = None
        self.clock = SystemClock()          # the node's one clock (a process of its own)
        self.control: Control | None = None
        self._pjlog: Any = None

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        a = self.args
        self.ep = pj.Endpoint()
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = 4
        cfg.uaConfig.userAgent = f"callbox-media/{a.id}"
        med = cfg.medConfig
        med.clockRate = med.sndClockRate = 8000
        med.channelCount = 1
        med.audioFramePtime = med.ptime = 20
        med.noVad = True
        med.ecTailLen = 0
        # The null device is the bridge's clock. pjsua closes an idle one after 1 s and
        # reopens it only for connections to port 0, which a node never makes: the bridge
        # then stops and every tap, recorder and bridge goes silent. Keep it running.
        med.sndAutoCloseTime = -1
        self._pjlog = _PjLog()
        cfg.logConfig.writer = self._pjlog
        cfg.logConfig.level = cfg.logConfig.consoleLevel = a.pj_log_level
        cfg.logConfig.msgLogging = False
        self.ep.libInit(cfg)
        tcfg = pj.TransportConfig()
        tcfg.port = a.sip_port
        tcfg.boundAddress = tcfg.publicAddress = "127.0.0.1"
        self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        self.ep.libStart()
        self.ep.audDevManager().setNullDev()
        _prefer_g711(self.ep)
        self.control = Control(a.control)
        control = self.control
        self.engine = NodeEngine(self.ep, a, control.send, log, lambda: not control.closed,
                                 clock=self.clock)
        self.control.send(Event("hello", {"node": a.id, "pid": os.getpid(), "sip_port": a.sip_port,
                                          "capacity": a.legs, "inband": self.engine.inband}))
        log("info", "node_up", node=a.id, pid=os.getpid(), sip_port=a.sip_port,
            rtp=f"{a.rtp_port_base}+{a.rtp_port_range}", capacity=a.legs,
            inband=self.engine.inband, pjsua=self.ep.libVersion().full)

    def run(self) -> None:
        """Sleep in select() until something happens, then let pjsip and the engine run.

        What wakes the loop: a SIP datagram (pjsip's own socket), a daemon command
        (the control socket) or a frame-thread result (the media queue's wake-up
        pipe: a digit, a prompt's end). Otherwise it wakes for pjsip's timers only
        every ``IDLE_TICK`` (no legs) or ``BUSY_TICK`` (calls up): an idle node costs
        a tenth of the wake-ups of a 10 ms poll.
        """
        assert self.engine is not None and self.control is not None
        engine, control = self.engine, self.control
        sip_fd = _find_udp_fd(self.args.sip_port)
        if self.args.accept_from:
            self._filter_sip(sip_fd)
        wake_fd = engine.media_queue.fileno()
        waits = [control.sock.fileno(), wake_fd] + ([sip_fd] if sip_fd is not None else [])
        log("info", "event_loop", wake_on_sip=sip_fd is not None)
        while not self.stopping:
            if sip_fd is None:
                self.ep.libHandleEvents(10)
            else:
                tick = BUSY_TICK if engine.busy() else IDLE_TICK
                try:
                    select.select(waits, [], [], tick)
                except (OSError, ValueError):      # the transport's socket went away
                    log("warning", "event_loop", wake_on_sip=False)
                    sip_fd = None
                    continue
                for _ in range(16):
                    if self.ep.libHandleEvents(0) <= 0:
                        break
            engine.flush_refusals()
            engine.drain_media_queue()
            for line in control.read_lines():
                self._handle_line(line)
            engine.reap()
            control.flush()
            if control.closed:
                self.stopping = "control connection closed"

    def _filter_sip(self, sip_fd: int | None) -> None:
        host, _, port = self.args.accept_from.rpartition(":")
        if sip_fd is None:
            log("error", "sip_filter", state="not attached", reason="SIP socket not found")
            return
        try:
            sipfilter.only_from(sip_fd, host, int(port))
        except (OSError, ValueError) as exc:
            log("error", "sip_filter", state="not attached", reason=exc)
            return
        log("info", "sip_filter", accept_from=self.args.accept_from)

    def _handle_line(self, line: bytes) -> None:
        assert self.engine is not None and self.control is not None
        try:
            msg = decode(line)
        except ProtocolError as exc:
            self.control.bad_lines += 1
            log("warning", "bad_command", error=exc)
            mid = _salvage_id(line)
            if mid:
                self.control.send(Reply(mid, False, error=str(exc)))
            return
        if not isinstance(msg, Command):
            log("warning", "unexpected_message", kind=type(msg).__name__)
            return
        self.control.send(self.engine.execute(msg))

    def shutdown(self) -> None:
        """Hang up, finish recordings, drop every pjsua2 reference, then libDestroy."""
        log("info", "node_stopping", reason=self.stopping or "exit")
        if self.engine is not None:
            self.engine.hangup_all()
            deadline = self.clock.now() + 2.0
            while self.engine.busy() and self.clock.now() < deadline:
                self.ep.libHandleEvents(10)
                self.engine.drain_media_queue()
                self.engine.reap()
                if self.control is not None:
                    self.control.flush()
            self.engine.close()
            if self.control is not None:
                self.control.flush()
            self.engine = None
        if self.control is not None:
            self.control.close()
            self.control = None
        gc.collect()
        if self.ep is not None:
            # Let the bridge drop removed ports before their memory goes
            # (docs/reference/pjsua2.md#gotchas).
            for _ in range(5):
                self.ep.libHandleEvents(10)
            gc.collect()
            self.ep.libDestroy()
            self.ep = None
        self._pjlog = None
        log("info", "node_down", node=self.args.id)


def _find_udp_fd(port: int) -> int | None:
    """The descriptor of pjsip's UDP socket on 127.0.0.1:``port`` (pjsua2 does not expose it)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            probe = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if (probe.family == socket.AF_INET and probe.type == socket.SOCK_DGRAM
                    and probe.getsockname() == ("127.0.0.1", port)):
                return fd
        except OSError:
            pass
        finally:
            probe.close()
    return None


def _prefer_g711(ep: Any) -> None:
    """PCMA first, PCMU second, every other codec off (trunks and phones speak G.711)."""
    prio = {"PCMA/8000/1": 255, "PCMU/8000/1": 254}
    ids = [c.codecId for c in ep.codecEnum2()]
    for cid in ids:
        ep.codecSetPriority(cid, prio.get(cid, 0))


def _salvage_id(line: bytes) -> int | None:
    """The id of a command we refuse, so the daemon's waiter gets an answer."""
    import json
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    mid = obj.get("id") if isinstance(obj, dict) else None
    return mid if isinstance(mid, int) and not isinstance(mid, bool) and mid > 0 else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m firmware.media.node",
                                description="Callbox media node (pjsua2, loopback only)")
    p.add_argument("--id", type=int, required=True, help="node number, reported in hello")
    p.add_argument("--sip-port", type=int, required=True, help="UDP SIP port on 127.0.0.1")
    p.add_argument("--rtp-port-base", type=int, required=True, help="first RTP port on 127.0.0.1")
    p.add_argument("--rtp-port-range", type=int, default=40, help="RTP ports this node may use")
    p.add_argument("--control", required=True, help="the daemon's Unix stream socket")
    p.add_argument("--edge", default="127.0.0.1:5060", help="Kamailio HOST:PORT for dial")
    p.add_argument("--accept-from", default="", metavar="HOST:PORT",
                   help="drop SIP from anyone but this address (the edge); default: accept all")
    p.add_argument("--legs", type=int, default=4, choices=(2, 3, 4),
                   help="legs this node hosts (the wheel allows 4)")
    p.add_argument("--pj-log-level", type=int, default=2, help="pjsip log level (0-6)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # pjlib prints its start-up lines on stdout before any log setting applies;
    # stdout carries nothing else, so it goes nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    node = Node(args)

    def stop(signum: int, _frame: Any) -> None:
        node.stopping = signal.Signals(signum).name

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1` dumps stacks to stderr
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        node.start()
        node.run()
    except OSError as exc:
        log("error", "node_failed", node=args.id, error=exc,
            errno=errno.errorcode.get(exc.errno or 0, exc.errno))
        code = 2
    except pj.Error as exc:
        log("error", "node_failed", node=args.id, error=exc.info() if hasattr(exc, "info") else exc)
        code = 2
    finally:
        node.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())

"""The simulated card's timeslot door: each voice timeslot of the span on its own socket.

An R2 call lives in two places at once, the channel's ABCD bits in TS16 and the
interregister tones in the channel's audio, so an external R2 stack (a test set,
libopenr2 in the tests) needs both, per timeslot, in real time. When
``[e1.sim] timeslot_socket`` is set, the box listens on one Unix
``SOCK_SEQPACKET`` socket per voice timeslot (1-15, 17-31; the pattern's
``{ts}`` is the timeslot number), accepts one peer on each and treats it as the
far end of that timeslot. Packets are :class:`~drivers.sim.timeslot_frame.TimeslotFrame`
(164 octets, one 20 ms frame).

- Sending: every 20 ms on the door's own clock, one frame on every connected
  timeslot, idle included, from connection until close; the first one goes at
  once on connection, so the peer sees our bits without waiting.
- Receiving: each frame feeds the timeslot's :class:`~drivers.e1.cas.CasReceiver`
  (the framer path's debounce, 20 ms of line per frame) and its audio goes to
  the handler (the R2 stack: MF detector before answer, media path after).
- A malformed packet is counted, logged with the timeslot and dropped; a
  sequence gap is counted and logged; neither ends the call.
- A peer that goes away is a line failure on that timeslot
  (``handler.line_down``); a new peer brings it back (``handler.line_up``).

The door has no thread: :meth:`tick` runs on the injected clock every 20 ms
(on the daemon's loop clock, or a ``ManualClock`` in tests), and :meth:`pump`
receives what has arrived, optionally waiting for it (a driver thread, or a
test stepping the clock in lock-step with its peer). Use it from one thread.
"""
from __future__ import annotations

import errno
import logging
import os
import select
import socket
from dataclasses import dataclass
from typing import Callable, Iterable

from acd_core.clock import Clock, TimerHandle
from drivers.e1.cas import VOICE_TIMESLOTS, CasHandler, CasReceiver
from drivers.errors import DriverError
from drivers.sim import listen_path
from drivers.sim.timeslot_frame import (FRAME_OCTETS, SILENCE, FrameDecodeError, TimeslotFrame,
                                        next_seq)

log = logging.getLogger(__name__)

__all__ = ["TimeslotDoor", "TimeslotHandler", "SlotStats", "VOICE_TIMESLOTS", "FRAME_SECONDS",
           "socket_path"]

FRAME_SECONDS = 0.020
PLACEHOLDER = "{ts}"
MAX_BEHIND = 5          # frames the sender may fall behind before it skips ahead


#: What the door drives: the R2 stack (or a test); the same as the card's CAS path.
TimeslotHandler = CasHandler


@dataclass
class SlotStats:
    connections: int = 0
    frames_in: int = 0
    frames_out: int = 0
    malformed: int = 0
    gaps: int = 0
    tx_dropped: int = 0
    rejected_peers: int = 0
    sent_this_peer: int = 0        # frames sent since the current peer connected


def socket_path(pattern: str, ts: int) -> str:
    if PLACEHOLDER not in pattern:
        raise ValueError(f"timeslot socket pattern {pattern!r} has no {PLACEHOLDER}")
    return pattern.replace(PLACEHOLDER, str(ts))


class _Slot:
    def __init__(self, ts: int, path: str, debounce: float, idle_abcd: int) -> None:
        self.ts = ts
        self.path = path
        self.listener: socket.socket | None = None
        self.peer: socket.socket | None = None
        self.tx_abcd = idle_abcd
        self.tx_seq = 0
        self.rx_seq: int | None = None        # next expected
        self.cas = CasReceiver(debounce)
        self.stats = SlotStats()


class TimeslotDoor:
    def __init__(self, clock: Clock, pattern: str, *, handler: TimeslotHandler | None = None,
                 timeslots: Iterable[int] = VOICE_TIMESLOTS, cas_debounce: float = 0.020,
                 idle_abcd: int = 0x9, span: int = 1) -> None:
        self.clock = clock
        self.pattern = pattern
        self.handler = handler
        self.span = span
        self._slots: dict[int, _Slot] = {}
        for ts in timeslots:
            if ts not in VOICE_TIMESLOTS:
                raise ValueError(f"timeslot {ts} is not a voice timeslot (1-15, 17-31)")
            self._slots[ts] = _Slot(ts, socket_path(pattern, ts), cas_debounce, idle_abcd)
        self._timer: TimerHandle | None = None
        self._next_tick = 0.0
        self.on_tick: Callable[[], None] | None = None     # after each tick (tests, traces)

    # ------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Bind every timeslot's socket and start the 20 ms sender."""
        for slot in self._slots.values():
            self._bind(slot)
        self._next_tick = self.clock.now() + FRAME_SECONDS
        self._timer = self.clock.call_later(FRAME_SECONDS, self._on_timer)
        log.info("timeslot door span=%d listening on %d timeslots pattern=%s", self.span,
                 len(self._slots), self.pattern)

    def _bind(self, slot: _Slot) -> None:
        slot.listener = listen_path.listen(slot.path, part="timeslot door", ts=slot.ts)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for slot in self._slots.values():
            if slot.peer is not None:
                slot.peer.close()
                slot.peer = None
            if slot.listener is not None:
                slot.listener.close()
                slot.listener = None
                try:
                    os.unlink(slot.path)
                except FileNotFoundError:
                    pass

    # ------------------------------------------------------------ our side
    def set_cas(self, ts: int, abcd: int) -> None:
        """Our transmit ABCD bits on ``ts``: in the next frame and every one after."""
        if not 0 <= abcd <= 0xF:
            raise ValueError(f"ABCD bits are 0-15, not {abcd!r}")
        self._slot(ts).tx_abcd = abcd

    def tx_cas(self, ts: int) -> int:
        return self._slot(ts).tx_abcd

    def connected(self, ts: int) -> bool:
        return self._slot(ts).peer is not None

    def peers(self) -> list[int]:
        return [ts for ts, slot in self._slots.items() if slot.peer is not None]

    def path(self, ts: int) -> str:
        return self._slot(ts).path

    def stats(self, ts: int) -> SlotStats:
        return self._slot(ts).stats

    def rx_cas(self, ts: int) -> int | None:
        """The recognised ABCD bits the peer sends (None before the first recognition)."""
        return self._slot(ts).cas.value

    def _slot(self, ts: int) -> _Slot:
        try:
            return self._slots[ts]
        except KeyError:
            raise ValueError(f"timeslot {ts} is not served by this door") from None

    # ------------------------------------------------------------ the 20 ms step
    def _on_timer(self) -> None:
        now = self.clock.now()
        try:
            self.tick()
        except Exception:        # the line keeps its clock whatever went wrong above it
            log.exception("timeslot door span=%d: tick failed", self.span)
        self._next_tick += FRAME_SECONDS
        if self._next_tick < now - MAX_BEHIND * FRAME_SECONDS:
            log.warning("timeslot door span=%d fell %.0f ms behind; skipping ahead", self.span,
                        (now - self._next_tick) * 1000)
            self._next_tick = now + FRAME_SECONDS
        if self._timer is not None:
            self._timer = self.clock.call_later(self._next_tick - now, self._on_timer)

    def tick(self) -> None:
        """Accept new peers, take in what arrived, send one frame on each connected timeslot."""
        for slot in self._slots.values():
            self._accept(slot)
        self.pump(0.0)
        for slot in self._slots.values():
            if slot.peer is not None:
                self._send(slot)
        if self.on_tick is not None:
            self.on_tick()

    def _accept(self, slot: _Slot) -> None:
        if slot.listener is None:
            return
        while True:
            try:
                peer, _ = slot.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            if slot.peer is not None:
                slot.stats.rejected_peers += 1
                log.warning("timeslot door span=%d ts=%d: a second peer refused (one at a time)",
                            self.span, slot.ts)
                peer.close()
                continue
            peer.setblocking(False)
            slot.peer = peer
            slot.tx_seq = 0
            slot.rx_seq = 0
            slot.cas.reset()
            slot.stats.connections += 1
            slot.stats.sent_this_peer = 0
            log.info("timeslot door span=%d ts=%d: peer connected", self.span, slot.ts)
            self._handler(slot, "line_up")
            self._send(slot)                     # idle bits at once

    def pump(self, timeout: float = 0.0) -> int:
        """Receive every frame that has arrived; with ``timeout`` > 0 wait that long
        for the first one. Returns the number of packets taken in."""
        if timeout > 0:
            peers = [s.peer for s in self._slots.values() if s.peer is not None]
            if peers:
                select.select(peers, [], [], timeout)
        count = 0
        for slot in self._slots.values():
            while slot.peer is not None:
                try:
                    pkt = slot.peer.recv(FRAME_OCTETS + 1)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    self._lost(slot, exc)
                    break
                if not pkt:
                    self._lost(slot, None)
                    break
                count += 1
                self._receive(slot, pkt)
        return count

    def _handler(self, slot: _Slot, method: str, *args: object) -> object:
        """Call the handler; its failure is logged with the timeslot and stays there."""
        if self.handler is None:
            return None
        try:
            return getattr(self.handler, method)(slot.ts, *args)
        except Exception:
            log.exception("timeslot door span=%d ts=%d: handler %s failed", self.span, slot.ts,
                          method)
            return None

    def _receive(self, slot: _Slot, pkt: bytes) -> None:
        try:
            frame = TimeslotFrame.parse(pkt)
        except FrameDecodeError as exc:
            slot.stats.malformed += 1
            log.warning("timeslot door span=%d ts=%d: malformed packet dropped: %s", self.span,
                        slot.ts, exc)
            return
        slot.stats.frames_in += 1
        if slot.rx_seq is not None and frame.seq != slot.rx_seq:
            slot.stats.gaps += 1
            log.warning("timeslot door span=%d ts=%d: sequence gap, expected %d got %d", self.span,
                        slot.ts, slot.rx_seq, frame.seq)
        slot.rx_seq = next_seq(frame.seq)
        changed = slot.cas.feed(frame.abcd, FRAME_SECONDS)
        if changed is not None:
            self._handler(slot, "cas_received", changed)
        self._handler(slot, "audio_received", frame.audio)

    def _send(self, slot: _Slot) -> None:
        audio = self._handler(slot, "audio_to_send")
        if not isinstance(audio, bytes) or len(audio) != len(SILENCE):
            audio = SILENCE
        frame = TimeslotFrame(slot.tx_abcd, slot.tx_seq, audio)
        slot.tx_seq = next_seq(slot.tx_seq)
        assert slot.peer is not None
        try:
            slot.peer.send(bytes(frame))
        except (BlockingIOError, InterruptedError):
            slot.stats.tx_dropped += 1     # the peer stopped reading; it will see a gap
            return
        except OSError as exc:
            self._lost(slot, exc)
            return
        slot.stats.frames_out += 1
        slot.stats.sent_this_peer += 1

    def _lost(self, slot: _Slot, exc: OSError | None) -> None:
        reason = "peer disconnected"
        if exc is not None and exc.errno not in (errno.ECONNRESET, errno.EPIPE):
            reason = f"peer error: {exc.strerror}"
        log.warning("timeslot door span=%d ts=%d: %s: line failure", self.span, slot.ts, reason)
        if slot.peer is not None:
            slot.peer.close()
        slot.peer = None
        slot.rx_seq = None
        slot.cas.reset()
        self._handler(slot, "line_down", reason)

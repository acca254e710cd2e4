"""MFC-R2 on the card itself: TS16 CAS through the framer driver, MF and voice through
the TDM switch, for ``[e1.spanN] signalling = "r2"``.

``CardCasLine`` stands where the simulator's timeslot door stands for ``R2Span``: it
carries the span's transmit bits to the framer (``Card.set_cas``: the PEF2256's XS
registers, sent in every TS16 multiframe) and drives the span with what the line
brings (``line_up`` / ``line_down`` / ``cas_received`` / ``audio_received`` /
``audio_to_send``). The R2 stack cannot tell which of the two it runs on.

- Line signalling: the framer reports a changed RS register (``Card.on_cas``, from
  ISR0.CASC, in the drivers' thread); the change is posted to the loop and counts once
  it held for the variant's recognition time (``drivers.e1.cas.CasReceiver``, the same
  rule the door applies per 20 ms frame): a change starts a candidate, a timer on the
  injected clock confirms it ``line_recognition`` later unless another change came.
- Audio: the TDM switch hands each timeslot's received bytes in 20 ms chunks (drivers'
  or TDM thread); they are posted to the loop in batches, fed to the span (the MF
  register before group B, the media path after) and answered with one chunk of what
  the span sends, so the transmit side runs on the card's clock, one chunk per chunk.
- Layer 1: the span serves while the framer reports no alarm (``Card.on_alarm``): an
  alarm (red, blue, NOTOPEN when the framer stops answering) is a line failure on every
  timeslot (calls cleared with their CDRs), its end brings them back. Until the line is
  up the framer sends its reset value, 1111 (AB = 11, blocked), on every channel.

Channels are the framer's CAS channels: 1-15 are TS1-15, 16-30 are TS17-31.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable, Iterable

from acd_core.clock import Clock, TimerHandle
from drivers.e1.alarms import NOTOPEN
from drivers.e1.cas import VOICE_TIMESLOTS, CasHandler, CasReceiver
from drivers.errors import DriverError

if TYPE_CHECKING:
    from drivers.card import Card

log = logging.getLogger("callbox.lines.r2card")

CHUNK = 160                    # one 20 ms frame of A-law, as the door's packets carry
MAX_QUEUED = 3 * CHUNK         # transmit backlog per timeslot before chunks are dropped

Post = Callable[[Callable[[], None]], None]


def channel_of(ts: int) -> int:
    """The framer's CAS channel (1-30) of voice timeslot ``ts`` (1-15, 17-31)."""
    if ts not in VOICE_TIMESLOTS:
        raise ValueError(f"timeslot {ts} is not a voice timeslot (1-15, 17-31)")
    return ts if ts < 16 else ts - 1


def timeslot_of(channel: int) -> int:
    if not 1 <= channel <= 30:
        raise ValueError(f"CAS channel {channel} is not 1-30")
    return channel if channel < 16 else channel + 1


class CardCasLine:
    def __init__(self, card: "Card", span: int, clock: Clock, post: Post, *,
                 debounce: float, handler: CasHandler | None = None,
                 timeslots: Iterable[int] = VOICE_TIMESLOTS) -> None:
        self.card = card
        self.span = span
        self.clock = clock
        self.post = post
        self.handler = handler
        self.timeslots = tuple(timeslots)
        for ts in self.timeslots:
            channel_of(ts)
        self.up = False
        self.alarms: int | None = None
        self._rx = {ts: CasReceiver(debounce) for ts in self.timeslots}
        self._raw: dict[int, int | None] = {ts: None for ts in self.timeslots}
        self._confirm: dict[int, TimerHandle] = {}
        self._inbox: list[tuple[int, bytes]] = []
        self._inbox_lock = threading.Lock()
        self._drain_posted = False
        self._started = False
        self.cas_changes = 0           # raw changes the framer reported
        self.line_hits = 0             # changes that did not hold for the recognition time
        self.chunks_in = self.chunks_dropped = 0

    # ------------------------------------------------------------ life
    def start(self) -> None:
        """Hook the framer and the TDM switch; the line comes up at once if layer 1 is."""
        if self.handler is None:
            raise DriverError("CardCasLine.start: no handler (the R2 span) set",
                              span=self.span)
        try:
            alarms = self.card.span(self.span).alarms
        except DriverError as exc:         # fitted but down: out of service until it is back
            log.warning("e1/%d: R2 line starts down: %s", self.span, exc)
            alarms = NOTOPEN
        self.card.on_cas(self.span, self._cas_from_driver)
        self.card.on_alarm(self.span, self._alarm_from_driver)
        switch = self.card.switch
        if switch is not None:
            for ts in self.timeslots:
                switch.listen(ts, self._chunk_listener(ts))
        self._started = True
        self._alarm(alarms)

    def close(self) -> None:
        if not self._started:
            return
        self._started = False
        self.card.on_cas(self.span, None)
        self.card.on_alarm(self.span, None)
        switch = self.card.switch
        if switch is not None:
            for ts in self.timeslots:
                switch.listen(ts, None)
                switch.flush(ts)
        for timer in self._confirm.values():
            timer.cancel()
        self._confirm.clear()

    def peers(self) -> list[int]:
        """The timeslots in service (all of them while layer 1 is up), as the door's."""
        return list(self.timeslots) if self.up else []

    # ------------------------------------------------------------ R2Span -> line
    def set_cas(self, ts: int, abcd: int) -> None:
        try:
            self.card.set_cas(self.span, channel_of(ts), abcd)
        except DriverError as exc:          # the span is down: its alarm clears the calls
            log.warning("e1/%d ts=%d: CAS %04b not sent: %s", self.span, ts, abcd, exc)

    # ------------------------------------------------------------ drivers' thread
    def _cas_from_driver(self, channel: int, abcd: int) -> None:
        ts = timeslot_of(channel)
        if ts in self._raw:
            self.post(lambda: self._raw_cas(ts, abcd))

    def _alarm_from_driver(self, alarms: int) -> None:
        self.post(lambda: self._alarm(alarms))

    def _chunk_listener(self, ts: int) -> Callable[[bytes], None]:
        def take(chunk: bytes) -> None:
            with self._inbox_lock:
                self._inbox.append((ts, chunk))
                if self._drain_posted:
                    return
                self._drain_posted = True
            self.post(self._drain)
        return take

    # ------------------------------------------------------------ loop
    def _alarm(self, alarms: int) -> None:
        if not self._started:
            return
        self.alarms = alarms
        if alarms and self.up:
            self.up = False
            why = f"layer 1 alarm {alarms:#x}"
            log.warning("e1/%d: R2 line down: %s", self.span, why)
            for ts in self.timeslots:
                self._forget(ts)
                self._handle().line_down(ts, why)
        elif not alarms and not self.up:
            self.up = True
            log.info("e1/%d: R2 line up on the framer's CAS path", self.span)
            framer = self.card.board.spans[self.span - 1]
            assert framer is not None            # on_cas/on_alarm refused an unfitted span
            for ts in self.timeslots:
                self._forget(ts)
                self._handle().line_up(ts)
                self._raw_cas(ts, framer.cas_rx[channel_of(ts)], change=False)  # news again

    def _forget(self, ts: int) -> None:
        self._rx[ts].reset()
        timer = self._confirm.pop(ts, None)
        if timer is not None:
            timer.cancel()

    def _raw_cas(self, ts: int, abcd: int, change: bool = True) -> None:
        """The framer's RS bits for ``ts`` changed to ``abcd`` (now, on the loop)."""
        self.cas_changes += change
        self._raw[ts] = abcd
        if not self.up:
            return
        pending = self._confirm.pop(ts, None)
        if pending is not None:              # the last change did not hold: a line hit
            pending.cancel()
            self.line_hits += 1
        rx = self._rx[ts]
        seen = rx.feed(abcd, 0.0)          # a candidate (or back to the recognised bits)
        if seen is not None:               # no recognition time configured
            self._handle().cas_received(ts, seen)
            return
        if abcd == rx.value:
            return
        self._confirm[ts] = self.clock.call_later(rx.debounce,
                                                  lambda: self._held(ts, abcd))

    def _held(self, ts: int, abcd: int) -> None:
        self._confirm.pop(ts, None)
        if not self.up or self._raw[ts] != abcd:
            return
        seen = self._rx[ts].feed(abcd, self._rx[ts].debounce)
        if seen is not None:
            self._handle().cas_received(ts, seen)

    def _drain(self) -> None:
        with self._inbox_lock:
            chunks, self._inbox = self._inbox, []
            self._drain_posted = False
        if not self._started:
            return
        switch = self.card.switch
        handler = self._handle()
        for ts, chunk in chunks:
            self.chunks_in += 1
            handler.audio_received(ts, chunk)
            out = handler.audio_to_send(ts)
            if switch is None:
                continue
            if switch.queued(ts) >= MAX_QUEUED:      # the loop fell behind the line
                self.chunks_dropped += 1
                continue
            switch.send(ts, out)

    def _handle(self) -> CasHandler:
        assert self.handler is not None      # start() refuses to run without one
        return self.handler

    def describe(self) -> dict[str, object]:
        return {"path": "framer CAS", "up": self.up, "alarms": self.alarms,
                "cas_changes": self.cas_changes, "line_hits": self.line_hits,
                "chunks_in": self.chunks_in, "chunks_dropped": self.chunks_dropped}

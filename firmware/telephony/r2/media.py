"""The audio hand-off of one timeslot: once MF signalling is over, the audio is the media path's.

Before and during interregister signalling the timeslot's audio belongs to the
MF register (tones in, tones out). When it ends with the called party free,
the speech path is through-connected (``connected``): every received 20 ms
A-law frame goes to the consumer attached with :meth:`attach` (the daemon's
relay to a media node), and what the media path :meth:`send`-s goes out, one
frame per 20 ms, silence when nothing is queued. Through-connection happens at
the end of group B, before answer, so the caller can hear ringing and the far
end's in-band progress tones.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Callable

from firmware.telephony.r2.mf import FRAME_SAMPLES, SILENCE

log = logging.getLogger(__name__)

MAX_QUEUED = 10          # 200 ms: more than that is a sender running ahead of the line


class MediaPath:
    def __init__(self, ts: int) -> None:
        self.ts = ts
        self.connected = False
        self._consumer: Callable[[bytes], None] | None = None
        self._out: deque[bytes] = deque()
        self.frames_in = 0
        self.frames_out = 0
        self.underruns = 0
        self.overflows = 0

    # ------------------------------------------------------------ the media side
    def attach(self, consumer: Callable[[bytes], None] | None) -> None:
        """Hand every received frame to ``consumer`` while connected (None: stop)."""
        self._consumer = consumer

    def send(self, frame: bytes) -> None:
        """Queue one 160-octet A-law frame for the line."""
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"a frame is {FRAME_SAMPLES} A-law octets, not {len(frame)}")
        if not self.connected:
            return
        if len(self._out) >= MAX_QUEUED:
            self._out.popleft()
            self.overflows += 1
        self._out.append(bytes(frame))

    # ------------------------------------------------------------ the line side (the circuit)
    def connect(self) -> None:
        self.connected = True

    def disconnect(self) -> None:
        self.connected = False
        self._out.clear()

    def deliver(self, frame: bytes) -> None:
        if not self.connected:
            return
        self.frames_in += 1
        if self._consumer is not None:
            try:
                self._consumer(frame)
            except Exception:       # one consumer's bug must not stop the line
                log.exception("r2 ts=%d media consumer failed", self.ts)

    def next_frame(self) -> bytes:
        if self.connected and self._out:
            self.frames_out += 1
            return self._out.popleft()
        if self.connected:
            self.underruns += 1
        return SILENCE

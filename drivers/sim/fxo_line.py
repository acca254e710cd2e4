"""A PSTN loop as the FXO port sees it: battery, polarity, ringing, caller ID, far end.

Volts and milliamps follow from a few numbers (battery -48 V, 800 ohm loop and feed, a
DAA that holds about 7 V off-hook); ringing is a 25 Hz (20 Hz in the US) burst
in the zone's cadence. The caller's scripts are methods: :meth:`FxoLineSim.call`
(optional polarity reversal, ring bursts, caller ID in the first silent
interval), :meth:`answered_by_far_end`, and the three ways a far end hangs up
(:meth:`far_end_clears` with ``"polarity"``, ``"open_loop"`` or ``"busy_tone"``).

Caller ID is modelled as the message (SDMF/MDMF octets with their checksum, or
the DTMF string) and the interval it is sent in; the audio itself waits for
``acd_core.tonegen``/``callerid``. It is *heard* only if the DAA has its on-hook
line monitor (ONHM) on during that interval, which is what the driver must do.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from acd_core.clock import Clock

# zone -> (ring frequency Hz, cadence seconds on/off/...)  (zonedata.c; 25 Hz EU/CN (v))
RING_ZONES: dict[str, tuple[float, tuple[float, ...]]] = {
    "US": (20.0, (2.0, 4.0)),
    "UK": (25.0, (0.4, 0.2, 0.4, 2.0)),
    "EU": (25.0, (1.0, 4.0)),
    "DE": (25.0, (1.0, 4.0)),
    "CN": (25.0, (1.0, 4.0)),
}
OFFHOOK_VOLTS = 7.0
DAA_DROP_OHMS = 400.0


def mdmf(number: str, name: str = "", when: str = "") -> bytes:
    """Bellcore/ETSI MDMF message with the two's-complement checksum."""
    body = bytearray()
    for ptype, value in ((0x01, when), (0x02, number), (0x07, name)):
        if value:
            raw = value.encode("ascii")
            body += bytes([ptype, len(raw)]) + raw
    msg = bytes([0x80, len(body)]) + body
    return msg + bytes([(256 - sum(msg)) & 0xFF])


def dtmf_cid(number: str) -> str:
    return f"A{number}C"


@dataclass
class CallerId:
    number: str
    name: str = ""
    when: str = ""
    method: str = "fsk"          # "fsk" | "dtmf"

    def message(self) -> bytes | str:
        return mdmf(self.number, self.name, self.when) if self.method == "fsk" else dtmf_cid(self.number)


class FxoLineSim:
    def __init__(self, clock: Clock, zone: str = "EU", battery: float = 48.0,
                 loop_ohms: float = 800.0) -> None:
        self.clock = clock
        self.zone = zone
        self.ring_hz, self.cadence = RING_ZONES[zone]
        self.battery = battery
        self.loop_ohms = loop_ohms
        self.polarity = 1
        self.plugged = True
        self.battery_ok = True
        self.parallel_offhook = False
        self.offhook = False              # our DAA's hook switch
        self.tone: str | None = None      # what the far end plays ("busy", "dial", ...)
        self._ring_start: float | None = None
        self._ring_stop_after: float | None = None
        self.cid: CallerId | None = None
        self.cid_heard: list[bytes | str] = []
        self.cid_sent = False
        self.cid_window: tuple[float, float] | None = None
        self.monitor: Callable[[], bool] = lambda: False   # is the DAA's ONHM on?
        self.open_until: float | None = None

    # ----------------------------------------------------------------- scripts
    def call(self, cid: CallerId | None = None, polarity_reversal: bool = False,
             rings: int = 10) -> None:
        now = self.clock.now()
        if polarity_reversal:
            self.polarity = -self.polarity
        self._ring_start = now
        period = sum(self.cadence)
        self._ring_stop_after = now + rings * period
        self.cid = cid
        self.cid_sent = False
        # first silent interval: start 500 ms after the first burst, 200 ms before the next
        first_on = self.cadence[0]
        self.cid_window = (now + first_on + 0.5, now + period - 0.2) if cid else None
        if cid is not None:
            self.clock.call_later(self.cid_window[1] - now, self._cid_done)

    def _cid_done(self) -> None:
        if self.cid is not None and not self.cid_sent:
            self.cid_sent = True
            if self.monitor() and not self.offhook:
                self.cid_heard.append(self.cid.message())

    def caller_gives_up(self) -> None:
        self._ring_start = None

    def answered_by_far_end(self, reverse: bool = True) -> None:
        """Our outgoing call is answered: many exchanges reverse polarity."""
        if reverse:
            self.polarity = -self.polarity

    def far_end_clears(self, how: str) -> None:
        if how == "polarity":
            self.polarity = -self.polarity
        elif how == "open_loop":
            self.open_until = self.clock.now() + 0.8   # battery removed, then restored
        elif how == "busy_tone":
            self.tone = "busy"
        else:
            raise ValueError("how is polarity, open_loop or busy_tone")

    # ----------------------------------------------------------------- state
    def _battery_now(self) -> float:
        if not self.plugged or not self.battery_ok:
            return 0.0
        if self.open_until is not None:
            if self.clock.now() < self.open_until:
                return 0.0
            self.open_until = None
        return self.battery

    def ringing(self) -> bool:
        """Is a ring burst on the line right now?"""
        if self._ring_start is None or self.offhook or not self.plugged:
            return False
        now = self.clock.now()
        if self._ring_stop_after is not None and now >= self._ring_stop_after:
            self._ring_start = None
            return False
        t = (now - self._ring_start) % sum(self.cadence)
        for i, seg in enumerate(self.cadence):
            if t < seg:
                return i % 2 == 0
            t -= seg
        return False

    def ring_half(self) -> int:
        """+1 / -1 for the ring signal's half-wave now, 0 when not ringing."""
        if not self.ringing():
            return 0
        phase = ((self.clock.now() - self._ring_start) * self.ring_hz) % 1.0
        return 1 if phase < 0.5 else -1

    def tip_ring_volts(self) -> float:
        batt = self._battery_now()
        if batt == 0.0:
            return 0.0
        if self.offhook or self.parallel_offhook:
            return OFFHOOK_VOLTS * self.polarity
        return batt * self.polarity

    def loop_ma(self) -> float:
        if not self.offhook:
            return 0.0
        batt = self._battery_now()
        if batt == 0.0:
            return 0.0
        return max(0.0, (batt - OFFHOOK_VOLTS) / (self.loop_ohms + DAA_DROP_OHMS) * 1000.0)

    def set_hook(self, offhook: bool) -> None:
        if offhook and not self.offhook and self.ringing():
            self._ring_start = None       # answered: ringing stops
        self.offhook = offhook

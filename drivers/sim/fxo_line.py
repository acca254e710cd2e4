"""A PSTN loop as the FXO port sees it: battery, polarity, ringing, caller ID, far end.

Volts and milliamps follow from a few numbers (battery -48 V, 800 ohm loop and feed, a
DAA that holds about 7 V off-hook); ringing is a 25 Hz (20 Hz in the US) burst
in the zone's cadence. The caller's scripts are methods: :meth:`FxoLineSim.call`
(optional polarity reversal, ring bursts, caller ID in the first silent
interval), :meth:`answered_by_far_end`, and the three ways a far end hangs up
(:meth:`far_end_clears` with ``"polarity"``, ``"open_loop"`` or ``"busy_tone"``).

What the exchange sends is audio on :attr:`FxoLineSim.audio` (see
:mod:`drivers.sim.pcm`; the DAA model puts it in the port's TDM timeslot):
caller ID as FSK (``acd_core.tonegen.fsk_callerid`` of an MDMF
``CallerIdMessage``, Bell 202 or V.23 by zone) or DTMF (``A…C``/``D…C``,
``B10C``/``B00C`` when withheld), starting 500 ms after the first ring (the
last burst of the first cadence period) ends and finished at least 200 ms before
the next ring (GR-30 / EN 300 659-1); and after :meth:`far_end_clears` with
``"busy_tone"`` the zone's busy or congestion tone while we stay off-hook.
The caller-ID audio stops when we go off-hook or the caller gives up.

The message is also recorded in :attr:`FxoLineSim.cid_heard` if the DAA had its
on-hook line monitor (ONHM) on when the interval closed, for tests that stop at
message level.

The other direction: what the box sends while off-hook (the DAA hands it to
:meth:`FxoLineSim.receive`) is kept in :attr:`FxoLineSim.heard`, and the
exchange's digit receiver (``acd_core``'s ``DtmfDetector``) collects dialled
digits in :attr:`FxoLineSim.dialled`. Going off-hook when no call is ringing
seizes the line: the exchange plays the zone's dial tone (``dial_tone`` False:
a dead exchange that gives none) until the first digit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from acd_core import tonegen
from acd_core.callerid import CallerIdMessage, DtmfCallerId
from acd_core.clock import Clock
from acd_core.dtmf import DtmfDetector
from acd_core.progress.zones import zone as tone_zone
from drivers.sim.pcm import RATE, AudioTimeline, sample_at

# zone -> (ring frequency Hz, cadence seconds on/off/...)  (zonedata.c; 25 Hz EU/CN (v))
#: fraction of a ring period on each side of a zero crossing where neither RDTP nor RDTN
#: is set: the Si3050's ring threshold (about 15 Vrms, RT = 0) over a 90 Vrms ring signal
#: is asin(15 / 90) / 2 pi = 0.027 of a period
RING_DEAD_BAND = 0.027
RING_ZONES: dict[str, tuple[float, tuple[float, ...]]] = {
    "US": (20.0, (2.0, 4.0)),
    "UK": (25.0, (0.4, 0.2, 0.4, 2.0)),
    "EU": (25.0, (1.0, 4.0)),
    "DE": (25.0, (1.0, 4.0)),
    "CN": (25.0, (1.0, 4.0)),
}
# zone -> FSK standard: Bellcore (Bell 202) in North America, ETSI (V.23) in Europe;
# China's YDN 069 FSK taken as Bell 202 (sim; not confirmed).
CID_STANDARDS = {"US": "bell202", "UK": "v23", "EU": "v23", "DE": "v23", "CN": "bell202"}
CID_AFTER_RING = 0.5      # FSK starts >= 500 ms after the first ring ends (GR-30, EN 300 659-1)
CID_BEFORE_RING = 0.2     # and ends >= 200 ms before the next ring
DTMF_CID_ON_MS = 70.0     # (sim) DTMF caller ID digit and pause lengths; the detector needs 40 ms
DTMF_CID_OFF_MS = 70.0
REASON_LETTERS = {"P": "private", "O": "unavailable"}
OFFHOOK_VOLTS = 7.0
DAA_DROP_OHMS = 400.0
DTMF_TAIL = 0.2           # silence still fed to the exchange's digit receiver after a tone


def mdmf(number: str, name: str = "", when: str = "", withheld: str | None = None) -> bytes:
    """Bellcore/ETSI MDMF call set-up message with its two's-complement checksum.

    ``withheld`` ('P' private, 'O' unavailable) sends the "number absent" reason
    (and "name absent" when there is no name) instead of the number.
    """
    return bytes(CallerIdMessage(date_time=when or None,
                                 number=None if withheld else (number or None),
                                 number_absent=withheld or None, name=name or None,
                                 name_absent=withheld if withheld and not name else None))


def dtmf_cid(number: str, start: str = "A", withheld: str | None = None) -> str:
    """``A<number>C`` / ``D<number>C``, or ``B10C`` (private) / ``B00C`` (unavailable)."""
    if withheld:
        return str(DtmfCallerId(None, REASON_LETTERS[withheld], "B"))
    return f"{start}{number}C"


@dataclass
class CallerId:
    number: str = ""
    name: str = ""
    when: str = ""               # MMDDhhmm
    method: str = "fsk"          # "fsk" | "dtmf"
    withheld: str | None = None  # 'P' private / 'O' unavailable: no number sent
    dtmf_start: str = "A"        # "A" or "D" (DTMF caller ID start digit)
    standard: str | None = None  # FSK "bell202" | "v23"; None: the line's zone decides

    def __post_init__(self) -> None:
        if self.withheld is not None and self.withheld not in REASON_LETTERS:
            raise ValueError("withheld is 'P' (private) or 'O' (unavailable)")
        if self.dtmf_start not in ("A", "D"):
            raise ValueError("a DTMF caller ID starts with A or D")

    def message(self) -> bytes | str:
        if self.method == "fsk":
            return mdmf(self.number, self.name, self.when, self.withheld)
        return dtmf_cid(self.number, self.dtmf_start, self.withheld)

    def audio(self, zone: str) -> bytes:
        """The caller ID as the exchange sends it: int16 LE PCM, 8 kHz, no trailing silence."""
        msg = self.message()
        if isinstance(msg, bytes):   # FSK: MDMF octets
            return tonegen.fsk_callerid(msg, self.standard or CID_STANDARDS[zone])
        pcm = tonegen.dtmf(msg, DTMF_CID_ON_MS, DTMF_CID_OFF_MS)
        return pcm[:len(pcm) - 2 * int(round(DTMF_CID_OFF_MS * RATE / 1000))]


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
        self.cid_audio: tuple[float, float] | None = None  # when the caller-ID audio plays
        self.monitor: Callable[[], bool] = lambda: False   # is the DAA's ONHM on?
        self.open_until: float | None = None
        self.audio = AudioTimeline()      # what the far end / exchange sends towards us
        self.heard = AudioTimeline()      # what the box sent down the line (off-hook)
        self.dial_tone = True             # the exchange answers a seizure with dial tone
        self.dialled: list[tuple[float, str]] = []
        self._digits = DtmfDetector()
        self._quiet_fed = 0.0

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
        self.cid_audio = None
        # first silent interval (the last pause of the cadence period): start 500 ms
        # after the first ring ends, end 200 ms before the next
        ring_end = now + period - self.cadence[-1]
        window = (ring_end + CID_AFTER_RING, now + period - CID_BEFORE_RING)
        self.cid_window = window if cid else None
        if cid is not None:
            pcm = cid.audio(self.zone)
            first = -int(-window[0] * RATE // 1)        # first sample at or after
            last = int(window[1] * RATE // 1)
            if first + len(pcm) // 2 > last:
                raise ValueError(f"caller ID of {len(pcm) / 2 / RATE:.2f} s does not fit the "
                                 f"{window[1] - window[0]:.2f} s between "
                                 f"rings of zone {self.zone}")
            start, end = self.audio.place(first, pcm, "cid")
            self.cid_audio = (start / RATE, end / RATE)
            self.clock.call_later(window[1] - now, self._cid_done)

    def _cid_done(self) -> None:
        if self.cid is not None and not self.cid_sent:
            self.cid_sent = True
            if self.monitor() and not self.offhook:
                self.cid_heard.append(self.cid.message())

    def caller_gives_up(self) -> None:
        self._ring_start = None
        self.audio.cut(sample_at(self.clock.now()), "cid")

    def answered_by_far_end(self, reverse: bool = True) -> None:
        """Our outgoing call is answered: many exchanges reverse polarity."""
        if reverse:
            self.polarity = -self.polarity

    def far_end_clears(self, how: str, tone: str = "busy") -> None:
        """``how``: ``polarity``, ``open_loop`` or ``busy_tone`` (then ``tone`` is
        ``busy`` or ``congestion``, played while we stay off-hook)."""
        if how == "polarity":
            self.polarity = -self.polarity
        elif how == "open_loop":
            self.open_until = self.clock.now() + 0.8   # battery removed, then restored
        elif how == "busy_tone":
            if tone not in ("busy", "congestion"):
                raise ValueError("the far end's tone is busy or congestion")
            self.tone = tone
            if self.offhook:
                self._play_tone(tone)
        else:
            raise ValueError("how is polarity, open_loop or busy_tone")

    def _play_tone(self, kind: str) -> None:
        """The zone's cadenced tone, one cycle rendered by tonegen and repeated."""
        tz = self.zone.lower()
        # a continuous tone (dial) is rendered for 1 s: a whole number of periods of every
        # zone's frequencies, so the repeat has no seam
        cycle_ms = sum(ms for _, ms in tone_zone(tz)[kind].steps) or 1000
        self.audio.repeat(sample_at(self.clock.now()),
                          tonegen.progress(tz, kind, cycle_ms / 1000.0), "tone")

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
        """+1 / -1 for the ring signal's half-wave now; 0 when not ringing, and near each
        zero crossing, where the sine is below the DAA's ring threshold
        (``RING_DEAD_BAND``): a driver sampling at a multiple of the ring period can
        land there every time."""
        if not self.ringing() or self._ring_start is None:
            return 0
        phase = ((self.clock.now() - self._ring_start) * self.ring_hz) % 1.0
        if min(phase, abs(phase - 0.5), 1.0 - phase) < RING_DEAD_BAND:
            return 0
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
        incoming = self._ring_start is not None and (
            self._ring_stop_after is None or self.clock.now() < self._ring_stop_after)
        if offhook and not self.offhook and self.ringing():
            self._ring_start = None       # answered: ringing stops
        now = sample_at(self.clock.now())
        if offhook and not self.offhook:
            self.audio.cut(now, "cid")    # the exchange aborts caller ID on an answer
            if incoming:
                self._ring_start = None   # answered between bursts
            elif self.dial_tone and self.battery_ok and self.plugged:
                self._play_tone("dial")   # a seizure: the exchange is ready for digits
                self._digits.reset()
        if not offhook and self.offhook:
            self.audio.cut(now, "tone")   # back on-hook: the line is idle again
            self.tone = None
        self.offhook = offhook

    def receive(self, start: int, pcm: bytes, silent: bool = False) -> None:
        """Audio from the box (int16 LE) from sample ``start`` on, while we are off-hook."""
        if not self.offhook:
            return
        n = len(pcm) // 2
        if silent:
            if self._quiet_fed >= DTMF_TAIL:
                return                    # nothing to hear; the receiver has seen the gap
            self._quiet_fed += n / RATE
        else:
            self._quiet_fed = 0.0
            self.heard.place(start, pcm, "box")
            self.heard.forget(start - 60 * RATE)
        base = self._digits.samples_seen
        for offset, digit in self._digits.process(pcm):
            at = (start + offset - base) / RATE
            self.dialled.append((at, digit))
            self.audio.cut(sample_at(at), "tone")     # dial tone stops at the first digit

"""FXO line signalling: one PSTN line on a Si3050 DAA, as a table-driven state machine.

Sans I/O: it takes the DAA driver's events (:meth:`FxoLine.driver_event`:
``ring``, ``ring_end``, ``polarity``, ``no_battery``, ``battery``, and the card's
``fault`` / ``fault_clear`` when the DAA stops or starts answering), the port's
received audio in 20 ms A-law chunks (:meth:`FxoLine.audio`, from
``drivers.tdm_switch``) and the daemon's commands (:meth:`answer`,
:meth:`hangup`, :meth:`dial`, :meth:`flash`); it drives the hook through the
DAA, sends audio (DTMF digits) through ``send_audio`` and reports upwards
through ``on_event`` with the values below. Time is the injected ``Clock``.

Incoming: the first ring -> ``ringing``; caller ID is listened for on the
port's audio between the first and second ring (FSK Bell 202 / V.23 with
``acd_core``'s ``CallerIdReceiver``, DTMF caller ID with
``DtmfCallerIdReceiver``); the call is offered (:class:`IncomingCall`) when a
caller ID arrives or, without one, at the second ring (one that follows a pause
long enough to have carried caller ID, ``cid_pause``). :meth:`answer` goes
off-hook. No ring for ``ring_timeout`` means the caller gave up.

Outgoing: :meth:`dial` seizes the line (off-hook), waits for dial tone
(``ProgressDetector``, ``dial_tone_wait``), sends the digits as DTMF from
``acd_core.tonegen`` into the port's audio and then waits for the far end. With
``answer_supervision`` (the line reverses polarity when the far end answers)
the call is connected on that reversal; without it there is no answer signal
on a plain analog line, so the call counts as connected once the digits are
out (the assumption chan_dahdi makes without ``answeronpolarityswitch``).

Connected calls end by a polarity reversal, a loss of battery (open-loop
disconnect) or a busy/congestion tone on the audio (``ProgressDetector``), or
by :meth:`hangup`. :meth:`flash` is a timed break of the country's flash
length for a transfer on the PSTN side. Far-end DTMF while connected is
reported as :class:`Digit` (IVR input).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Protocol

from acd_core import tonegen
from acd_core.callerid import CallerIdReceiver, DtmfCallerIdReceiver
from acd_core.clock import Clock, TimerHandle
from acd_core.dtmf import DtmfDetector
from acd_core.g711 import alaw_to_linear, linear_to_alaw
from acd_core.progress import ProgressDetector
from acd_core.timers import TimerSpec, TimerTable
from firmware.telephony.analog.fsm import Fsm

log = logging.getLogger("callbox.analog")

TIMERS = TimerTable(
    TimerSpec("ring_timeout", 8.0, "s", "no ring this long after the last one: the caller gave "
              "up (chan_dahdi ringtimeout)", 6.5, 30),
    TimerSpec("dial_tone_wait", 5.0, "s", "longest wait for dial tone after seizing the line",
              1, 30),
    TimerSpec("dtmf_on", 0.1, "s", "length of each digit we dial", 0.05, 0.5),
    TimerSpec("dtmf_off", 0.1, "s", "pause after each digit we dial", 0.05, 0.5),
    TimerSpec("cid_pause", 0.7, "s", "shortest pause between rings that can carry caller ID "
              "(it starts >= 500 ms after a ring and ends >= 200 ms before the next, GR-30 / "
              "EN 300 659-1): a ring after a shorter pause belongs to the same ring (the UK "
              "double ring, a ring detector that lost the ring signal for a moment) and is "
              "not the second ring that offers the call without caller ID", 0.3, 2.0),
)
CID_STANDARDS = {"US": "bell202", "CN": "bell202", "EU": "v23", "UK": "v23", "DE": "v23"}

TABLE: dict[str, dict[str, str]] = {
    "idle": {"ring": "ringing", "dial": "seizing", "battery_lost": "no_line",
             "hangup": "idle"},
    "ringing": {"ring": "offered", "ring_end": "ringing", "caller_id": "offered",
                "ring_timeout": "idle", "answer": "connected", "battery_lost": "no_line",
                "hangup": "idle"},
    "offered": {"ring": "offered", "ring_end": "offered", "caller_id": "offered",
                "answer": "connected", "ring_timeout": "idle", "battery_lost": "no_line",
                "hangup": "idle"},
    "seizing": {"dial_tone": "dialling", "dial_tone_timeout": "idle", "hangup": "idle",
                "battery_lost": "no_line"},
    "dialling": {"digits_sent": "proceeding", "hangup": "idle", "battery_lost": "no_line",
                 "busy_tone": "idle"},
    "proceeding": {"far_answer": "connected", "busy_tone": "idle", "hangup": "idle",
                   "battery_lost": "no_line"},
    "connected": {"far_clear": "idle", "busy_tone": "idle", "battery_lost": "no_line",
                  "hangup": "idle", "flash": "flashing"},
    "flashing": {"flash_done": "connected", "hangup": "idle", "battery_lost": "no_line"},
    "no_line": {"battery_back": "idle", "hangup": "no_line", "battery_lost": "no_line"},
    # the DAA stopped answering (the card's ``fault``): nothing is known of the line until
    # the card reports it back (``fault_clear``, the chip configured again and on-hook)
    "fault": {"fault_clear": "idle", "hangup": "fault", "battery_lost": "fault",
              "battery_back": "fault", "chip_fault": "fault"},
}
for _state, _moves in TABLE.items():
    _moves.setdefault("chip_fault", "fault")


class Daa(Protocol):
    """What the line needs of ``drivers.analog.si3050.Si3050``."""

    def off_hook(self) -> None: ...

    def on_hook(self) -> None: ...


# ------------------------------------------------------------------ events upwards
@dataclass(frozen=True)
class IncomingCall:
    port: int
    caller_number: str
    caller_name: str
    reason: str = ""           # "private" / "unavailable" when the number was withheld


@dataclass(frozen=True)
class Connected:
    port: int
    direction: str             # "in" | "out"


@dataclass(frozen=True)
class Disconnected:
    port: int
    reason: str                # "polarity", "battery", "busy", "congestion", "hangup", "gave_up",
    #                            "fault" (the DAA stopped answering)


@dataclass(frozen=True)
class CallFailed:
    port: int
    reason: str                # "no_dial_tone", "busy", "congestion", "no_battery", "fault"


@dataclass(frozen=True)
class Digit:
    port: int
    digit: str


class FxoLine:
    def __init__(self, port: int, daa: Daa, clock: Clock, send_audio: Callable[[bytes], None],
                 on_event: Callable[[object], None], zone: str = "EU", cid: str = "auto",
                 cid_standard: str | None = None, flash_time: float = 0.1,
                 answer_supervision: bool = True) -> None:
        if cid not in ("auto", "fsk", "dtmf", "none"):
            raise ValueError("cid is auto, fsk, dtmf or none")
        self.port = port
        self.daa = daa
        self.clock = clock
        self.send_audio = send_audio
        self.on_event = on_event
        self.zone = zone
        self.cid = cid
        self.cid_standard = cid_standard or CID_STANDARDS.get(zone, "v23")
        self.flash_time = flash_time
        self.answer_supervision = answer_supervision
        self.fsm = Fsm(f"fxo {port}", TABLE, "idle")
        self.caller: IncomingCall | None = None
        self.number = ""
        self._timers: dict[str, TimerHandle] = {}
        self._fsk: CallerIdReceiver | None = None
        self._dtmf_cid: DtmfCallerIdReceiver | None = None
        self._progress: ProgressDetector | None = None
        self._digits: DtmfDetector | None = None
        self._ring_ended_at: float | None = None

    @property
    def state(self) -> str:
        return self.fsm.state

    # ------------------------------------------------------------------ plumbing
    def _go(self, event: str, note: str = "") -> str:
        before = self.fsm.transition(event, note)
        if before != self.state:
            self._enter(before)
        return before

    def _timer(self, name: str, seconds: float | None = None) -> None:
        self._cancel(name)
        delay = TIMERS[name] if seconds is None else seconds
        self._timers[name] = self.clock.call_later(delay, lambda: self._expired(name))

    def _cancel(self, name: str) -> None:
        handle = self._timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _expired(self, name: str) -> None:
        self._timers.pop(name, None)
        if name == "ring_timeout" and self.fsm.accepts("ring_timeout"):
            offered = self.state == "offered"
            self._go("ring_timeout", "the caller gave up")
            if offered:
                self.on_event(Disconnected(self.port, "gave_up"))
        elif name == "dial_tone_wait" and self.state == "seizing":
            self._go("dial_tone_timeout")
            self.on_event(CallFailed(self.port, "no_dial_tone"))
        elif name == "digits" and self.state == "dialling":
            self._go("digits_sent", self.number)
            if not self.answer_supervision:
                self._go("far_answer", "no answer supervision: connected after dialling")
                self.on_event(Connected(self.port, "out"))
        elif name == "flash" and self.state == "flashing":
            self.daa.off_hook()
            self._go("flash_done")

    def _enter(self, before: str) -> None:
        """Entry actions of the state just entered (detectors follow the state)."""
        s = self.state
        self._fsk = self._dtmf_cid = None
        self._progress = self._digits = None
        if s in ("ringing", "offered") and self.caller is None:
            if self.cid in ("auto", "fsk"):
                self._fsk = CallerIdReceiver(self.cid_standard)
            if self.cid in ("auto", "dtmf"):
                self._dtmf_cid = DtmfCallerIdReceiver()
        if s in ("seizing", "dialling", "proceeding", "connected"):
            self._progress = ProgressDetector(self.zone.lower())
        if s == "connected":
            self._digits = DtmfDetector()
        if s in ("idle", "no_line", "fault"):
            for name in list(self._timers):
                self._cancel(name)
            if s != "fault" and before not in ("idle", "no_line", "fault"):
                self.daa.on_hook()
            self.caller = None
            self.number = ""
            self._ring_ended_at = None

    # ------------------------------------------------------------------ driver events
    def driver_event(self, event: str) -> None:
        """An event of the DAA driver (``Si3050.on_event``'s second argument)."""
        if event == "ring":
            if self.state in ("idle", "ringing", "offered"):
                self._timer("ring_timeout")
                if self.state == "ringing":
                    if self._after_pause():      # the second ring: offer, caller ID or not
                        self._offer(IncomingCall(self.port, "", ""), "ring", "no caller ID")
                    else:
                        log.info("fxo port=%d ring after a short pause: same ring", self.port)
                else:
                    self._go("ring")
        elif event == "ring_end":
            if self.fsm.accepts("ring_end"):
                self._ring_ended_at = self.clock.now()
                self._timer("ring_timeout")
                self._go("ring_end")
        elif event == "polarity":
            if self.state == "proceeding":
                self._go("far_answer", "answer polarity reversal")
                self.on_event(Connected(self.port, "out"))
            elif self.state == "connected":
                self._disconnect("far_clear", "polarity")
        elif event == "no_battery":
            if self.state in ("connected", "flashing"):
                self.on_event(Disconnected(self.port, "battery"))
            elif self.state in ("seizing", "dialling", "proceeding"):
                self.on_event(CallFailed(self.port, "no_battery"))
            elif self.state == "offered":
                self.on_event(Disconnected(self.port, "battery"))
            self._go("battery_lost")
        elif event == "battery":
            if self.state == "no_line":
                self._go("battery_back")
        elif event == "fault":          # the chip is gone: a call on it cannot go on
            if self.state in ("connected", "flashing", "offered"):
                self.on_event(Disconnected(self.port, "fault"))
            elif self.state in ("seizing", "dialling", "proceeding"):
                self.on_event(CallFailed(self.port, "fault"))
            self._go("chip_fault")
        elif event == "fault_clear":
            if self.state == "fault":
                self._go("fault_clear", "the DAA answers again")
        # ring bits, parallel phones and alarms do not change the call's state

    def _after_pause(self) -> bool:
        """Did the ring just detected follow a pause long enough for caller ID?"""
        ended = self._ring_ended_at
        return ended is not None and self.clock.now() - ended >= TIMERS["cid_pause"] - 1e-9

    def _offer(self, call: IncomingCall, event: str, note: str) -> None:
        self.caller = call
        self._go(event, note)
        self.on_event(call)

    def _disconnect(self, event: str, reason: str) -> None:
        self._go(event, reason)
        self.on_event(Disconnected(self.port, reason))

    # ------------------------------------------------------------------ audio
    def audio(self, alaw: bytes) -> None:
        """One chunk of the port's received audio (A-law, from the TDM switch)."""
        if self._fsk is None and self._dtmf_cid is None and self._progress is None \
                and self._digits is None:
            return
        pcm = alaw_to_linear(alaw)
        if self._fsk is not None:
            for _, msg in self._fsk.process(pcm):
                if self.caller is None:
                    self._offer(IncomingCall(self.port, msg.number or "", msg.name or "",
                                             msg.reason or ""), "caller_id", "FSK")
                    return
        if self._dtmf_cid is not None:
            for _, dcid in self._dtmf_cid.process(pcm):
                if self.caller is None:
                    self._offer(IncomingCall(self.port, dcid.number or "", "",
                                             dcid.reason or ""), "caller_id", "DTMF")
                    return
        if self._progress is not None:
            for _, kind in self._progress.process(pcm):
                if kind == "dial" and self.state == "seizing":
                    self._cancel("dial_tone_wait")
                    self._go("dial_tone")
                    self._send_digits()
                    return
                if kind in ("busy", "congestion"):
                    if self.state == "connected":
                        self._disconnect("busy_tone", kind)
                        return
                    if self.state in ("dialling", "proceeding"):
                        self._go("busy_tone", kind)
                        self.on_event(CallFailed(self.port, kind))
                        return
        if self._digits is not None:
            for _, d in self._digits.process(pcm):
                self.on_event(Digit(self.port, d))

    # ------------------------------------------------------------------ commands
    def answer(self) -> None:
        """Go off-hook on a ringing line."""
        self._cancel("ring_timeout")
        self._go("answer")
        self.daa.off_hook()
        self.on_event(Connected(self.port, "in"))

    def hangup(self) -> None:
        """Go on-hook, whatever the call is doing."""
        if self.state in ("idle", "no_line", "fault"):
            return
        self._go("hangup")
        self.on_event(Disconnected(self.port, "hangup"))

    def dial(self, number: str) -> None:
        """Seize the line, wait for dial tone, dial ``number`` as DTMF."""
        if not number or any(c not in "0123456789*#ABCD" for c in number):
            raise ValueError(f"cannot dial {number!r} in DTMF")
        self._go("dial", number)
        self.number = number
        self.daa.off_hook()
        self._timer("dial_tone_wait")

    def flash(self) -> None:
        """Hook flash: on-hook for the country's flash time, then off-hook (PSTN transfer)."""
        self._go("flash", f"{self.flash_time * 1000:.0f} ms")
        self.daa.on_hook()
        self._timer("flash", self.flash_time)

    def _send_digits(self) -> None:
        on, off = TIMERS["dtmf_on"], TIMERS["dtmf_off"]
        pcm = tonegen.dtmf(self.number, on * 1000.0, off * 1000.0)
        self.send_audio(linear_to_alaw(pcm))
        self._timer("digits", len(pcm) / 2 / 8000.0)

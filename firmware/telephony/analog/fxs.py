"""FXS port signalling: an analog phone on a Si3217x ProSLIC as an agent seat.

Sans I/O like :mod:`firmware.telephony.analog.fxo`: the ProSLIC driver's events
(:meth:`FxsPort.driver_event`: ``offhook``, ``onhook`` (a hang-up, on-hook longer
than rxflash), ``flash``, and the card's ``fault`` / ``fault_clear`` when the
SLIC stops or starts answering), the port's received audio in 20 ms A-law chunks
(:meth:`FxsPort.audio`) and the daemon's commands (:meth:`ring`,
:meth:`stop_ring`, :meth:`far_end_gone`) drive a table; ``send_audio`` carries
tones and caller ID to the phone and ``on_event`` reports upwards.

Ringing uses the driver's cadence for the zone (the SLIC switches to on-hook
transmission between bursts); the caller ID is FSK (``acd_core.tonegen``,
Bell 202 or V.23 by zone) written into the port's audio ``cid_delay`` after
the first burst ends, when the loop is in on-hook transmission, as a phone's
display expects it (GR-30 / EN 300 659-1). Lifting the handset trips the ring
(the SLIC stops it by itself) and answers.

A phone lifted with no call gets dial tone; its keys (DTMF, decoded with
``acd_core``'s ``DtmfDetector`` on the port's audio) are matched against
:data:`FEATURE_CODES`, the seats' own table (``firmware.cti.codes.keypad_codes``:
``*11`` login, ``*12`` logout, ``*21`` pause, ``*22`` available, as a SIP phone
dials them): a complete code is reported as :class:`FeatureCode` and the phone
hears nothing more until it hangs up (busy tone if the daemon refused it,
:meth:`FxsPort.code_refused`); an unknown code, or a pause longer than
``interdigit``, gives busy tone. During a call the phone's keys are
:class:`SeatDigit` and a flash is :class:`SeatFlash` (transfer); when the
other side leaves first the phone hears busy tone until it hangs up.

Tones are paced by the port's own received audio: every chunk that comes in
from the TDM switch sends one chunk of the current tone back, so the tone keeps
up with the card's clock without a timer.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Protocol

from acd_core import tonegen
from acd_core.callerid import CallerIdMessage
from acd_core.clock import Clock, TimerHandle
from acd_core.dtmf import DtmfDetector
from acd_core.g711 import alaw_to_linear, linear_to_alaw
from acd_core.progress import zone as tone_zone
from acd_core.timers import TimerSpec, TimerTable
from firmware.cti.codes import keypad_codes
from firmware.telephony.analog.fsm import Fsm
from firmware.telephony.analog.fxo import CID_STANDARDS

log = logging.getLogger("callbox.analog")

FEATURE_CODES = keypad_codes()
TIMERS = TimerTable(
    TimerSpec("cid_delay", 0.5, "s", "caller ID starts this long after the first ring ends "
              "(GR-30 / EN 300 659-1: at least 500 ms)", 0.5, 2),
    TimerSpec("interdigit", 5.0, "s", "longest pause between the keys of a feature code", 1, 30),
    TimerSpec("ring_bursts", 20, "count", "ring cadence cycles before the driver stops by itself",
              1, 100),
)

TABLE: dict[str, dict[str, str]] = {
    "idle": {"offhook": "dialtone", "ring": "ringing", "onhook": "idle"},
    "ringing": {"offhook": "connected", "stop_ring": "idle", "onhook": "ringing"},
    "dialtone": {"digit": "collecting", "onhook": "idle", "far_end_gone": "dialtone"},
    "collecting": {"digit": "collecting", "code": "done", "unknown_code": "busy",
                   "interdigit": "busy", "onhook": "idle"},
    "done": {"onhook": "idle", "digit": "done", "refused": "busy"},
    "connected": {"onhook": "idle", "flash": "connected", "digit": "connected",
                  "far_end_gone": "busy"},
    "busy": {"onhook": "idle", "digit": "busy", "far_end_gone": "busy"},
    # the SLIC stopped answering (the card's ``fault``): nothing is known of the phone
    # until the card has it configured again (``fault_clear``: on-hook, idle)
    "fault": {"fault_clear": "idle", "chip_fault": "fault", "onhook": "fault",
              "far_end_gone": "fault", "stop_ring": "fault"},
}
for _state, _moves in TABLE.items():
    _moves.setdefault("chip_fault", "fault")


class Slic(Protocol):
    """What the port needs of ``drivers.analog.si3217x.Si3217x``."""

    cadence: tuple[float, ...]       # ring on/off seconds of the zone, as the driver rings

    def ring(self, cid: bytes | None = None, bursts: int = 20) -> None: ...

    def stop_ring(self) -> None: ...


@dataclass(frozen=True)
class SeatOffHook:
    port: int


@dataclass(frozen=True)
class SeatAnswered:
    port: int


@dataclass(frozen=True)
class SeatHungUp:
    port: int


@dataclass(frozen=True)
class SeatFlash:
    port: int


@dataclass(frozen=True)
class SeatDigit:
    port: int
    digit: str


@dataclass(frozen=True)
class FeatureCode:
    port: int
    code: str
    action: str              # FEATURE_CODES[code]


class FxsPort:
    def __init__(self, port: int, slic: Slic, clock: Clock, send_audio: Callable[[bytes], None],
                 on_event: Callable[[object], None], zone: str = "EU",
                 feature_codes: dict[str, str] | None = None) -> None:
        self.port = port
        self.slic = slic
        self.clock = clock
        self.send_audio = send_audio
        self.on_event = on_event
        self.zone = zone
        self.codes = dict(FEATURE_CODES if feature_codes is None else feature_codes)
        self.fsm = Fsm(f"fxs {port}", TABLE, "idle")
        self.keys = ""
        self._tone: tonegen.ToneStream | None = None
        self._dtmf: DtmfDetector | None = None
        self._timers: dict[str, TimerHandle] = {}

    @property
    def state(self) -> str:
        return self.fsm.state

    # ------------------------------------------------------------------ plumbing
    def _go(self, event: str, note: str = "") -> str:
        before = self.fsm.transition(event, note)
        if before != self.state:
            self._enter()
        return before

    def _enter(self) -> None:
        s = self.state
        tone = {"dialtone": "dial", "busy": "busy"}.get(s)
        self._tone = tonegen.ToneStream(tone_zone(self.zone.lower())[tone]) if tone else None
        if s not in ("dialtone", "collecting", "connected"):
            self._dtmf = None
        elif self._dtmf is None:         # one detector across the keys: a held key is one digit
            self._dtmf = DtmfDetector()
        if s != "collecting":
            self._cancel("interdigit")
        if s in ("dialtone", "idle"):
            self.keys = ""
        if s != "ringing":
            self._cancel("cid")

    def _timer(self, name: str, delay: float, action: Callable[[], None]) -> None:
        self._cancel(name)

        def fire() -> None:
            self._timers.pop(name, None)
            action()
        self._timers[name] = self.clock.call_later(delay, fire)

    def _cancel(self, name: str) -> None:
        handle = self._timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    # ------------------------------------------------------------------ driver events
    def driver_event(self, event: str) -> None:
        """An event of the ProSLIC driver (``Si3217x.on_event``'s second argument)."""
        if event == "offhook":
            answered = self.state == "ringing"
            self._go("offhook")
            self.on_event(SeatAnswered(self.port) if answered else SeatOffHook(self.port))
        elif event == "onhook":
            was = self.state
            self._go("onhook")
            if was in ("connected", "dialtone", "collecting", "done", "busy"):
                self.on_event(SeatHungUp(self.port))
        elif event == "fault":
            self._go("chip_fault")
        elif event == "fault_clear":
            if self.state == "fault":
                self._go("fault_clear", "the SLIC answers again")
        elif event == "flash":
            if self.state == "connected":
                self._go("flash")
                self.on_event(SeatFlash(self.port))
            # a flash with no call is nothing to act on (DAHDI ignores it too)

    # ------------------------------------------------------------------ audio
    def audio(self, alaw: bytes) -> None:
        """One chunk of the port's received audio (A-law, from the TDM switch)."""
        if self._tone is not None:
            self.send_audio(linear_to_alaw(self._tone.read(len(alaw))))
        if self._dtmf is None:
            return
        for _, digit in self._dtmf.process(alaw_to_linear(alaw)):
            self._key(digit)

    def _key(self, digit: str) -> None:
        if self.state == "connected":
            self._go("digit")
            self.on_event(SeatDigit(self.port, digit))
            return
        if self.state not in ("dialtone", "collecting"):
            return
        self.keys += digit
        self._go("digit", self.keys)
        if self.keys in self.codes:
            self._go("code", self.keys)
            self.on_event(FeatureCode(self.port, self.keys, self.codes[self.keys]))
        elif not any(code.startswith(self.keys) for code in self.codes):
            self._go("unknown_code", self.keys)
        else:
            self._timer("interdigit", TIMERS["interdigit"], self._interdigit)

    def _interdigit(self) -> None:
        if self.state == "collecting":
            self._go("interdigit", self.keys)

    # ------------------------------------------------------------------ commands
    def ring(self, caller_number: str = "", caller_name: str = "", when: str | None = None) -> None:
        """Ring in the zone's cadence and send the caller ID after the first burst."""
        self._go("ring", caller_number)
        self.slic.ring(bursts=int(TIMERS["ring_bursts"]))
        if caller_number or caller_name:
            msg = CallerIdMessage(date_time=when, number=caller_number or None,
                                  number_absent=None if caller_number else "O",
                                  name=caller_name or None)
            fsk = tonegen.fsk_callerid(bytes(msg), CID_STANDARDS.get(self.zone, "v23"))
            first = sum(self.slic.cadence[:-1])     # end of the first ring (UK: the double ring)
            self._timer("cid", first + TIMERS["cid_delay"],
                        lambda: self.send_audio(linear_to_alaw(fsk)))

    def stop_ring(self) -> None:
        """The caller left (or another seat took the call) before this phone answered."""
        was = self._go("stop_ring")
        if was != "fault":
            self.slic.stop_ring()

    def code_refused(self) -> None:
        """The daemon refused the feature code just reported: busy tone until on-hook."""
        if self.state == "done":
            self._go("refused")

    def far_end_gone(self) -> None:
        """The other side of the call hung up: busy tone until the phone hangs up."""
        self._go("far_end_gone")

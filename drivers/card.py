"""The card in the daemon: bring-up from the settings, service, health, faults.

``firmware/app.py`` builds the board (``drivers.board_profile.build``) and hands
it to :class:`Card` with the settings from ``callbox.toml``
(``Config.card_settings()``). :meth:`Card.start` configures every E1 span
(framing, CRC-4, line code, clock, CCS with the HDLC D-channel on TS16 for PRI
or CAS for R2) and brings up every analog port (country and impedance, PCM
timeslot, the DAA's line side, the SLIC's loop feed), so healthy lines come up
healthy: a DAA that was never powered reads no battery and a framer never set
up has no D-channel, which is what the daemon showed before this existed.

A card fault is not a line fault. A chip that stops answering (all-ones reads,
identity registers changed) is reported as ``chip not answering`` with its bus
and chip select, its port or span shows ``fault`` rather than a line state
derived from all-ones registers (a phantom off-hook, "no battery", HDLC
overruns), and it is probed every second: when it answers again it is brought
up again and the fault clears. Any other poll failure is a fault too, until a
poll succeeds. All-ones reads are caught at the poll that makes them; a chip
whose MISO is pulled low reads as idle lines instead, so each chip that is up
is also asked for its identity once a second (``PRESENCE_INTERVAL``), and the
drivers check identity on the reads that would otherwise become events (a DAA
reg 5 without the ONHM bit we always set, a SLIC hook change).

Threads: :meth:`Card.start` blocks (DAA reset and ISOcap link take up to 2 s per
port): call it off the event loop. :meth:`Card.start_threads` starts the
drivers' thread (interrupts, polling, presence) and, on the box, the TDM thread
(:class:`~drivers.tdm_switch.TdmSwitch`); on the simulator the drivers' thread
pumps the TDM switch too. Every callback (frames, alarms, CAS, port events,
audio chunks) runs in one of those threads with a chip lock held: hand the work
to the loop (``loop.call_soon_threadsafe``) and return.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any, Callable

from drivers.analog.si3050 import COUNTRIES, Si3050
from drivers.analog.si3217x import Si3217x
from drivers.board_profile import Board
from drivers.card_settings import IMPEDANCES, CardSettings, misfit
from drivers.e1.alarms import BLUE, LOOPBACK, NOTOPEN, RECOVER, RED, YELLOW
from drivers.e1.pef2256 import Pef2256
from drivers.errors import ChipAbsent, DriverError
from drivers.part_faults import chip as _chip, not_answering_text, poll_failed_text
from drivers.tdm_switch import TdmSwitch

log = logging.getLogger(__name__)

PROBE_INTERVAL = 1.0          # how often a chip that stopped answering is asked again
PRESENCE_INTERVAL = 1.0       # how often a chip that is up is asked for its identity
RETRY_INTERVAL = 30.0         # how often a bring-up that failed otherwise is tried again

PortEvent = Callable[[str, int, str], None]      # (kind "fxo"|"fxs", port, event)


class CardSettingsError(DriverError):
    """The settings do not fit the board that is fitted; carries ``key``."""


def check_settings(board: Board, settings: CardSettings) -> None:
    """Raise :class:`CardSettingsError` (with the config ``key``) if the analog timeslots
    do not fit ``board``: one per fitted port, inside its TDM frame."""
    size = board.tdm.frame_size if board.tdm is not None else None
    wrong = misfit(settings.analog, len(board.fxo), len(board.fxs), size)
    if wrong is not None:
        key, text = wrong
        raise CardSettingsError(f"{key}: {text}", key=key)


class Card:
    def __init__(self, board: Board, settings: CardSettings = CardSettings(),
                 on_port_event: PortEvent | None = None) -> None:
        self.board = board
        self.settings = settings
        self.clock = board.clock
        self.faults = board.faults              # one dict: the board's open failures too
        self.on_port_event = on_port_event
        self.fxo_slots, self.fxs_slots = settings.analog.timeslots(len(board.fxo), len(board.fxs))
        self.switch: TdmSwitch | None = TdmSwitch(board.tdm) if board.tdm is not None else None
        self._tdm_active = False          # the simulated highway is moved only while in use
        self._down: dict[str, tuple[str, float]] = {}      # name -> ("absent"|"failed", next try)
        self._presence_due: dict[str, float] = {}          # name -> next identity check
        self._started = False
        self._check_settings()
        for n, daa in enumerate(board.fxo, 1):
            if daa is not None:
                daa.on_event = self._port_event("fxo")
        for n, slic in enumerate(board.fxs, 1):
            if slic is not None:
                slic.on_event = self._port_event("fxs")

    # ------------------------------------------------------------------ settings
    def _check_settings(self) -> None:
        check_settings(self.board, self.settings)

    def _port_event(self, kind: str) -> Callable[[int, str], None]:
        def forward(port: int, event: str) -> None:
            if self.on_port_event is not None:
                self.on_port_event(kind, port, event)
        return forward

    # ------------------------------------------------------------------ bring-up
    def start(self) -> None:
        """Configure every span and bring up every port; failures become faults."""
        for name, part in self.board.parts():
            self._bring_up(name, part)
        self._started = True
        log.info("card up spans=%d fxo=%d fxs=%d faults=%d", len(self.board.spans),
                 len(self.board.fxo), len(self.board.fxs), len(self.faults))

    def _bring_up(self, name: str, part: Any) -> bool:
        kind, n, _ = _chip(name)
        try:
            if kind == "e1_span":
                part.configure(self.settings.span(int(n)).e1_config())
            elif kind == "fxo":
                self._apply_country(part)
                part.bring_up(timeslot=self.fxo_slots[int(n) - 1])
            else:
                part.bring_up(timeslot=self.fxs_slots[int(n) - 1])
        except ChipAbsent:
            self._fault(name, not_answering_text(name, part), "absent")
            return False
        except Exception as exc:  # the part stays down; the rest of the card serves
            self._fault(name, f"bring-up failed: {exc}", "failed")
            return False
        if name in self.faults:
            log.info("hardware part=%s recovered", name)
        self.faults.pop(name, None)
        if self._down.pop(name, None) is not None:
            self._port_fault_event(name, "fault_clear")
        return True

    def _apply_country(self, daa: Si3050) -> None:
        a = self.settings.analog
        country = COUNTRIES[a.country]
        if a.impedance != "country":
            country = replace(country, acim=IMPEDANCES[a.impedance])
        daa.country = country

    def _fault(self, name: str, text: str, why: str) -> None:
        if self.faults.get(name) != text:
            log.error("hardware part=%s %s", name, text)
        self.faults[name] = text
        wait = PROBE_INTERVAL if why == "absent" else RETRY_INTERVAL
        was_down = name in self._down
        self._down[name] = (why, self.clock.now() + wait)
        if not was_down:
            self._port_fault_event(name, "fault")

    def _port_fault_event(self, name: str, event: str) -> None:
        """``fault`` when a chip goes down, ``fault_clear`` when it is up again.

        Its line states are no longer derived (no phantom hang-up, battery loss or
        alarm), so this is how its user learns that calls on it cannot go on: a port's
        through ``on_port_event``, a span's through its alarm callback, with DAHDI's
        NOTOPEN (the span's hardware is not there) and, once it is back, the alarms
        the framer sees then."""
        kind, n, _ = _chip(name)
        if kind in ("fxo", "fxs"):
            if self.on_port_event is not None:
                self.on_port_event(kind, int(n), event)
            return
        span = self.board.spans[int(n) - 1]
        if span is not None and span.on_alarm is not None:
            span.on_alarm(NOTOPEN if event == "fault" else span.alarms)

    # ------------------------------------------------------------------ service
    def service(self) -> None:
        """One pass of the drivers' thread: poll the parts that are up, probe the ones
        that are down, and (on the simulator) move the TDM highway."""
        now = self.clock.now()
        for name, part in self.board.parts():
            down = self._down.get(name)
            if down is not None:
                why, due = down
                if now >= due:
                    self._probe(name, part, why)
                continue
            try:
                part.poll()
                if now >= self._presence_due.get(name, 0.0):
                    # the polls catch all-ones reads at once; this catches any other way
                    # of going silent (MISO pulled low reads as idle lines) within a second
                    self._presence_due[name] = now + PRESENCE_INTERVAL
                    part.check_answering()
            except ChipAbsent:
                self._fault(name, not_answering_text(name, part), "absent")
            except Exception as exc:  # the next pass tries again; health shows it meanwhile
                text = poll_failed_text(exc)
                if self.faults.get(name) != text:
                    log.error("driver poll failed part=%s: %s", name, exc)
                self.faults[name] = text
            else:
                if self.faults.get(name, "").startswith("poll failed: "):
                    del self.faults[name]
                    log.info("driver poll recovered part=%s", name)
        if self.board.sim is not None and self.switch is not None:
            # The simulated highway costs what it carries: moved only while someone
            # listens or sends; what arrived meanwhile is dropped when audio starts again
            # (a listener must hear now, not the backlog of the idle seconds).
            active = self.switch.active()
            if active and not self._tdm_active:
                self.switch.tdm.drain()
            self._tdm_active = active
            if active:
                self.pump_tdm()

    def _probe(self, name: str, part: Any, why: str) -> None:
        try:
            answering = part.answering()
        except Exception:  # the bus itself fails: still down
            answering = False
        if answering or why == "failed":
            self._bring_up(name, part)
        else:
            self._down[name] = (why, self.clock.now() + PROBE_INTERVAL)

    def pump_tdm(self) -> int:
        if self.switch is None:
            return 0
        try:
            moved = self.switch.pump()
        except Exception as exc:
            self.faults["tdm"] = f"TDM stream failed: {exc}"
            return 0
        if self.faults.get("tdm", "").startswith("TDM stream failed"):
            del self.faults["tdm"]
        return moved

    def wait(self, seconds: float, step: float = 0.002) -> None:
        """Let ``seconds`` pass with the card serviced every ``step`` (tests, the self-test)."""
        end = self.clock.now() + seconds
        while True:
            left = end - self.clock.now()
            if left <= 1e-9:
                return
            self.board.sleep(min(step, left))
            self.service()

    def run_forever(self, stop: threading.Event) -> None:
        """The drivers' thread: wait for the framer's interrupt or the interval, serve."""
        while not stop.is_set():
            self.board.wait_for_irq(stop)
            self.service()
            self.board.note_activity(self.switch is not None and self.switch.active())

    def start_threads(self, stop: threading.Event) -> list[threading.Thread]:
        """The card's threads, started: ``drivers`` and, on the box, ``tdm``. Set ``stop``
        and join them (each sees it within 0.1 s) before ``board.close()``."""
        threads = [threading.Thread(target=self.run_forever, args=(stop,), name="drivers",
                                    daemon=True)]
        if self.board.sim is None and self.switch is not None:
            threads.append(threading.Thread(target=self.switch.run_forever, args=(stop,),
                                            name="tdm", daemon=True))
        for t in threads:
            t.start()
        return threads

    # ------------------------------------------------------------------ D-channel, CAS, alarms
    def span(self, n: int) -> Pef2256:
        """Span ``n`` (1-based) if fitted and up; raises :class:`DriverError` otherwise."""
        part = self.board.spans[n - 1] if 1 <= n <= len(self.board.spans) else None
        if part is None:
            raise DriverError(f"E1 span {n} is not fitted", span=n)
        fault = self.faults.get(f"e1_span{n}")
        if fault is not None:
            raise DriverError(f"E1 span {n} is down: {fault}", span=n)
        return part

    def on_frame(self, n: int, callback: Callable[[bytes], None] | None) -> None:
        """Every good LAPD frame (no flags, no FCS) received on span ``n``'s D-channel."""
        part = self.board.spans[n - 1]
        if part is None:
            raise DriverError(f"E1 span {n} is not fitted", span=n)
        part.on_frame = callback

    def send_frame(self, n: int, frame: bytes) -> None:
        """Queue one LAPD frame (no flags, no FCS) on span ``n``'s D-channel."""
        self.span(n).send_frame(frame)

    def on_alarm(self, n: int, callback: Callable[[int], None] | None) -> None:
        """Span ``n``'s DAHDI alarm word on every change (``drivers.e1.alarms``)."""
        part = self.board.spans[n - 1]
        if part is None:
            raise DriverError(f"E1 span {n} is not fitted", span=n)
        part.on_alarm = callback

    def on_cas(self, n: int, callback: Callable[[int, int], None] | None) -> None:
        """``(channel 1-30, ABCD)`` on every received CAS change (R2 spans)."""
        part = self.board.spans[n - 1]
        if part is None:
            raise DriverError(f"E1 span {n} is not fitted", span=n)
        part.on_cas = callback

    def set_cas(self, n: int, channel: int, abcd: int) -> None:
        self.span(n).set_cas(channel, abcd)

    # ------------------------------------------------------------------ analog ports
    def fxo(self, n: int) -> Si3050:
        part = self.board.fxo[n - 1] if 1 <= n <= len(self.board.fxo) else None
        if part is None:
            raise DriverError(f"FXO port {n} is not fitted", port=n)
        return part

    def fxs(self, n: int) -> Si3217x:
        part = self.board.fxs[n - 1] if 1 <= n <= len(self.board.fxs) else None
        if part is None:
            raise DriverError(f"FXS port {n} is not fitted", port=n)
        return part

    def timeslot(self, kind: str, n: int) -> int:
        """The TDM slot of FXO/FXS port ``n``: where its audio is in the switch."""
        slots = self.fxo_slots if kind == "fxo" else self.fxs_slots
        return slots[n - 1]

    # ------------------------------------------------------------------ health
    def describe(self) -> dict[str, Any]:
        """Health: each span's and port's real state, the faults, a one-word status."""
        d = self.board.describe()
        d["spans"] = [self._describe_span(n, p) for n, p in enumerate(self.board.spans, 1)]
        d["fxo"] = [self._describe_fxo(n, p) for n, p in enumerate(self.board.fxo, 1)]
        d["fxs"] = [self._describe_fxs(n, p) for n, p in enumerate(self.board.fxs, 1)]
        bad = any(x["state"] in ("fault", "absent") for x in (*d["spans"], *d["fxo"], *d["fxs"]))
        d["faults"] = dict(self.faults)
        d["status"] = "degraded" if self.faults or bad else "ok"
        return d

    def _part_state(self, name: str, part: Any) -> str | None:
        if part is None:
            return "absent"
        if name in self.faults:
            return "fault"
        if not self._started:
            return "down"
        return None

    def _describe_span(self, n: int, span: Pef2256 | None) -> dict[str, Any]:
        s = self.settings.span(n)
        out: dict[str, Any] = {"span": n, "signalling": s.signalling, "framing": s.framing,
                               "line_code": s.line_code, "clock": s.clock,
                               "fault": self.faults.get(f"e1_span{n}")}
        state = self._part_state(f"e1_span{n}", span)
        if state is None and span is not None:
            a = span.alarms
            state = ("RED" if a & RED else "BLUE" if a & BLUE else "YELLOW" if a & YELLOW
                     else "RECOVER" if a & RECOVER else "LOOPBACK" if a & LOOPBACK else "OK")
            out.update(alarms=span.alarm_text, counters=dict(span.counters.__dict__))
        out["state"] = state
        return out

    def _describe_fxo(self, n: int, daa: Si3050 | None) -> dict[str, Any]:
        out: dict[str, Any] = {"port": n, "timeslot": self.fxo_slots[n - 1],
                               "fault": self.faults.get(f"fxo{n}")}
        state = self._part_state(f"fxo{n}", daa)
        if state is None and daa is not None:
            state = ("no_battery" if daa.battery is False else "offhook" if daa.offhook
                     else "ringing" if daa.ringing else "parallel_offhook"
                     if daa.parallel_offhook else "idle")
            out.update(battery=daa.battery, hook="off" if daa.offhook else "on",
                       polarity=daa.polarity, ringing=daa.ringing, alarm=daa.alarm)
        out["state"] = state
        return out

    def _describe_fxs(self, n: int, slic: Si3217x | None) -> dict[str, Any]:
        out: dict[str, Any] = {"port": n, "timeslot": self.fxs_slots[n - 1],
                               "fault": self.faults.get(f"fxs{n}")}
        state = self._part_state(f"fxs{n}", slic)
        if state is None and slic is not None:
            state = "ringing" if slic.ringing else "offhook" if slic.offhook else "onhook"
            out.update(hook="off" if slic.offhook else "on", ringing=slic.ringing)
        out["state"] = state
        return out

"""Composition of the board's parts, simulated or real: what ``firmware/app.py`` calls.

``build("sim", clock)`` returns a :class:`Board` whose chips are the register
simulators (a framer cabled to a simulated exchange, DAAs on simulated PSTN lines,
the board's EEPROM/LM75/relay/watchdog) and whose ``sim`` field lets a test or
``callbox selftest --inject`` break things. ``build("real", clock, spi_e1=...,
...)`` opens the devices; a part whose device cannot be opened is recorded in
``Board.faults`` (its field stays None) so the daemon can report it in health and
the self-test can name it, instead of the whole box refusing to start.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import partial
from datetime import date
from typing import Any, Callable

from acd_core.clock import Clock
from drivers.analog.si3050 import Si3050
from drivers.analog.si3217x import Si3217x
from drivers.board.eeprom import At24c02, BoardIdentity
from drivers.board.leds import LED_NAMES, Leds
from drivers.board.lm75 import Lm75
from drivers.board.relay import BypassRelay
from drivers.board.watchdog import Watchdog
from drivers.bus.gpio import SimGpioLine
from drivers.bus.i2c import SimI2c
from drivers.bus.serial import SimSerial
from drivers.bus.spi import SimSpi
from drivers.card_settings import SIM_FXO_PORTS, SIM_FXS_PORTS
from drivers.sim.pcm import AnalogTdmSim
from drivers.e1.pef2256 import Pef2256
from drivers.errors import ChipAbsent
from drivers.part_faults import is_poll_fault, not_answering_text, poll_failed_text
from drivers.sim.board import At24c02Sim, Lm75Sim, RelaySim, WatchdogSim
from drivers.sim.e1cable import E1Cable, ExchangeSim
from drivers.sim.fxo_line import CID_STANDARDS, FxoLineSim
from drivers.sim.fxs_phone import PhoneSim
from drivers.sim.pef2256 import Pef2256Sim
from drivers.sim.si3050 import Si3050Sim
from drivers.sim.si3217x import Si3217xSim
from drivers.timing import Advanceable, Sleep, manual_sleep, real_sleep

log = logging.getLogger(__name__)

PROFILES = ("sim", "real")
REAL_POLL_S = 0.050        # the box's drivers thread: this, or the framer's interrupt
BUSY_POLL_S = 0.002        # while a part is busy (a ring's half-waves, hook debounce)
BUSY_HOLD_S = 0.25         # ... and this long after the last sign of business
SIM_IDENTITY = BoardIdentity(serial="CBXSIM-000001", revision="C",
                             mac0=bytes.fromhex("02cb00000001"), mac1=bytes.fromhex("02cb00000002"),
                             made=date(2026, 1, 1), fxo_ports=2, fxs_ports=2)
FAULTS = {
    "e1-los": "unplug the E1 cable (loss of signal)",
    "e1-ais": "the exchange sends AIS (all ones)",
    "e1-crc": "CRC-4 errors on the received line (20 per second)",
    "e1-rai": "the exchange sends RAI (remote alarm)",
    "e1-no-crc4": "the carrier's line runs without CRC-4 (doubleframe only)",
    "e1-absent": "no framer on the E1 card's SPI bus",
    "fxo-no-battery": "no battery on FXO line 1",
    "fxo-absent": "no DAA on FXO port 1",
    "fxo-parallel": "another phone off-hook on FXO line 1",
    "fxs-absent": "no ProSLIC on FXS port 1",
    "fxs-offhook": "the phone on FXS port 1 is off the hook",
    "eeprom-absent": "no EEPROM on the I2C bus",
    "eeprom-corrupt": "one byte of the identity block changed",
    "temp-high": "board temperature 85 C",
    "relay-stuck": "bypass relay contacts do not move",
    "watchdog-reset": "the last boot was a watchdog reset",
}


@dataclass
class SimWorld:
    """The simulated hardware behind a sim board, for tests and fault injection."""

    clock: Clock
    i2c: SimI2c
    eeprom: At24c02Sim
    lm75: Lm75Sim
    framer: Pef2256Sim
    exchange: ExchangeSim
    cable: E1Cable
    fxo_lines: list[FxoLineSim]
    daas: list[Si3050Sim]
    relay: RelaySim
    watchdog: WatchdogSim
    spi_e1: SimSpi
    spi_fxo: list[SimSpi]
    phones: list[PhoneSim] = field(default_factory=list)
    slics: list[Si3217xSim] = field(default_factory=list)
    spi_fxs: list[SimSpi] = field(default_factory=list)
    bridge: Any = None
    framers: list[Pef2256Sim] = field(default_factory=list)     # every span; [0] is span 1
    exchanges: list[ExchangeSim] = field(default_factory=list)
    cables: list[E1Cable] = field(default_factory=list)

    def inject(self, fault: str) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of: {', '.join(FAULTS)}")
        if fault == "e1-los":
            self.cable.unplug()
        elif fault == "e1-ais":
            self.cable.send_ais(self.framer)
        elif fault == "e1-crc":
            self.cable.crc_errors(self.framer, 20)
        elif fault == "e1-rai":
            self.exchange.rai = True
        elif fault == "e1-no-crc4":
            self.exchange.ts0.crc4 = self.exchange.rx.crc4 = False
        elif fault == "e1-absent":
            self.spi_e1.target = None
        elif fault == "fxo-no-battery":
            self.fxo_lines[0].battery_ok = False
        elif fault == "fxo-absent":
            self.spi_fxo[0].target = None
        elif fault == "fxo-parallel":
            self.fxo_lines[0].parallel_offhook = True
        elif fault == "fxs-absent":
            self.spi_fxs[0].target = None
        elif fault == "fxs-offhook":
            self.phones[0].lift()
        elif fault == "eeprom-absent":
            self.i2c.detach(0x50)
        elif fault == "eeprom-corrupt":
            self.eeprom.mem[0x0A] ^= 0x04
        elif fault == "temp-high":
            self.lm75.temperature = 85.0
        elif fault == "relay-stuck":
            self.relay.stuck = True
        elif fault == "watchdog-reset":
            self.watchdog.bootstatus = 0x0020


@dataclass
class Board:
    profile: str
    clock: Clock
    sleep: Sleep
    spans: list[Pef2256 | None] = field(default_factory=list)
    fxo: list[Si3050 | None] = field(default_factory=list)
    fxs: list[Si3217x | None] = field(default_factory=list)
    eeprom: At24c02 | None = None
    temperature: Lm75 | None = None
    leds: Leds | None = None
    relay: BypassRelay | None = None
    tdm: Any = None
    console: Any = None
    open_watchdog: Callable[[], Watchdog] | None = None
    faults: dict[str, str] = field(default_factory=dict)
    sim: SimWorld | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)
    _wake: threading.Event = field(default_factory=threading.Event)
    _busy_until: float = 0.0

    def pollers(self) -> list[Any]:
        return [p for p in (*self.spans, *self.fxo, *self.fxs) if p is not None]

    def parts(self) -> list[tuple[str, Any]]:
        """``(name, driver)`` of every fitted chip: ``e1_span1``, ``fxo1``, ``fxs1`` ..."""
        named = [*((f"e1_span{n}", p) for n, p in enumerate(self.spans, 1)),
                 *((f"fxo{n}", p) for n, p in enumerate(self.fxo, 1)),
                 *((f"fxs{n}", p) for n, p in enumerate(self.fxs, 1))]
        return [(name, p) for name, p in named if p is not None]

    def poll_all(self) -> None:
        """Poll every part; what fails is recorded in ``faults[name]``, logged once.

        A chip that stopped answering (its poll raises :class:`ChipAbsent` before
        deriving anything from all-ones reads) is ``chip not answering: ...`` with
        its bus address, any other exception ``poll failed: ...``; both clear, with
        a log line, when a poll of that part succeeds again. One failing part does
        not stop the others' service.
        """
        for name, part in self.parts():
            try:
                part.poll()
            except ChipAbsent:
                text = not_answering_text(name, part)
                if self.faults.get(name) != text:
                    log.error("hardware part=%s %s", name, text)
                self.faults[name] = text
            except Exception as exc:  # one failing part must not stop the others' service
                text = poll_failed_text(exc)
                if self.faults.get(name) != text:
                    log.error("driver poll failed part=%s: %s", name, exc)
                self.faults[name] = text
            else:
                if is_poll_fault(self.faults.get(name)):
                    del self.faults[name]
                    log.info("driver poll recovered part=%s", name)

    def wait(self, seconds: float, step: float = 0.002) -> None:
        """Let ``seconds`` pass while the drivers poll (the driver threads' job on the box);
        a part whose poll fails is recorded in ``faults`` and does not stop the others."""
        end = self.clock.now() + seconds
        while True:
            left = end - self.clock.now()
            if left <= 1e-9:
                return
            self.sleep(min(step, left))
            self.poll_all()

    def poll_interval(self) -> float:
        """How long the service loop may sleep before the next poll.

        The box polls every ``REAL_POLL_S`` and the framer's interrupt wakes it
        earlier; every ``BUSY_POLL_S`` while any part is busy (frames queued or
        arriving, a ring or a hook change under way, for ``BUSY_HOLD_S`` after the
        last sign of it). The analog chips raise no interrupt the drivers wait for,
        and a ring is only seen as RDTP/RDTN alternating: sampled every 50 ms, a
        20 Hz ring signal reads the same every time. The simulated card's chips also
        only move when polled; idle, it costs what an idle real card does.
        """
        return BUSY_POLL_S if self.clock.now() < self._busy_until else REAL_POLL_S

    def wake(self) -> None:
        """Poll now (from any thread): a frame was queued for sending, a line was told to ring."""
        self._wake.set()

    def wait_for_irq(self, stop: threading.Event) -> None:
        """Sleep until the framer's interrupt, a ``wake()`` or the poll interval."""
        spans = [s for s in self.spans if s is not None and s.irq is not None]
        if self.sim is None and spans:
            spans[0].wait(self.poll_interval())
        else:
            self._wake.wait(self.poll_interval())
            self._wake.clear()

    def note_activity(self, audio: bool = False) -> None:
        """After a poll: keep polling fast while any part says it is busy (or ``audio``
        flows through the TDM switch)."""
        if audio or any(getattr(part, "busy", lambda: False)() for _, part in self.parts()):
            self._busy_until = self.clock.now() + BUSY_HOLD_S

    def run_forever(self, stop: threading.Event) -> None:
        """The drivers' thread on the box: wait for an interrupt (or the interval), poll all.

        ``drivers.card.Card.run_forever`` is the same loop plus chip presence,
        recovery and the TDM switch; this one serves a board nobody brought up.
        """
        while not stop.is_set():
            self.wait_for_irq(stop)
            self.poll_all()
            self.note_activity()

    def describe(self) -> dict[str, Any]:
        """Health of a board nobody brought up: counts, faults, ``status`` ok/degraded."""
        return {"profile": self.profile, "e1_spans": len(self.spans),
                "fxo_ports": len(self.fxo), "fxs_ports": len(self.fxs),
                "faults": dict(self.faults), "status": "degraded" if self.faults else "ok"}

    def close(self) -> None:
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception:  # closing is best effort; the error was reported on use
                log.exception("closing a board part failed")
        self.closers.clear()


def build(profile: str, clock: Clock, sleep: Sleep | None = None, **paths: Any) -> Board:
    """Build the board's parts. ``profile`` is ``sim`` or ``real``.

    sim keywords: ``fxo_ports`` (2), ``fxs_ports`` (2), ``e1_spans`` (1),
    ``e1_signalling`` ("ccs"; "cas" makes the simulated exchange signal R2 ABCD
    bits on TS16), ``zone`` ("EU"),
    ``dchannel_socket`` (path or None), ``temperature`` (41.5). real keywords:
    ``spi_e1``, ``spi_fxo`` (list), ``spi_fxs`` (list), ``i2c``, ``gpio_chip``,
    ``tdm``, ``watchdog``, ``console``, ``fxo_country``, ``zone``. The
    ``[hardware]`` keys of callbox.toml are accepted as they are
    (``spi_device`` = ``spi_e1``, ``i2c_bus`` = ``i2c``; ``profile`` is ignored).
    """
    paths = dict(paths)
    paths.pop("profile", None)
    if "spi_device" in paths:
        paths.setdefault("spi_e1", paths.pop("spi_device"))
    if "i2c_bus" in paths:
        paths.setdefault("i2c", paths.pop("i2c_bus"))
    if profile == "sim":
        return _build_sim(clock, sleep, **paths)
    if profile == "real":
        return _build_real(clock, sleep or real_sleep, **paths)
    raise ValueError(f"hardware profile must be one of {', '.join(PROFILES)}, not {profile!r}")


def _build_sim(clock: Clock, sleep: Sleep | None, fxo_ports: int = SIM_FXO_PORTS,
               fxs_ports: int = SIM_FXS_PORTS,
               e1_spans: int = 1, e1_signalling: str = "ccs", zone: str = "EU", dchannel_socket: str | None = None, temperature: float = 41.5,
               identity: BoardIdentity = SIM_IDENTITY, fxo_country: str = "TBR21",
               **_real_paths: Any) -> Board:
    if sleep is None:
        sleep = manual_sleep(clock) if isinstance(clock, Advanceable) else real_sleep
    i2c = SimI2c("sim-i2c-1")
    eeprom_chip = At24c02Sim(clock, bytes(identity) + b"\xff" * 192)
    lm75_chip = Lm75Sim(temperature)
    i2c.attach(0x50, eeprom_chip)
    i2c.attach(0x48, lm75_chip)
    framers, exchanges, cables, e1_spis, spans = [], [], [], [], []
    for n in range(1, e1_spans + 1):
        irq = SimGpioLine(f"sim-gpio:E1_IRQ{n}", clock, edge="falling")
        framers.append(Pef2256Sim(clock, irq, name=f"falc{n}"))
        exchanges.append(ExchangeSim(cas=e1_signalling == "cas"))
        cables.append(E1Cable(clock, framers[-1], exchanges[-1]))
        e1_spis.append(SimSpi(framers[-1], f"sim-spi-0.{n - 1}" if n == 1 else f"sim-spi-2.{n - 2}"))
        spans.append(Pef2256(e1_spis[-1], clock, sleep, irq, span=n))
    framer, exchange, cable, spi_e1 = framers[0], exchanges[0], cables[0], e1_spis[0]
    lines, daas, spis, fxo = [], [], [], []
    for port in range(fxo_ports):
        line = FxoLineSim(clock, zone)
        chip = Si3050Sim(clock, line)
        spi = SimSpi(chip, f"sim-spi-0.{port + 1}")
        lines.append(line)
        daas.append(chip)
        spis.append(spi)
        fxo.append(Si3050(spi, clock, sleep, port=port + 1, country=fxo_country))
    phones, slics, fxs_spis, fxs = [], [], [], []
    for port in range(fxs_ports):
        phone = PhoneSim(clock, cid_standard=CID_STANDARDS.get(zone, "v23"))
        slic = Si3217xSim(clock, phone)
        spi = SimSpi(slic, f"sim-spi-1.{port}")
        phones.append(phone)
        slics.append(slic)
        fxs_spis.append(spi)
        fxs.append(Si3217x(spi, clock, sleep, port=port + 1, zone=zone))
    coil = SimGpioLine("sim-gpio:BYPASS", clock, level=False, output=True)
    sense = SimGpioLine("sim-gpio:BYPASS_SENSE", clock)
    relay_sim = RelaySim(clock, coil, sense)
    wd = WatchdogSim(clock)
    leds = Leds({name: SimGpioLine(f"sim-gpio:LED_{name.upper()}", clock, level=False, output=True)
                 for name in LED_NAMES})
    world = SimWorld(clock, i2c, eeprom_chip, lm75_chip, framer, exchange, cable, lines, daas,
                     relay_sim, wd, spi_e1, spis, phones, slics, fxs_spis)
    world.framers, world.exchanges, world.cables = framers, exchanges, cables
    board = Board("sim", clock, sleep, spans=list(spans), fxo=list(fxo), fxs=list(fxs),
                  eeprom=At24c02(i2c, clock, sleep), temperature=Lm75(i2c), leds=leds,
                  relay=BypassRelay(coil, sense), tdm=AnalogTdmSim(framer, [*daas, *slics]),
                  console=SimSerial(loopback=True),
                  open_watchdog=lambda: Watchdog(wd.open()), sim=world)
    if dchannel_socket:
        from drivers.sim.dchannel import DChannelBridge
        world.bridge = DChannelBridge(exchange, dchannel_socket)
        cable.hooks.append(world.bridge.pump)
        board.closers.append(world.bridge.close)
    return board


def _build_real(clock: Clock, sleep: Sleep, spi_e1: str = "/dev/spidev0.0",
                spi_fxo: list[str] | None = None, spi_fxs: list[str] | None = None,
                i2c: str = "/dev/i2c-1", zone: str = "EU",
                gpio_chip: str = "/dev/gpiochip0", tdm: str = "/dev/callbox-tdm",
                watchdog: str = "/dev/watchdog", console: str = "/dev/ttyS1",
                fxo_country: str = "TBR21", **_ignored: Any) -> Board:
    from drivers.bus.gpio import PeripheryGpio
    from drivers.bus.i2c import Smbus2I2c
    from drivers.bus.serial import PyserialPort
    from drivers.bus.spi import PeripherySpi
    from drivers.bus.tdm import CharDevTdm
    from drivers.bus.watchdog import DevWatchdog

    board = Board("real", clock, sleep)
    spi_fxo = list(spi_fxo) if spi_fxo is not None else ["/dev/spidev0.1", "/dev/spidev0.2"]

    def attempt(name: str, make: Callable[[], Any]) -> Any:
        try:
            part = make()
        except Exception as exc:  # recorded per part; the self-test and health report it
            board.faults[name] = str(exc)
            log.warning("hardware part=%s unavailable: %s", name, exc)
            return None
        close = getattr(part, "close", None)
        if callable(close):
            board.closers.append(close)
        return part

    irq = attempt("e1_irq", lambda: PeripheryGpio(gpio_chip, "E1_IRQ", "in", edge="falling"))
    bus = attempt("e1_spi", lambda: PeripherySpi(spi_e1, mode=0, max_speed=2_000_000))
    board.spans = [Pef2256(bus, clock, sleep, irq, span=1) if bus is not None else None]
    for port, dev in enumerate(spi_fxo, start=1):
        sbus = attempt(f"fxo{port}_spi", partial(PeripherySpi, dev, mode=3, max_speed=1_000_000))
        board.fxo.append(Si3050(sbus, clock, sleep, port=port, country=fxo_country)
                         if sbus is not None else None)
    for port, dev in enumerate(spi_fxs or [], start=1):
        sbus = attempt(f"fxs{port}_spi", partial(PeripherySpi, dev, mode=3, max_speed=1_000_000))
        board.fxs.append(Si3217x(sbus, clock, sleep, port=port, zone=zone)
                         if sbus is not None else None)
    ibus = attempt("i2c", lambda: Smbus2I2c(i2c))
    if ibus is not None:
        board.eeprom = At24c02(ibus, clock, sleep)
        board.temperature = Lm75(ibus)
    coil = attempt("relay", lambda: PeripheryGpio(gpio_chip, "BYPASS", "low"))
    if coil is not None:
        sense = attempt("relay_sense", lambda: PeripheryGpio(gpio_chip, "BYPASS_SENSE", "in"))
        board.relay = BypassRelay(coil, sense)
    leds = {}
    for name in LED_NAMES:
        line = attempt(f"led_{name}",
                       partial(PeripheryGpio, gpio_chip, f"LED_{name.upper()}", "low"))
        if line is not None:
            leds[name] = line
    board.leds = Leds(leds)
    board.tdm = attempt("tdm", lambda: CharDevTdm(tdm, len(spi_fxo) + len(spi_fxs or [])))
    board.console = attempt("console", lambda: PyserialPort(console))
    board.open_watchdog = lambda: Watchdog(DevWatchdog(watchdog))
    return board

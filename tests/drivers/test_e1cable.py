"""The cable's fast path changes nothing anyone above the simulator can observe.

Each scenario runs twice on a fresh simulated board, once with the cable computing
every multiframe (``fast_path=False``, the reference) and once skipping the steady
ones, with the same script of events and the same (irregular) polling. At every
poll the rig records everything the driver and the far end can see: every SPI
frame the driver exchanged with the framer (so every register it read, with the
value), every edge of the interrupt line, a read of every register that reading
does not change, the driver's alarms, counters, frames and CAS bits, the
exchange's frames, CAS bits, receiver status and last multiframe, the packets the
D-channel bridge's peer got, and the TDM system capture. The two records must be
identical, and the fast run must really have skipped most steps.
"""
from __future__ import annotations

import random
import socket
from pathlib import Path
from typing import Any, Callable

import pytest

from acd_core.clock import ManualClock
from drivers.board_profile import build
from drivers.bus.spi import SimSpi
from drivers.e1 import regs as R
from drivers.e1.pef2256 import E1Config, Pef2256
from drivers.sim.e1cable import E1Cable
from drivers.sim.pef2256 import Pef2256Sim
from tests.drivers.e1_fixtures import make_card

SABME = bytes([0x00, 0x01, 0x7F])
UA = bytes([0x02, 0x01, 0x73])
I_SETUP = bytes([0x02, 0x01, 0x00, 0x00, 0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90])
# one poll interval is drawn from here each time: the busy 2 ms, the idle 50 ms, and
# odd ones that end a catch-up anywhere in a second (and cross the counter latch)
POLL_STEPS = (0.002, 0.002, 0.004, 0.02, 0.05, 0.05, 0.05, 0.05, 0.131, 0.5)
# registers that reading changes (FIFO, ISR0-5) are only read by the driver itself
SAMPLE_BURSTS = ((0x01, 0x4F), (0x5C, 0x0C), (0x6E, 0x92))
COUNTER_BURST = (R.FECL, 12)       # latched (FMR1.ECM) counters read without clearing


class _Tap:
    """An SPI analyser between the driver and the framer: keeps every CS frame both ways."""

    def __init__(self, chip: Pef2256Sim, log: list[tuple[bytes, bytes]]) -> None:
        self.chip = chip
        self.log = log

    def spi_frame(self, mosi: bytes) -> bytes:
        miso = self.chip.spi_frame(mosi)
        self.log.append((bytes(mosi), miso))
        return miso


class _Watched:
    """One framer with its driver, everything the driver sees recorded."""

    def __init__(self, chip: Pef2256Sim, spi: SimSpi, span: Pef2256, clock: ManualClock) -> None:
        self.chip = chip
        self.span = span
        self.spi_log: list[tuple[bytes, bytes]] = []
        spi.target = _Tap(chip, self.spi_log)
        self.edges: list[tuple[float, bool]] = []
        assert chip.irq is not None
        chip.irq.listeners.append(lambda level: self.edges.append((clock.now(), level)))
        self.frames: list[bytes] = []
        self.alarm_changes: list[int] = []
        self.cas: list[tuple[int, int]] = []
        span.on_frame = self.frames.append
        span.on_alarm = self.alarm_changes.append
        span.on_cas = lambda ch, abcd: self.cas.append((ch, abcd))

    def observe(self) -> tuple[Any, ...]:
        chip = self.chip
        regs = b"".join(chip.spi_frame(bytes([R.SPI_READ, addr]) + b"\xff" * n)[2:]
                        for addr, n in SAMPLE_BURSTS)
        if chip.regs[R.FMR1] & R.FMR1_ECM:
            addr, n = COUNTER_BURST
            regs += chip.spi_frame(bytes([R.SPI_READ, addr]) + b"\xff" * n)[2:]
        out = (tuple(self.spi_log), tuple(self.edges), chip.irq.level, regs,
               self.span.alarms, tuple(vars(self.span.counters).values()), tuple(self.frames),
               tuple(self.alarm_changes), tuple(self.cas), tuple(self.span.cas_rx))
        self.spi_log.clear()
        self.edges.clear()
        return out


class Rig:
    """A simulated board (span 1 to the simulated exchange), polled irregularly."""

    def __init__(self, fast: bool, seed: int, signalling: str = "ccs",
                 clock_master: bool = False, socket_path: str | None = None) -> None:
        self.clock = ManualClock()
        self.board = build("sim", self.clock, fxo_ports=0, fxs_ports=0, e1_signalling=signalling,
                           dchannel_socket=socket_path)
        world = self.board.sim
        assert world is not None
        self.cable, self.exchange, self.chip = world.cable, world.exchange, world.framer
        self.cable.fast_path = fast
        self.tdm = self.board.tdm
        span = self.board.spans[0]
        assert span is not None
        self.span = span
        self.watched = _Watched(world.framer, world.spi_e1, span, self.clock)
        self.rng = random.Random(seed)
        self.obs: list[tuple[Any, ...]] = []
        self.peer: socket.socket | None = None
        self.peer_got: list[bytes] = []
        self.tdm_rx: list[bytes] = []
        self.speech = 0            # TDM frames to send per poll while talking
        span.configure(E1Config(signalling=signalling, clock_master=clock_master))

    def close(self) -> None:
        if self.peer is not None:
            self.peer.close()
        self.board.close()

    def connect_peer(self, path: str) -> None:
        self.peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.peer.connect(path)
        self.peer.setblocking(False)

    def poll(self, dt: float) -> None:
        self.clock.advance(dt)
        self.span.poll()
        if self.speech:
            got = self.tdm.read_frames(1 << 16)
            self.tdm_rx += got
            self.tdm.write_frames([bytes([0xFF] + [(len(self.tdm_rx) + k + ts) & 0xFF
                                                    for ts in range(1, 32)])
                                   for k in range(len(got))])
        if self.peer is not None:
            while True:
                try:
                    self.peer_got.append(self.peer.recv(4096))
                except BlockingIOError:
                    break
        ex = self.exchange
        self.obs.append((round(self.clock.now(), 6), self.cable.synced_until,
                         self.watched.observe(), tuple(ex.received), tuple(ex.cas_rx),
                         ex.last_status, ex.rx.rra, ex.last_mf, tuple(self.peer_got),
                         len(self.tdm_rx)))

    def wait(self, seconds: float) -> None:
        end = self.clock.now() + seconds
        while self.clock.now() < end - 1e-9:
            self.poll(min(self.rng.choice(POLL_STEPS), end - self.clock.now()))

    def capture(self) -> None:
        """Read the TDM capture the way the card's switch does when audio starts."""
        self.obs.append(("capture", tuple(self.tdm.read_frames(1 << 20))))


def equivalent(script: Callable[[Rig], None], **rig: Any) -> Rig:
    """Run ``script`` on a reference rig and on a fast one; assert identical records."""
    runs = []
    for fast in (False, True):
        r = Rig(fast, **rig)
        try:
            script(r)
        finally:
            r.close()
        runs.append(r)
    ref, fast = runs
    assert ref.cable.steps_skipped == 0
    assert len(ref.obs) == len(fast.obs)
    for i, (a, b) in enumerate(zip(ref.obs, fast.obs)):
        if a != b:
            fields = [k for k, (x, y) in enumerate(zip(a, b)) if x != y]
            pytest.fail(f"observation {i} (t={a[0]}) differs in fields {fields}:\n"
                        f"reference {a}\nfast      {b}")
    return fast


def skipped_share(r: Rig) -> float:
    c = r.cable
    return c.steps_skipped / (c.steps_skipped + c.steps_computed)


def _pri_span_script(r: Rig) -> None:
    span, ex, cable, chip = r.span, r.exchange, r.cable, r.chip
    r.wait(3.0)                                   # bring-up: alignment, alarms clear
    r.wait(4.0)                                   # idle
    r.capture()
    span.send_frame(SABME)                        # LAPD both ways, then idle again
    ex.send(UA)
    r.wait(0.3)
    span.send_frame(I_SETUP + bytes(60))
    ex.send(I_SETUP)
    ex.send(bytes(range(200)))                    # longer than both FIFO blocks
    r.wait(1.7)
    cable.crc_errors(chip, 10)                    # CRC-4 errors into our framer
    r.wait(2.0)
    cable.crc_errors(chip, 0)
    cable.crc_errors(ex, 3)                       # ... and into the exchange (E bits back)
    r.wait(1.5)
    cable.crc_errors(ex, 0)
    for kind in ("crc", "fas", "multi", "bipolar"):
        span.insert_error(kind)
        r.wait(0.4)
    cable.bipolar_violations(chip, 7)
    r.wait(1.2)
    cable.bipolar_violations(chip, 0)
    cable.fas_errors(chip, 8 * 500)               # every FAS word wrong: LFA, RED
    r.wait(3.0)
    cable.fas_errors(chip, 0)
    r.wait(6.0)
    cable.unplug()                                # LOS, RED, RAI, then RECOVER
    r.wait(0.5)
    span.send_frame(SABME)                        # into a dead line
    r.wait(2.5)
    cable.plug()
    r.wait(6.0)
    cable.send_ais(chip)                          # AIS: BLUE
    r.wait(3.0)
    cable.send_ais(chip, False)
    r.wait(6.0)
    ex.rai = True                                 # far-end RAI: YELLOW
    r.wait(1.0)
    ex.rai = False
    r.wait(1.0)
    ex.ts0.crc4 = False                           # far end drops CRC-4: LMFA
    r.wait(3.0)
    ex.ts0.crc4 = True
    r.wait(6.0)
    span.alarm_simulation(True)
    r.wait(1.0)
    span.alarm_simulation(False)
    r.wait(5.5)
    cable.clock_offset(0.5)                       # line-timed: no slips
    r.wait(1.2)
    cable.clock_offset(None)
    r.capture()
    r.speech = 1                                  # B-channel audio through the TDM highway
    r.wait(0.7)
    r.speech = 0
    r.wait(1.0)
    span.loopback("local")
    r.wait(1.5)
    span.loopback("networkline")
    ex.send(SABME)
    r.wait(1.0)

    def pattern(mf: bytearray) -> None:
        for f in range(16):
            for ts in (1, 5, 17, 31):
                mf[f * 32 + ts] = (f * 7 + ts) & 0xFF
    ex.payload = pattern
    span.loopback("networkpayload")
    r.wait(1.0)
    ex.payload = None
    r.wait(0.5)
    span.loopback("off")
    r.wait(4.0)
    r.capture()


def test_pri_span_script_is_identical_with_the_fast_path():
    fast = equivalent(_pri_span_script, seed=1)
    assert skipped_share(fast) > 0.7


def test_idle_span_skips_all_but_the_second_beats():
    r = Rig(True, seed=2)
    r.wait(3.0)
    before = r.cable.steps_computed
    r.wait(10.0)
    r.close()
    assert r.span.alarms == 0
    assert r.cable.steps_computed - before <= 12   # one per second beat, and a few
    assert r.cable.steps_skipped >= 4900


def test_slips_while_clock_master_are_identical_with_the_fast_path():
    def script(r: Rig) -> None:
        r.wait(3.0)
        r.cable.clock_offset(0.5)
        r.wait(3.0)
        r.cable.clock_offset(0.137)
        r.wait(2.0)
        r.cable.clock_offset(None)
        r.wait(2.0)
        assert r.span.counters.slips >= 10     # RSP interrupts seen (several may share a poll)
    fast = equivalent(script, seed=3, clock_master=True)
    assert skipped_share(fast) > 0.7


def test_r2_span_cas_changes_are_identical_with_the_fast_path():
    def script(r: Rig) -> None:
        span, ex, cable = r.span, r.exchange, r.cable
        r.wait(3.0)
        ex.cas_tx[5] = 0x1                 # the exchange seizes channel 5
        r.wait(0.3)
        span.set_cas(5, 0xD)               # we answer: seize acknowledge
        r.wait(0.7)
        ex.cas_tx[20] = 0x1
        span.set_cas(17, 0x5)
        r.wait(0.05)
        ex.cas_tx[5] = 0x9                 # clear forward
        r.wait(1.0)
        span.set_cas(5, 0x9)
        r.wait(1.0)
        cable.unplug()
        r.wait(3.0)
        cable.plug()
        r.wait(6.0)
        cable.send_ais(r.chip)
        r.wait(1.0)
        cable.send_ais(r.chip, False)
        r.wait(2.0)
        assert r.watched.cas
    fast = equivalent(script, seed=4, signalling="cas")
    assert skipped_share(fast) > 0.6


def test_dchannel_bridge_frames_are_identical_with_the_fast_path(tmp_path: Path):
    path = str(tmp_path / "run" / "e1-dchan.sock")

    def script(r: Rig) -> None:
        r.wait(3.0)
        r.connect_peer(path)
        r.wait(1.0)
        assert r.peer is not None
        r.peer.send(SABME)
        r.span.send_frame(UA)
        r.wait(2.0)
        r.peer.send(I_SETUP)
        r.wait(0.01)
        r.peer.send(I_SETUP[:3])
        r.span.send_frame(I_SETUP)
        r.wait(3.0)
        assert r.peer_got == [UA, I_SETUP] and r.watched.frames[:2] == [SABME, I_SETUP]

    fast = equivalent(script, seed=5, socket_path=path)
    assert skipped_share(fast) > 0.6


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_event_scripts_are_identical_with_the_fast_path(seed: int):
    """Events drawn at random (the same draw for both runs), ten to thirty of them."""
    def script(r: Rig) -> None:
        pick = random.Random(seed)
        span, ex, cable, chip = r.span, r.exchange, r.cable, r.chip
        actions: list[Callable[[], None]] = [
            lambda: span.send_frame(bytes([0, 1, pick.randrange(256)]) + bytes(pick.randrange(80))),
            lambda: ex.send(bytes([2, 1, pick.randrange(256)]) + bytes(pick.randrange(80))),
            lambda: cable.crc_errors(chip, pick.choice([0, 0, 3, 20])),
            lambda: cable.crc_errors(ex, pick.choice([0, 0, 5])),
            lambda: cable.fas_errors(chip, pick.choice([0, 0, 0, 4000])),
            lambda: cable.bipolar_violations(ex, pick.choice([0, 0, 9])),
            lambda: cable.unplug() if cable.plugged else cable.plug(),
            lambda: cable.send_ais(pick.choice([chip, ex]), pick.random() < 0.5),
            lambda: setattr(ex, "rai", not ex.rai),
            lambda: span.insert_error(pick.choice(["crc", "fas", "multi", "bipolar"])),
            lambda: span.loopback(pick.choice(["off", "off", "local", "networkline"])),
            lambda: span.alarm_simulation(pick.random() < 0.3),
            lambda: cable.clock_offset(pick.choice([None, 0.3])),
            lambda: span.write(R.IMR2, pick.choice([0x00, 0x00, 0x0F])),
            lambda: span.write(R.GCR, pick.choice([R.GCR_SCI, R.GCR_SCI, 0])),
            lambda: r.capture(),
            lambda: setattr(chip, "system_capture", not chip.system_capture),
        ]
        r.wait(3.0)
        for _ in range(pick.randrange(10, 30)):
            pick.choice(actions)()
            r.wait(pick.choice([0.01, 0.3, 1.0, 2.7, 4.0]))
        span.loopback("off")
        r.wait(1.0)
        r.capture()
    equivalent(script, seed=seed)


def test_back_to_back_framers_are_identical_with_the_fast_path():
    """Two framers on one cable: two second beats, two horizons."""
    def run(fast: bool) -> tuple[list[Any], E1Cable]:
        clock = ManualClock()
        a, b = make_card(clock, "a", 1), make_card(clock, "b", 2)
        cable = E1Cable(clock, a.chip, b.chip, fast_path=fast)
        a.span.configure(E1Config(clock_master=True))
        clock.advance(0.0173)                # b's beat falls elsewhere in the second
        b.span.configure(E1Config())
        watch = [_Watched(c.chip, c.span.spi, c.span, clock) for c in (a, b)]
        pick = random.Random(7)
        obs = []

        def wait(seconds: float) -> None:
            end = clock.now() + seconds
            while clock.now() < end - 1e-9:
                clock.advance(min(pick.choice(POLL_STEPS), end - clock.now()))
                a.span.poll()
                b.span.poll()
                obs.append((clock.now(), watch[0].observe(), watch[1].observe()))
        wait(4.0)
        a.span.send_frame(SABME)
        b.span.send_frame(UA + bytes(50))
        wait(2.0)
        cable.clock_offset(0.25)
        wait(2.0)
        cable.clock_offset(None)
        cable.unplug()
        wait(3.0)
        cable.plug()
        wait(6.0)
        return obs, cable
    ref, ref_cable = run(False)
    fast, fast_cable = run(True)
    assert ref == fast
    assert ref_cable.steps_skipped == 0 and fast_cable.steps_skipped > 4000

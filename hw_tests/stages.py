"""The stages, one contract per part, same body on the simulator and on the card.

What each mirrors: EEPROM identity + CRC; LM75 range; dahdi_scan identity and the
wcte13xp IMR0 read-back; dahdi_test timing (8000 TDM frames against the clock);
the span's alarms and 1 s error counters; dahdi_maint local loopback with an
HDLC echo, and error insertion (one FAS + one CRC-4 defect must be counted);
patgen/pattest-style PRBS 2^11-1 (O.152) on all 30 B-channels; fxotune-style line
checks on each FXO port (DAA identity, battery, off-hook volts and loop
current); fxstest-style checks on each FXS port (TIP/RING/VBAT, polarity,
ring); the front LEDs; the bypass relay's contacts; the watchdog's boot status
and magic close.
"""
from __future__ import annotations

import errno
from functools import partial

from acd_core.errors import DecodeError
from drivers.analog.si3050 import BATTERY_THRESHOLD, Si3050
from drivers.analog.si3217x import LF_FWD_ACTIVE, LF_RINGING, Si3217x
from drivers.board.eeprom import EepromCrcError
from drivers.board_profile import Board
from drivers.card_settings import CardSettings
from drivers.e1.alarms import ALARM_LMFA, ALARM_LOS, BLUE, RED, YELLOW
from drivers.e1.pef2256 import E1Config, Pef2256
from drivers.errors import ChipAbsent
from hw_tests.contract import Fail, Skip, Stage

TEMP_MIN, TEMP_MAX = 0.0, 70.0
LINE_SECONDS = 5
LOOPBACK_SECONDS = 5
SETTLE = 1.05   # counters latch once a second: let a switch-over's errors be reported first
PATTERN_FRAMES = 8000
B_CHANNELS = [ts for ts in range(1, 32) if ts != 16]
TDM_READ_TIMEOUT = 0.1  # a card whose clock stopped must fail the stage, not hang it


def eeprom(board: Board) -> str:
    if board.eeprom is None:
        raise Fail(f"I2C bus unavailable: {board.faults.get('i2c', 'not configured')}")
    try:
        ident = board.eeprom.read_identity()
    except ChipAbsent as exc:
        raise Fail(f"{exc} - board identity unknown; reseat or replace the board") from exc
    except EepromCrcError as exc:
        raise Fail(f"identity block damaged ({exc}); reprogram the EEPROM at the factory") from exc
    except DecodeError as exc:
        raise Fail(f"EEPROM holds no valid identity ({exc}); program it") from exc
    return f"serial {ident.serial}, rev {ident.revision}, MAC {ident.mac}, CRC ok"


def temperature(board: Board) -> str:
    if board.temperature is None:
        raise Fail(f"I2C bus unavailable: {board.faults.get('i2c', 'not configured')}")
    t = board.temperature.temperature()
    if t > TEMP_MAX:
        raise Fail(f"board temperature {t:.1f} °C is above the {TEMP_MAX:.0f} °C limit; "
                   "check the fan, the vents and the room temperature")
    if t < TEMP_MIN:
        raise Fail(f"board temperature {t:.1f} °C is below {TEMP_MIN:.0f} °C; "
                   "the sensor may be faulty")
    return f"{t:.1f} °C, limits {TEMP_MIN:.0f}-{TEMP_MAX:.0f} °C"


def _span(board: Board, n: int = 1) -> Pef2256:
    span = board.spans[n - 1] if len(board.spans) >= n else None
    if span is None:
        raise Fail(f"E1 span {n} unavailable: {board.faults.get('e1_spi', 'not configured')}")
    return span


def _configured(board: Board, n: int = 1) -> Pef2256:
    """The span for a stage that needs it set up; skip (not fail) when the identity
    stage could not: one missing framer is one failure, as on the simulator."""
    span = board.spans[n - 1] if len(board.spans) >= n else None
    if span is None or span.config is None:
        raise Skip("framer not configured (identity stage failed)")
    return span


def e1_identity(board: Board, n: int = 1, cfg: E1Config = E1Config()) -> str:
    """Identity, register read-back, then the span set up as ``callbox.toml`` says
    (``[e1.spanN]``): the line stages judge the line as the daemon will run it (a line
    ordered without CRC-4 is RED/LMFA to a framer set up for CRC-4)."""
    span = _span(board, n)
    ident = span.identify()
    bad = span.register_test()
    if bad:
        raise Fail(f"{ident}: {bad} of 256 values did not read back from IMR0; "
                   "SPI wiring or the framer is faulty")
    span.configure(cfg)
    return (f"{ident}, IMR0 read-back 256/256, configured {cfg.signalling.upper()}/"
            f"{cfg.line_code.upper()}/{'CRC4' if cfg.framing == 'crc4' else 'doubleframe'}")


def e1_timing(board: Board) -> str:
    _configured(board)
    tdm = board.tdm
    if tdm is None:
        raise Skip(f"TDM stream unavailable: {board.faults.get('tdm', 'not configured')}")
    tdm.drain()                                   # drop the backlog
    t0 = board.clock.now()
    got = 0
    while got < PATTERN_FRAMES:
        board.wait(0.01)
        got += len(tdm.read_frames(PATTERN_FRAMES - got, TDM_READ_TIMEOUT))
        if board.clock.now() - t0 > 3.0:
            raise Fail(f"only {got} TDM frames in 3 s (expected 8000/s); the card's clock "
                       "or its interrupt is not running")
    elapsed = board.clock.now() - t0
    accuracy = PATTERN_FRAMES / (elapsed * 8000) * 100
    if not 99.97 <= accuracy <= 100.03:
        raise Fail(f"8000 samples in {elapsed:.4f} s ({accuracy:.3f}%); timing is off")
    return f"8000 samples in {elapsed:.3f} s, {accuracy:.3f}%"


def e1_alarms(board: Board, n: int = 1) -> str:
    span = _configured(board, n)
    board.wait(3.0)
    alarms = span.alarms
    if alarms & RED:
        if alarms & ALARM_LOS:
            raise Fail("RED alarm: no E1 signal received (LOS); check that the E1 cable is "
                       "plugged into the E1 port and into the carrier's NTU, and that the RX/TX "
                       "pairs are not swapped")
        if alarms & ALARM_LMFA:
            raise Fail("RED alarm: no CRC-4 multiframe from the carrier (LMFA); "
                       "ask whether the line is ordered with CRC-4")
        raise Fail("RED alarm: E1 signal present but frame alignment lost (LFA); "
                   "check the cable and the line code (HDB3)")
    if alarms & BLUE:
        raise Fail("BLUE alarm: the carrier sends AIS (all ones); the network has no "
                   "service towards this port; report it to the carrier")
    if alarms & YELLOW:
        raise Fail("YELLOW alarm: the carrier reports it does not receive our signal (RAI); "
                   "check our TX pair and the NTU")
    return f"{span.alarm_text}, no alarm for 3 s"


def e1_line_errors(board: Board, n: int = 1) -> str:
    span = _configured(board, n)
    if span.alarms & (RED | BLUE):
        raise Skip(f"span in alarm ({span.alarm_text}); error counts are not meaningful")
    start = span.counters.seconds
    c0 = (span.counters.crc4, span.counters.fas, span.counters.bpv, span.counters.ebit)
    board.wait(LINE_SECONDS + 0.05)
    c = span.counters
    crc, fas, bpv, ebit = (c.crc4 - c0[0], c.fas - c0[1], c.bpv - c0[2], c.ebit - c0[3])
    secs = c.seconds - start
    if crc or fas or bpv:
        raise Fail(f"{crc} CRC-4 errors, {fas} framing errors, {bpv} code violations in "
                   f"{secs} s on the received line; check the cable, its connectors and the "
                   "line with the carrier")
    return f"0 CRC-4, 0 framing, 0 code violations, {ebit} far-end block errors in {secs} s"


CAS_PROBE = 0b0101              # ABCD sent on channel 1 in loopback
CAS_CONFIGURED = 0b1111         # what Pef2256.configure sends on every channel: put back after


def e1_local_loopback(board: Board, n: int = 1) -> str:
    """Our own signal looped back: no CRC/FAS errors, and TS16 carries what we send: an
    HDLC frame on a CCS (PRI) span, the ABCD bits of channel 1 on a CAS (R2) span."""
    span = _configured(board, n)
    cas = span.config is not None and span.config.signalling == "cas"
    span.loopback("local")
    try:
        board.wait(SETTLE)
        span.received.clear()
        c0 = (span.counters.crc4, span.counters.fas)
        probe = b"\x02\x01\x03CALLBOX-LOOPBACK-PROBE"
        if cas:
            span.set_cas(1, CAS_PROBE)
        else:
            span.send_frame(probe)
        board.wait(LOOPBACK_SECONDS)
        crc, fas = span.counters.crc4 - c0[0], span.counters.fas - c0[1]
        echoed = sum(1 for f in span.received if f == probe)
        abcd = span.cas_rx[1]
        raw = span.raw_status()
        if raw.lfa or raw.los:
            raise Fail("no frame alignment on our own looped signal; the framer is faulty")
        if crc or fas:
            raise Fail(f"{crc} CRC errors and {fas} framing errors in {LOOPBACK_SECONDS} s "
                       "on our own looped signal; the framer or its clock is faulty")
        if cas and abcd != CAS_PROBE:
            raise Fail(f"ABCD {CAS_PROBE:04b} sent on channel 1 came back as {abcd:04b}; "
                       "the framer's CAS transmitter or receiver is faulty")
        if not cas and echoed != 1:
            raise Fail(f"HDLC probe frame came back {echoed} times, expected once; "
                       "the framer's HDLC controller is faulty")
    finally:
        if cas:
            span.set_cas(1, CAS_CONFIGURED)
        span.loopback("off")
        span.received.clear()
    echo = f"CAS ABCD {CAS_PROBE:04b} echo on channel 1" if cas else "HDLC echo 1/1"
    return f"0 CRC errors in {LOOPBACK_SECONDS} s, {echo}"


def e1_error_insertion(board: Board, n: int = 1) -> str:
    """dahdi_maint: one FAS error (and one CRC-4 error when the span runs CRC-4) inserted
    in local loopback must be counted exactly once each."""
    span = _configured(board, n)
    crc4 = span.config is not None and span.config.framing == "crc4"
    span.loopback("local")
    try:
        board.wait(SETTLE)
        c0 = (span.counters.crc4, span.counters.fas)
        span.insert_error("fas")
        board.wait(0.01)
        if crc4:
            span.insert_error("crc")
        board.wait(2.05)
        crc, fas = span.counters.crc4 - c0[0], span.counters.fas - c0[1]
    finally:
        span.loopback("off")
    if not crc4:
        if fas != 1 or crc:
            raise Fail(f"inserted 1 FAS error, counted {fas} FAS and {crc} CRC-4; "
                       "the framer's error counters are faulty")
        return "inserted 1 FAS error, counted 1 (doubleframe: no CRC-4)"
    if fas != 1 or crc != 1:
        raise Fail(f"inserted 1 FAS and 1 CRC-4 error, counted {fas} and {crc}; "
                   "the framer's error counters are faulty")
    return "inserted 1 FAS + 1 CRC-4 error, counted 1 + 1"


def prbs11(length: int) -> bytes:
    """O.152 test pattern for 64 kbit/s: PRBS 2^11-1 (x^11 + x^9 + 1), MSB first."""
    reg = 0x7FF
    out = bytearray()
    for _ in range(length):
        octet = 0
        for _ in range(8):
            bit = ((reg >> 10) ^ (reg >> 8)) & 1
            reg = ((reg << 1) | bit) & 0x7FF
            octet = octet << 1 | bit
        out.append(octet)
    return bytes(out)


PRBS_PERIOD = 2047                      # octets: 2047 bits is odd, so octets repeat after 2047
_PRBS = prbs11(PRBS_PERIOD * 2)


def _pattest(column: list[int]) -> tuple[int, int]:
    """pattest-style check of one channel: sync on 3 octets, then count errored octets."""
    for k in range(len(column) - 3):
        window = bytes(column[k:k + 3])
        pos = _PRBS.find(window, 0, PRBS_PERIOD + 2)
        if pos >= 0:
            received = column[k:]
            errors = sum(1 for i, v in enumerate(received) if v != _PRBS[(pos + i) % PRBS_PERIOD])
            return len(received), errors
    return 0, 0


def e1_pattern(board: Board) -> str:
    span = _configured(board)
    tdm = board.tdm
    if tdm is None:
        raise Skip(f"TDM stream unavailable: {board.faults.get('tdm', 'not configured')}")
    span.loopback("local")
    try:
        board.wait(0.05)
        tdm.drain()
        extra = b"\xd5" * (tdm.frame_size - 32)
        frames = []
        for i in range(PATTERN_FRAMES):
            f = bytearray(b"\xff" * 32)
            for ts in B_CHANNELS:     # each channel its own phase of the sequence
                f[ts] = _PRBS[(i + 61 * ts) % PRBS_PERIOD]
            frames.append(bytes(f) + extra)
        tdm.write_frames(frames)
        board.wait(PATTERN_FRAMES / 8000 + 0.05)
        rx = tdm.read_frames(PATTERN_FRAMES + 800, TDM_READ_TIMEOUT)
    finally:
        span.loopback("off")
    bad, checked = [], 0
    for ts in B_CHANNELS:
        column = [f[ts] for f in rx]
        first = next((k for k, v in enumerate(column) if v != 0xFF), None)
        if first is None:
            bad.append(ts)
            continue
        seen, errors = _pattest(column[first:first + PATTERN_FRAMES - 16])
        checked += seen
        if errors or seen < PATTERN_FRAMES - 32:
            bad.append(ts)
    if bad:
        raise Fail(f"PRBS 2^11-1 errors on timeslots {bad}; "
                   "TDM highway or framer system interface faulty")
    return (f"PRBS 2^11-1 on {len(B_CHANNELS)} B-channels, {checked} octets, 0 errors")


def fxo_port(n: int, timeslot: int | None = None):
    def stage(board: Board) -> str:
        daa: Si3050 | None = board.fxo[n - 1] if len(board.fxo) >= n else None
        if daa is None:
            raise Fail(f"FXO port {n} unavailable: {board.faults.get(f'fxo{n}_spi', 'not configured')}")
        ident = daa.bring_up(timeslot=timeslot if timeslot is not None else 32 + n - 1)
        board.wait(0.2)
        onhook_v = daa.line_voltage()
        if not daa.battery:
            raise Fail(f"FXO {n}: no battery on the line ({abs(onhook_v)} V, need at least "
                       f"{BATTERY_THRESHOLD:.0f} V); check that the PSTN line is plugged into "
                       f"FXO port {n} and is live")
        if daa.parallel_offhook:
            raise Fail(f"FXO {n}: line voltage {abs(onhook_v)} V while idle; another phone on "
                       "this line is off-hook")
        daa.off_hook()
        try:
            board.wait(0.3)
            v, ma = daa.line_voltage(), daa.loop_current_ma()
        finally:
            daa.on_hook()
        board.wait(0.1)
        if ma < 10:
            raise Fail(f"FXO {n}: off-hook loop current {ma:.1f} mA (need 10 mA or more); "
                       "the line or the DAA's line side is faulty")
        return f"{ident}, on-hook {abs(onhook_v)} V, off-hook {abs(v)} V / {ma:.0f} mA"
    return stage


def fxs_port(n: int, timeslot: int | None = None):
    def stage(board: Board) -> str:
        slic: Si3217x | None = board.fxs[n - 1] if len(board.fxs) >= n else None
        if slic is None:
            raise Fail(f"FXS port {n} unavailable: {board.faults.get(f'fxs{n}_spi', 'not configured')}")
        ident = slic.bring_up(timeslot=timeslot if timeslot is not None
                              else 32 + len(board.fxo) + n - 1)
        board.wait(0.05)
        if slic.offhook:
            raise Fail(f"FXS {n}: the phone is off the hook; hang it up and run the test again")
        m = slic.measure()
        if not 40.0 <= m.tip_ring <= 60.0:
            raise Fail(f"FXS {n}: TIP-RING {m.tip_ring:.1f} V on-hook (expected 40-60 V, "
                       f"VBAT {m.vbat:.1f} V); the SLIC's battery supply is faulty")
        slic.reverse_polarity(True)
        board.wait(0.02)
        rev = slic.measure()
        slic.reverse_polarity(False)
        if rev.tip_ring > -40.0:
            raise Fail(f"FXS {n}: polarity did not reverse (TIP-RING {rev.tip_ring:.1f} V)")
        slic.ring(bursts=1)
        board.wait(0.2)
        state = slic.linefeed()
        slic.stop_ring()
        board.wait(0.05)
        slic.set_linefeed(LF_FWD_ACTIVE)
        if state != LF_RINGING:
            raise Fail(f"FXS {n}: linefeed did not enter ringing (reads {state}); "
                       "the ring generator or its supply is faulty")
        return (f"{ident}, TIP {m.tip:.1f} V RING {m.ring:.1f} V VBAT {m.vbat:.1f} V, "
                "polarity reversal ok, ringing ok")
    return stage


def relay(board: Board) -> str:
    if board.relay is None:
        raise Fail(f"relay GPIO unavailable: {board.faults.get('relay', 'not configured')}")
    if board.relay.sense is None:
        raise Skip("no contact-sense input on this board; listen for the click")
    times = []
    for want, act in (("normal", board.relay.normal), ("bypass", board.relay.bypass),
                      ("normal", board.relay.normal)):
        act()
        t = board.relay.wait_contacts(want, board.clock, board.sleep)
        if t is None:
            raise Fail(f"bypass relay contacts did not move to {want} within 50 ms; "
                       "the relay or its driver transistor is faulty")
        times.append(t)
    return f"energise/release/energise, contacts moved in {max(times) * 1000:.0f} ms"


def leds(board: Board) -> str:
    if board.leds is None or not board.leds.lines:
        raise Skip("no LED lines on this board")
    for name in board.leds.lines:
        board.leds.set(name, True)
        board.wait(0.5)
        board.leds.set(name, False)
    return f"{', '.join(board.leds.lines)} lit in turn for 0.5 s each; check by eye"


def watchdog(board: Board) -> str:
    if board.open_watchdog is None:
        raise Skip("no watchdog on this board")
    try:
        dog = board.open_watchdog()
    except Exception as exc:
        if getattr(exc, "errno", None) == errno.EBUSY:
            raise Skip("watchdog is held by the running daemon") from exc
        raise
    try:
        reset = dog.last_boot_was_reset()
        timeout = dog.timeout()
        dog.ping()
    finally:
        dog.stop()
    if reset:
        raise Fail("the last boot was a watchdog reset: the box hung and was restarted; "
                   "collect the logs (callbox logs) and report it")
    return f"timeout {timeout} s, ping ok, magic close ok, last boot normal"


def all_stages(board: Board, settings: CardSettings | None = None) -> list[Stage]:
    """Every stage for this board; ``settings`` (from callbox.toml) gives the ports' slots."""
    fxo_slots, fxs_slots = (settings or CardSettings()).analog.timeslots(len(board.fxo),
                                                                          len(board.fxs))
    stages = [Stage("EEPROM identity", eeprom), Stage("Board temperature", temperature)]
    for n in range(1, len(board.spans) + 1):
        span = partial(Stage, part=f"e1_span{n}", needs=True)
        cfg = (settings or CardSettings()).span(n).e1_config()
        stages += [
            Stage(f"E1 span {n} framer identity", partial(e1_identity, n=n, cfg=cfg),
                  part=f"e1_span{n}"),
            *([span(f"E1 span {n} timing (8000 frames)", e1_timing)] if n == 1 else []),
            span(f"E1 span {n} line alarms", partial(e1_alarms, n=n)),
            span(f"E1 span {n} line errors ({LINE_SECONDS} s)", partial(e1_line_errors, n=n)),
            span(f"E1 span {n} local loopback", partial(e1_local_loopback, n=n)),
            span(f"E1 span {n} error insertion", partial(e1_error_insertion, n=n)),
            *([span(f"E1 span {n} B-channel pattern", e1_pattern)] if n == 1 else []),
        ]
    for n in range(1, len(board.fxo) + 1):
        stages.append(Stage(f"FXO port {n} line", fxo_port(n, fxo_slots[n - 1]), part=f"fxo{n}"))
    for n in range(1, len(board.fxs) + 1):
        stages.append(Stage(f"FXS port {n} line", fxs_port(n, fxs_slots[n - 1]), part=f"fxs{n}"))
    stages += [Stage("Front LEDs", leds), Stage("Bypass relay", relay), Stage("Watchdog", watchdog)]
    return stages

"""The card brought up from its settings on the simulator: healthy lines come up healthy,
chip faults are the card's (not the line's), D-channel and TDM audio reach their users."""
import logging
from collections import deque

import pytest

from acd_core.callerid import CallerIdReceiver
from acd_core.clock import ManualClock
from drivers.board_profile import BUSY_POLL_S, REAL_POLL_S, build
from drivers.card import PRESENCE_INTERVAL, Card, CardSettingsError
from drivers.card_settings import AnalogSettings, CardSettings, SpanSettings
from drivers.e1.alarms import NOTOPEN
from drivers.sim.fxo_line import CallerId

SABME = bytes([0x00, 0x01, 0x7F])
UA = bytes([0x02, 0x01, 0x73])


def make_card(settings=CardSettings(), **kw):
    clock = ManualClock()
    board = build("sim", clock, **kw)
    return Card(board, settings), board


@pytest.fixture
def up():
    card, board = make_card()
    card.start()
    card.wait(3.0)
    yield card, board
    board.close()


def test_healthy_simulated_lines_come_up_healthy(caplog):
    caplog.set_level(logging.INFO)
    card, board = make_card()
    card.start()
    card.wait(4.0)
    d = card.describe()
    assert d["status"] == "ok" and d["faults"] == {}
    assert [s["state"] for s in d["spans"]] == ["OK"]
    assert d["spans"][0]["signalling"] == "pri" and board.spans[0].config.signalling == "ccs"
    assert [(p["state"], p["battery"], p["timeslot"]) for p in d["fxo"]] == [
        ("idle", True, 32), ("idle", True, 33)]
    assert [(p["state"], p["timeslot"]) for p in d["fxs"]] == [("onhook", 34), ("onhook", 35)]
    logged = caplog.text
    for bogus in ("no_battery", "alarm_red", "Detected alarm", "HDLC"):
        assert bogus not in logged
    board.close()


def test_unconfigured_board_is_what_the_daemon_showed_before():
    """Without the card's bring-up the DAAs are unpowered: the "no battery" of issue 16."""
    clock = ManualClock()
    board = build("sim", clock)
    board.wait(1.5)
    assert [d.battery for d in board.fxo] == [False, False]
    assert board.spans[0].config is None
    board.close()


def test_settings_reach_the_chips():
    settings = CardSettings(
        spans=(SpanSettings(signalling="r2", framing="doubleframe", line_code="ami", clock="master"),),
        analog=AnalogSettings(country="FCC", impedance="600", fxo_timeslots=(35, 34),
                              fxs_timeslots=(32, 33)))
    card, board = make_card(settings, e1_signalling="cas")
    card.start()
    card.wait(0.5)
    cfg = board.spans[0].config
    assert (cfg.signalling, cfg.framing, cfg.line_code, cfg.clock_master) == ("cas", "doubleframe", "ami", True)
    daa = board.sim.daas[0]
    assert daa.regs[16] & 0x01 == 1                     # FCC: ring threshold RT
    assert daa.regs[30] == 0x0                          # 600 ohm instead of the country's
    assert [d.tx_timeslot for d in board.sim.daas] == [35, 34]
    assert [s.tx_timeslot for s in board.sim.slics] == [32, 33]
    assert card.timeslot("fxo", 1) == 35 and card.timeslot("fxs", 2) == 33
    board.close()


def test_timeslots_that_do_not_fit_the_board_are_refused():
    with pytest.raises(CardSettingsError, match="analog.fxo_timeslots: 1 timeslots for the board's 2 FXO ports"):
        make_card(CardSettings(analog=AnalogSettings(fxo_timeslots=(32,))))
    with pytest.raises(CardSettingsError, match="timeslot 40 is beyond the card's 36-byte TDM frame"):
        make_card(CardSettings(analog=AnalogSettings(fxs_timeslots=(40, 34))))


def test_dchannel_frames_both_ways(up):
    card, board = up
    got = []
    card.on_frame(1, got.append)
    board.sim.exchange.send(SABME)
    card.wait(0.1)
    assert got == [SABME]
    card.send_frame(1, UA)
    card.wait(0.1)
    assert board.sim.exchange.received == [UA]


# ---------------------------------------------------------------- card faults, not line faults
def test_framer_removed_mid_run_is_a_chip_fault_not_an_alarm(up, caplog):
    card, board = up
    caplog.set_level(logging.INFO)
    alarms = []
    card.on_alarm(1, alarms.append)
    chip = board.sim.spi_e1.target
    board.sim.spi_e1.target = None
    card.wait(5.0)
    d = card.describe()
    assert d["faults"] == {"e1_span1": "chip not answering: E1 span 1 framer (PEF2256) on SPI sim-spi-0.0"}
    assert d["spans"][0]["state"] == "fault" and d["status"] == "degraded"
    assert "HDLC Overrun" not in caplog.text and "Detected alarm" not in caplog.text
    assert caplog.text.count("chip not answering") == 1              # logged once, not per poll
    with pytest.raises(Exception, match="E1 span 1 is down: chip not answering"):
        card.send_frame(1, UA)
    assert alarms == [NOTOPEN]              # the span's user: hardware gone, not a line alarm
    board.sim.spi_e1.target = chip                                    # reseated
    card.wait(1.5)
    assert card.describe()["faults"] == {}
    assert alarms == [NOTOPEN, 0]           # back: what the framer sees now (no alarm)
    card.wait(3.0)
    assert card.describe()["spans"][0]["state"] == "OK"
    got = []
    card.on_frame(1, got.append)
    board.sim.exchange.send(SABME)
    card.wait(0.1)
    assert got == [SABME]                                             # configured again


def test_daa_removed_mid_run_is_not_a_line_without_battery(up, caplog):
    card, board = up
    caplog.set_level(logging.INFO)
    events = []
    card.on_port_event = lambda kind, port, ev: events.append((kind, port, ev))
    chip = board.sim.spi_fxo[0].target
    board.sim.spi_fxo[0].target = None
    card.wait(2.0)
    d = card.describe()
    assert d["faults"] == {"fxo1": "chip not answering: FXO port 1 DAA (Si3050) on SPI sim-spi-0.1 channel 0"}
    assert d["fxo"][0]["state"] == "fault" and d["fxo"][1]["state"] == "idle"
    assert events == [("fxo", 1, "fault")]                  # the port's user is told, once
    assert "no_battery" not in caplog.text and "alarm_red" not in caplog.text
    board.sim.spi_fxo[0].target = chip
    card.wait(1.5)
    d = card.describe()
    assert d["faults"] == {} and d["fxo"][0]["state"] == "idle" and d["fxo"][0]["battery"] is True
    assert events == [("fxo", 1, "fault"), ("fxo", 1, "fault_clear")]


def test_slic_removed_mid_run_gives_no_phantom_off_hook(up):
    card, board = up
    events = []
    card.on_port_event = lambda kind, port, ev: events.append((kind, port, ev))
    chip = board.sim.spi_fxs[1].target
    board.sim.spi_fxs[1].target = None
    card.wait(2.0)
    d = card.describe()
    assert d["faults"] == {"fxs2": "chip not answering: FXS port 2 SLIC (Si3217x) on SPI sim-spi-1.1 channel 0"}
    assert d["fxs"][1]["state"] == "fault" and events == [("fxs", 2, "fault")]
    board.sim.spi_fxs[1].target = chip
    card.wait(1.5)
    assert card.describe()["fxs"][1]["state"] == "onhook"
    assert events == [("fxs", 2, "fault"), ("fxs", 2, "fault_clear")]   # no offhook/onhook


def test_chip_absent_at_start_is_reported_and_the_rest_serves():
    card, board = make_card()
    board.sim.inject("fxo-absent")
    card.start()
    card.wait(1.0)
    d = card.describe()
    assert d["faults"] == {"fxo1": "chip not answering: FXO port 1 DAA (Si3050) on SPI sim-spi-0.1 channel 0"}
    assert d["fxo"][1]["state"] == "idle" and d["spans"][0]["state"] == "OK"
    board.close()


def test_poll_failure_reaches_the_faults_and_clears(up):
    card, board = up
    bus = board.sim.spi_fxs[0]
    bus.closed = True
    card.wait(0.1)
    assert card.describe()["faults"]["fxs1"].startswith("poll failed: SPI transfer on sim-spi-1.0")
    bus.closed = False
    card.wait(0.1)
    assert card.describe()["faults"] == {}


def test_board_service_loop_records_poll_failures_too():
    clock = ManualClock()
    board = build("sim", clock, fxo_ports=0, fxs_ports=1)
    board.fxs[0].bring_up(timeslot=32)
    board.sim.spi_fxs[0].closed = True
    board.poll_all()
    assert board.faults["fxs1"].startswith("poll failed: SPI transfer on sim-spi-1.0")
    board.sim.spi_fxs[0].closed = False
    board.poll_all()
    assert board.faults == {}
    board.close()


# ---------------------------------------------------------------- audio per timeslot
def test_port_audio_reaches_its_listener_in_20ms_chunks(up):
    card, board = up
    chunks = []
    card.switch.listen(card.timeslot("fxo", 1), chunks.append)
    board.sim.fxo_lines[0].call(CallerId("5551234", "ALICE"))
    card.wait(5.3)
    assert {len(c) for c in chunks} == {160}
    (_, msg), = CallerIdReceiver("v23").process_alaw(b"".join(chunks))
    assert msg.number == "5551234"


def test_audio_sent_to_a_slot_reaches_the_phone(up):
    from acd_core import tonegen
    from acd_core.callerid import CallerIdMessage
    from acd_core.g711 import linear_to_alaw
    from drivers.analog.si3217x import LF_FWD_OHT
    card, board = up
    card.fxs(1).set_linefeed(LF_FWD_OHT)
    msg = CallerIdMessage(number="201", name="DESK")
    card.switch.send(card.timeslot("fxs", 1), linear_to_alaw(tonegen.fsk_callerid(bytes(msg), "v23")))
    card.wait(1.0)
    assert card.switch.queued(card.timeslot("fxs", 1)) == 0
    (_, shown), = board.sim.phones[0].display
    assert (shown.number, shown.name) == ("201", "DESK")


@pytest.mark.parametrize("zone", ["EU", "US"])
def test_idle_card_polls_at_the_real_boards_pace_and_fast_while_a_line_rings(zone):
    """US: a 20 Hz ring signal sampled every 50 ms reads the same every time; from a call
    placed just after a poll, every idle poll lands on a zero crossing, where neither
    RDTP nor RDTN is set. The ring is found by RDT / the latched RDTI, then sampled fast."""
    card, board = make_card(zone=zone)
    card.start()
    card.wait(3.0)
    clock = board.clock

    def run_for(seconds: float) -> list[float]:
        """The drivers thread's loop, on the manual clock: sleep the pace, serve, note."""
        paces, end = [], clock.now() + seconds
        while clock.now() < end:
            clock.advance(board.poll_interval())
            card.service()
            board.note_activity()
            paces.append(board.poll_interval())
        return paces

    try:
        run_for(1.0)                                       # bring-up debounces settle
        assert set(run_for(1.0)) == {REAL_POLL_S}          # idle: 20 polls a second
        board.sim.fxo_lines[0].call(CallerId(number="5551234"))
        assert BUSY_POLL_S in run_for(1.0)                 # the first ring burst is seen
        assert card.describe()["fxo"][0]["state"] == "ringing"
        board.sim.fxo_lines[0].caller_gives_up()
        assert run_for(8.0)[-1] == REAL_POLL_S             # rings over: idle pace again
    finally:
        board.close()


# ---------------------------------------------------------------- detection time, in poll cycles
@pytest.mark.parametrize("name, pull", [
    ("e1_span1", lambda sim: setattr(sim.spi_e1, "target", None)),
    ("fxo1", lambda sim: setattr(sim.spi_fxo[0], "target", None)),
    ("fxs1", lambda sim: setattr(sim.spi_fxs[0], "target", None)),
])
@pytest.mark.parametrize("who", ["card", "board"])
def test_a_vanished_chip_is_named_at_the_first_poll_that_reads_it(up, name, pull, who):
    """Counted in service passes at the daemon's idle pace (one per REAL_POLL_S), on the
    simulated clock: the first pass after the chip goes names it, whoever polls (the
    daemon's Card, or Board.poll_all under the self-test), and nothing else is derived."""
    card, board = up
    events = []
    card.on_port_event = lambda kind, port, ev: events.append((kind, port, ev))
    serve = card.service if who == "card" else board.poll_all
    pull(board.sim)
    passes = 0
    while name not in board.faults and passes < 100:
        board.sleep(REAL_POLL_S)
        serve()
        passes += 1
    print(f"\n{who}: {name} named after {passes} poll pass(es) of {REAL_POLL_S * 1000:.0f} ms")
    assert passes == 1
    assert board.faults[name].startswith("chip not answering: ")
    assert "on SPI sim-spi-" in board.faults[name]
    assert set(board.faults) == {name}
    # a port's user hears of it once (who == "board": nobody brought ports up, no events)
    port_fault = [] if name.startswith("e1") or who == "board" else [
        (name[:3], int(name[3:]), "fault")]
    assert events == port_fault
    assert card.describe()["status"] == "degraded" and board.describe()["status"] == "degraded"


def test_board_poll_all_names_a_vanished_chip_and_clears_when_it_answers_again():
    clock = ManualClock()
    board = build("sim", clock, fxo_ports=1, fxs_ports=0)
    board.fxo[0].bring_up(timeslot=32)
    board.wait(0.5)
    assert board.describe()["status"] == "ok"
    chip = board.sim.spi_fxo[0].target
    board.sim.spi_fxo[0].target = None
    board.wait(0.5)
    assert board.faults == {"fxo1": "chip not answering: FXO port 1 DAA (Si3050) on SPI "
                                    "sim-spi-0.1 channel 0"}
    assert board.fxo[0].battery is True and board.fxo[0].events == deque()   # no "no battery"
    board.sim.spi_fxo[0].target = chip
    board.poll_all()
    assert board.faults == {} and board.describe()["status"] == "ok"
    board.close()


@pytest.mark.parametrize("name, spi, lift", [
    ("e1_span1", lambda sim: sim.spi_e1, False),
    ("fxo1", lambda sim: sim.spi_fxo[0], False),
    ("fxs1", lambda sim: sim.spi_fxs[0], False),
    ("fxs1", lambda sim: sim.spi_fxs[0], True),      # the phone off-hook: would read as on-hook
])
def test_a_chip_gone_with_miso_pulled_low_is_named_within_a_second_and_derives_nothing(
        up, name, spi, lift):
    """Every register reads 0x00: to the polls that is an idle line (no alarm, on-hook, no
    ring) or a lost battery; the identity checks name the chip instead."""
    card, board = up
    if lift:
        board.sim.phones[0].lift()
    card.wait(0.5)                  # half-way between two identity checks
    events = []
    card.on_port_event = lambda kind, port, ev: events.append((kind, port, ev))
    bus = spi(board.sim)
    bus.miso_idle, bus.target = 0x00, None
    passes = 0
    while name not in board.faults and passes < 100:
        board.sleep(REAL_POLL_S)
        card.service()
        passes += 1
    print(f"\n{name} with MISO low{' (phone off-hook)' if lift else ''}: named after "
          f"{passes} poll pass(es) of {REAL_POLL_S * 1000:.0f} ms")
    assert passes <= PRESENCE_INTERVAL / REAL_POLL_S + 1
    assert board.faults == {name: card.describe()["faults"][name]}
    assert board.faults[name].startswith("chip not answering: ")
    port_fault = [] if name.startswith("e1") else [(name[:3], int(name[3:]), "fault")]
    assert events == port_fault                          # no no_battery, no onhook, no ring
    card.wait(2.0)
    assert events == port_fault and set(board.faults) == {name}

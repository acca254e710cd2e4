"""FxoLine on the simulated card: the exchange model rings, sends caller ID, gives dial
tone, hears our DTMF and clears the call the three ways real lines do."""
import logging

import pytest

from acd_core import tonegen
from acd_core.errors import IllegalTransition
from drivers.sim.fxo_line import CallerId
from drivers.sim.pcm import sample_at
from firmware.telephony.analog.fsm import check_table
from firmware.telephony.analog.fxo import (TABLE, CallFailed, Connected, Digit, Disconnected,
                                           IncomingCall)
from tests.telephony.analog.conftest import Rig


def test_every_state_has_a_row_and_every_target_is_a_state():
    check_table(TABLE, "idle")
    assert set(TABLE) == {"idle", "ringing", "offered", "seizing", "dialling", "proceeding",
                          "connected", "flashing", "no_line", "fault"}


def test_fsk_caller_id_between_the_rings_is_offered_before_the_second_ring(rig, caplog):
    caplog.set_level(logging.INFO, logger="callbox.analog")
    line = rig.ports.lines[1]
    rig.lines[0].call(CallerId("5551234", "ALICE SMITH", "11271430"))
    rig.wait(1.2)
    assert line.state == "ringing" and rig.events == []
    rig.wait(2.0)                                             # FSK at 1.5 s, done by ~2.3 s
    assert rig.events == [IncomingCall(1, "5551234", "ALICE SMITH")]
    assert line.state == "offered"
    rig.wait(3.0)                                             # second ring: still offered once
    assert len(rig.of("IncomingCall")) == 1
    assert "fxo 1: idle -> ringing (ring)" in caplog.text
    assert "fxo 1: ringing -> offered (caller_id, FSK)" in caplog.text


@pytest.mark.parametrize("zone, country", [("US", "FCC"), ("EU", "TBR21")])
def test_answer_then_far_end_clears_by_polarity_reversal(zone, country):
    rig = Rig(zone, country)
    line, exch = rig.ports.lines[1], rig.lines[0]
    exch.call(CallerId("5551234", "ALICE"))
    rig.wait(sum(exch.cadence) - 0.1)
    assert rig.of("IncomingCall")[0].caller_number == "5551234"
    line.answer()
    rig.wait(0.3)
    assert exch.offhook and not exch.ringing() and line.state == "connected"
    exch.far_end_clears("polarity")
    rig.wait(0.3)
    assert rig.of("Disconnected") == [Disconnected(1, "polarity")]
    assert line.state == "idle" and not exch.offhook
    rig.close()


def test_dtmf_caller_id_is_offered():
    rig = Rig(cid="dtmf")
    rig.lines[0].call(CallerId("0612345678", method="dtmf"))
    rig.wait(4.8)
    assert rig.of("IncomingCall") == [IncomingCall(1, "0612345678", "")]
    rig.close()


def test_withheld_number_is_offered_with_its_reason(rig):
    rig.lines[0].call(CallerId(withheld="P"))
    rig.wait(4.8)
    assert rig.of("IncomingCall") == [IncomingCall(1, "", "", "private")]


def test_without_caller_id_the_call_is_offered_at_the_second_ring(rig):
    rig.lines[0].call(None)
    rig.wait(4.9)
    assert rig.events == []
    rig.wait(0.3)
    assert rig.events == [IncomingCall(1, "", "")]


def test_a_ring_after_a_short_pause_is_the_same_ring_and_caller_id_still_counts(rig):
    """A ring detector that loses the ring signal for a moment reports ring_end and ring
    inside one burst; that pause cannot have carried caller ID, so it is not the second
    ring and the caller ID that follows is still offered."""
    line = rig.ports.lines[1]
    rig.lines[0].call(CallerId("5551234", "ALICE"))
    rig.wait(0.5)
    assert line.state == "ringing"
    line.driver_event("ring_end")
    rig.wait(0.1)
    line.driver_event("ring")
    assert line.state == "ringing" and rig.events == []
    rig.wait(2.7)
    assert rig.events == [IncomingCall(1, "5551234", "ALICE")]


def test_uk_double_ring_is_one_ring_and_the_caller_id_after_it_is_offered():
    rig = Rig("UK", "TBR21")
    exch = rig.lines[0]
    exch.call(CallerId("01632960000", "BOB"))
    rig.wait(1.2)                       # 0.4 on, 0.2 off, 0.4 on: two bursts, one ring
    assert rig.events == [] and rig.ports.lines[1].state == "ringing"
    rig.wait(sum(exch.cadence) - 1.3)
    assert rig.events == [IncomingCall(1, "01632960000", "BOB")]
    rig.close()


def test_caller_who_gives_up_ends_the_offer(rig):
    rig.lines[0].call(CallerId("5551234"), rings=2)
    rig.wait(20.0)
    assert [type(e).__name__ for e in rig.events] == ["IncomingCall", "Disconnected"]
    assert rig.events[-1] == Disconnected(1, "gave_up") and rig.ports.lines[1].state == "idle"


@pytest.mark.parametrize("tone", ["busy", "congestion"])
def test_far_end_clears_with_only_a_tone(rig, tone):
    line, exch = rig.ports.lines[1], rig.lines[0]
    exch.call(None)
    rig.wait(5.2)
    line.answer()
    rig.wait(0.5)
    exch.far_end_clears("busy_tone", tone)
    rig.wait(3.0)
    assert rig.of("Disconnected") == [Disconnected(1, tone)]
    assert line.state == "idle" and not exch.offhook


def test_battery_loss_clears_the_call_and_the_line_waits_for_battery(rig):
    line, exch = rig.ports.lines[1], rig.lines[0]
    exch.call(None)
    rig.wait(5.2)
    line.answer()
    rig.wait(0.5)
    exch.battery_ok = False
    rig.wait(0.3)
    assert rig.of("Disconnected") == [Disconnected(1, "battery")] and line.state == "no_line"
    exch.battery_ok = True
    rig.wait(0.3)
    assert line.state == "idle"


def test_the_daa_vanishing_clears_the_call_and_fault_clear_brings_the_line_back(rig):
    """The card's ``fault`` (the chip stopped answering) ends a call as a battery loss does;
    the line stays out of service until the card's ``fault_clear``."""
    line, exch = rig.ports.lines[1], rig.lines[0]
    exch.call(None)
    rig.wait(5.2)
    line.answer()
    rig.wait(0.5)
    spi = rig.board.sim.spi_fxo[0]
    chip, spi.target = spi.target, None
    rig.wait(1.0)
    assert rig.of("Disconnected") == [Disconnected(1, "fault")] and line.state == "fault"
    line.hangup()                                     # a flow's hang-up meanwhile: no news
    assert line.state == "fault" and len(rig.of("Disconnected")) == 1
    spi.target = chip
    rig.wait(1.5)
    assert line.state == "idle"


def test_far_end_digits_while_connected_are_reported(rig):
    line, exch = rig.ports.lines[1], rig.lines[0]
    exch.call(None)
    rig.wait(5.2)
    line.answer()
    rig.wait(0.3)
    exch.audio.place(sample_at(rig.clock.now()), tonegen.dtmf("42", 80, 80), "far")
    rig.wait(0.6)
    assert rig.of("Digit") == [Digit(1, "4"), Digit(1, "2")]


# ---------------------------------------------------------------- outgoing
def test_outgoing_call_waits_for_dial_tone_dials_and_is_answered_by_reversal(rig, caplog):
    caplog.set_level(logging.INFO, logger="callbox.analog")
    line, exch = rig.ports.lines[1], rig.lines[0]
    line.dial("0612")
    assert line.state == "seizing" and exch.offhook
    rig.wait(2.0)                                            # dial tone recognised after ~1 s
    assert line.state in ("dialling", "proceeding")
    rig.wait(1.0)
    assert "".join(d for _, d in exch.dialled) == "0612"
    assert line.state == "proceeding" and rig.events == []
    exch.answered_by_far_end()                               # answer supervision
    rig.wait(0.2)
    assert rig.events == [Connected(1, "out")] and line.state == "connected"
    for step in ("idle -> seizing (dial, 0612)", "seizing -> dialling (dial_tone)",
                 "dialling -> proceeding (digits_sent, 0612)",
                 "proceeding -> connected (far_answer, answer polarity reversal)"):
        assert f"fxo 1: {step}" in caplog.text
    exch.far_end_clears("polarity")
    rig.wait(0.2)
    assert rig.events[-1] == Disconnected(1, "polarity")


def test_no_dial_tone_fails_the_call_and_releases_the_line(rig):
    line, exch = rig.ports.lines[1], rig.lines[0]
    exch.dial_tone = False
    line.dial("123")
    rig.wait(5.5)
    assert rig.events == [CallFailed(1, "no_dial_tone")]
    assert line.state == "idle" and not exch.offhook and exch.dialled == []


def test_without_answer_supervision_the_call_is_connected_after_dialling():
    rig = Rig(answer_supervision=False)
    line, exch = rig.ports.lines[1], rig.lines[0]
    line.dial("5")
    rig.wait(2.5)
    assert rig.events == [Connected(1, "out")] and "".join(d for _, d in exch.dialled) == "5"
    rig.close()


def test_busy_number_fails_the_outgoing_call(rig):
    line, exch = rig.ports.lines[1], rig.lines[0]
    line.dial("5")
    rig.wait(2.5)
    exch.far_end_clears("busy_tone", "busy")
    rig.wait(2.5)
    assert rig.events == [CallFailed(1, "busy")] and line.state == "idle"


def test_hook_flash_breaks_the_loop_for_the_country_flash_time(rig):
    line, exch = rig.ports.lines[1], rig.lines[0]
    exch.call(None)
    rig.wait(5.2)
    line.answer()
    rig.wait(0.3)
    line.flash()
    assert line.state == "flashing" and not exch.offhook
    rig.wait(0.05)
    assert not exch.offhook                                   # TBR21: 100 ms
    rig.wait(0.1)
    assert exch.offhook and line.state == "connected"
    assert rig.of("Disconnected") == []


def test_answer_on_an_idle_line_is_an_illegal_transition(rig):
    with pytest.raises(IllegalTransition, match="no 'answer' in state idle"):
        rig.ports.lines[1].answer()
    assert not rig.lines[0].offhook

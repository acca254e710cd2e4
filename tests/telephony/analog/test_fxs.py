"""FxsPort on the simulated card: the phone model rings, shows the caller ID it decoded
from the port's audio, sends its keys as DTMF and hears our tones."""
import pytest

from acd_core.errors import IllegalTransition
from acd_core.progress import ProgressDetector
from drivers.sim.pcm import sample_at
from firmware.cti import codes
from firmware.telephony.analog.fsm import check_table
from firmware.telephony.analog.fxs import (FEATURE_CODES, TABLE, FeatureCode, SeatAnswered,
                                           SeatDigit, SeatFlash, SeatHungUp, SeatOffHook)
from tests.telephony.analog.conftest import Rig


def heard_tones(rig, phone, since, zone="eu"):
    """Progress tones in what reached the phone since clock time ``since``."""
    start = sample_at(since)
    pcm = phone.heard.render(start, sample_at(rig.clock.now()) - start)
    return {k for _, k in ProgressDetector(zone).process(bytes(pcm))}


def test_every_state_has_a_row_and_the_codes_are_a_table():
    check_table(TABLE, "idle")
    # one table with the SIP seats' codes (firmware/cti/codes.py)
    assert FEATURE_CODES == {"*11": "login", "*12": "logout", "*21": "pause", "*22": "available"}
    assert all(codes.parse(c)[0].action == a for c, a in FEATURE_CODES.items())


@pytest.mark.parametrize("zone", ["EU", "US"])
def test_ringing_phone_shows_the_caller_id_sent_as_fsk_audio_and_answers(zone):
    rig = Rig(zone, "FCC" if zone == "US" else "TBR21")
    seat, phone = rig.ports.seats[1], rig.phones[0]
    seat.ring("5551234", "ALICE", when="11271430")
    rig.wait(0.5)
    assert phone.ringing and seat.state == "ringing"
    rig.wait(sum(rig.card.fxs(1).cadence) - 0.6)
    (_, shown), = phone.display
    assert (shown.number, shown.name, shown.date_time) == ("5551234", "ALICE", "11271430")
    assert phone.cid_received == bytearray()                   # audio, not the SLIC's FSKDAT
    phone.lift()
    rig.wait(0.2)
    assert rig.events == [SeatAnswered(1)] and seat.state == "connected" and not phone.ringing
    rig.close()


def test_stop_ring_when_the_caller_leaves(rig):
    seat, phone = rig.ports.seats[1], rig.phones[0]
    seat.ring("5551234")
    rig.wait(0.3)
    seat.stop_ring()
    rig.wait(6.0)
    assert not phone.ringing and phone.ring_bursts == 1 and seat.state == "idle"
    assert phone.display == []                                 # the caller ID was not sent


def test_lifted_phone_hears_dial_tone_and_logs_in_with_a_feature_code(rig):
    seat, phone = rig.ports.seats[1], rig.phones[0]
    phone.lift()
    rig.wait(0.1)
    t = rig.clock.now()
    rig.wait(2.5)                                              # EU: ringback is 425 Hz too
    assert rig.events == [SeatOffHook(1)] and seat.state == "dialtone"
    assert heard_tones(rig, phone, t) == {"dial"}
    phone.dial("*11", tone=0.08, gap=0.08)
    rig.wait(0.8)
    assert rig.events[1:] == [FeatureCode(1, "*11", "login")] and seat.state == "done"
    phone.hang_up()
    rig.wait(1.5)
    assert rig.events[-1] == SeatHungUp(1) and seat.state == "idle"


@pytest.mark.parametrize("code, action", [("*12", "logout"), ("*21", "pause"), ("*22", "available")])
def test_each_feature_code_is_reported(rig, code, action):
    rig.phones[0].lift()
    rig.wait(0.2)
    rig.phones[0].dial(code, tone=0.08, gap=0.08)
    rig.wait(0.8)
    assert rig.of("FeatureCode") == [FeatureCode(1, code, action)]


def test_unknown_code_gives_busy_tone(rig):
    seat, phone = rig.ports.seats[1], rig.phones[0]
    phone.lift()
    rig.wait(0.2)
    phone.dial("*9", tone=0.08, gap=0.08)
    rig.wait(0.5)
    assert seat.state == "busy" and rig.of("FeatureCode") == []
    t = rig.clock.now()
    rig.wait(2.5)
    assert heard_tones(rig, phone, t) == {"busy"}


def test_a_code_left_unfinished_times_out_to_busy(rig):
    rig.phones[0].lift()
    rig.wait(0.2)
    rig.phones[0].dial("*2", tone=0.08, gap=0.08)
    rig.wait(0.5)
    assert rig.ports.seats[1].state == "collecting"
    rig.wait(5.0)
    assert rig.ports.seats[1].state == "busy"


def answered(rig):
    seat, phone = rig.ports.seats[1], rig.phones[0]
    seat.ring("100")
    rig.wait(0.3)
    phone.lift()
    rig.wait(0.2)
    assert seat.state == "connected"
    return seat, phone


def test_flash_versus_hang_up(rig):
    seat, phone = answered(rig)
    phone.flash(0.3)                                           # shorter than rxflash 1.25 s
    rig.wait(0.6)
    assert rig.events[-1] == SeatFlash(1) and seat.state == "connected"
    phone.hang_up()
    rig.wait(1.0)
    assert seat.state == "connected"                           # could still be a flash
    rig.wait(0.5)
    assert rig.events[-1] == SeatHungUp(1) and seat.state == "idle"


def test_keys_during_a_call_are_digits(rig):
    seat, phone = answered(rig)
    phone.dial("7#", tone=0.08, gap=0.08)
    rig.wait(0.6)
    assert rig.of("SeatDigit") == [SeatDigit(1, "7"), SeatDigit(1, "#")]


def test_far_end_gone_gives_busy_tone_until_the_phone_hangs_up(rig):
    seat, phone = answered(rig)
    seat.far_end_gone()
    t = rig.clock.now()
    rig.wait(2.5)
    assert seat.state == "busy" and heard_tones(rig, phone, t) == {"busy"}
    phone.hang_up()
    rig.wait(1.5)
    assert seat.state == "idle"


def test_ringing_an_off_hook_phone_is_an_illegal_transition(rig):
    rig.phones[0].lift()
    rig.wait(0.2)
    with pytest.raises(IllegalTransition, match="no 'ring' in state dialtone"):
        rig.ports.seats[1].ring("100")

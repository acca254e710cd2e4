"""Si3217x ProSLIC driver over its simulator with a simulated phone."""
import pytest

from acd_core.clock import ManualClock
from drivers.analog.si3217x import (LF_FWD_ACTIVE, LF_FWD_OHT, LF_OPEN, LF_RINGING, Si3217x)
from drivers.bus.spi import SimSpi
from drivers.errors import ChipAbsent, DriverError
from drivers.sim.fxo_line import mdmf
from drivers.sim.fxs_phone import PhoneSim
from drivers.sim.runner import run
from drivers.sim.si3217x import Si3217xSim
from drivers.timing import manual_sleep


class Port:
    def __init__(self, zone="EU", channel=0):
        self.clock = ManualClock()
        self.phone = PhoneSim(self.clock)
        self.chip = Si3217xSim(self.clock, self.phone, channel=channel)
        self.slic = Si3217x(SimSpi(self.chip, "/dev/spidev1.0"), self.clock,
                            manual_sleep(self.clock), port=1, channel=channel, zone=zone)

    def run(self, seconds):
        run(self.clock, seconds, [self.slic], step=0.002)

    def kinds(self):
        return [k for _, k in self.slic.events]


@pytest.fixture
def port():
    p = Port()
    p.slic.bring_up()
    return p


def test_bring_up_leaves_the_line_in_forward_active(port):
    assert port.slic.linefeed() == LF_FWD_ACTIVE
    m = port.slic.measure()
    assert m.tip == pytest.approx(-4.0, abs=0.01) and m.ring == pytest.approx(-52.0, abs=0.01)
    assert m.vbat == pytest.approx(-56.0, abs=0.01) and m.loop_ma == 0
    assert port.chip.protocol_errors == 0


def test_channel_id_goes_bit_reversed_in_the_control_byte():
    p = Port(channel=1)
    assert p.slic.bring_up() == "Si3217x id 0x41"
    other = Si3217x(SimSpi(p.chip), p.clock, manual_sleep(p.clock), channel=2)
    assert other.read(0) == 0xFF                  # channel 2 is not this chip


def test_absent_slic_reads_all_ones():
    clock = ManualClock()
    slic = Si3217x(SimSpi(None, "/dev/spidev1.0"), clock, manual_sleep(clock))
    with pytest.raises(ChipAbsent, match="no ProSLIC answers"):
        slic.bring_up()


def test_ram_words_round_trip_through_the_byte_split(port):
    for value in (0, 1, 0x1FFFFFFF, 0x0ABCDEF1):
        port.slic.write_ram(200, value)
        assert port.slic.read_ram(200) == value


def test_ringing_follows_the_cadence_and_sends_caller_id_between_bursts(port):
    msg = mdmf("5551234", "ALICE")
    port.slic.ring(cid=msg)
    assert port.slic.linefeed() == LF_RINGING and port.phone.ringing
    port.run(0.99)
    assert port.phone.ring_bursts == 1 and port.phone.ringing
    port.run(0.02)
    assert port.slic.linefeed() == LF_FWD_OHT and not port.phone.ringing
    port.run(0.6)
    assert bytes(port.phone.cid_received) == msg and port.chip.fsk_lost == 0
    port.run(4.0)
    assert port.phone.ring_bursts == 2


def test_ring_trip_answers_the_call(port):
    port.slic.ring()
    port.run(0.3)
    port.phone.lift()
    port.run(0.05)
    assert port.kinds() == ["offhook"]
    assert not port.slic.ringing and port.slic.linefeed() == LF_FWD_ACTIVE
    m = port.slic.measure()
    assert m.loop_ma == pytest.approx(22.0, abs=0.1)


def test_flash_shorter_than_rxflash_and_hang_up_longer(port):
    port.phone.lift()
    port.run(0.1)
    port.phone.flash(0.1)
    port.run(0.5)
    assert port.kinds() == ["offhook", "flash"]
    port.phone.flash(1.2)
    port.run(1.5)
    assert port.kinds() == ["offhook", "flash", "flash"]
    port.phone.hang_up()
    port.run(1.24)
    assert port.kinds()[-1] == "flash"
    port.run(0.05)
    assert port.kinds()[-1] == "onhook"


def test_hook_glitch_is_ignored(port):
    port.phone.lift()
    port.run(0.1)
    port.phone.flash(0.03)
    port.run(0.3)
    assert port.kinds() == ["offhook"]


def test_caller_id_needs_on_hook_transmission(port):
    with pytest.raises(DriverError, match="on-hook transmission"):
        port.slic.send_cid(b"\x80\x00\x80")


def test_reverse_polarity_swaps_tip_and_ring(port):
    port.slic.reverse_polarity(True)
    m = port.slic.measure()
    assert m.tip_ring == pytest.approx(-48.0, abs=0.01)
    assert port.phone.polarity_seen[-1][1] == -1


def test_open_linefeed_gives_no_voltage_and_no_hook(port):
    port.slic.set_linefeed(LF_OPEN)
    port.phone.lift()
    port.run(0.1)
    assert port.slic.measure().tip_ring == 0 and port.kinds() == []


def test_ringing_refused_while_off_hook(port):
    port.phone.lift()
    port.run(0.05)
    with pytest.raises(DriverError, match="off-hook"):
        port.slic.ring()


@pytest.mark.parametrize("slot, lo, hi", [(0, 0x00, 0), (31, 0xF8, 0), (32, 0x00, 1),
                                          (34, 0x10, 1), (35, 0x18, 1), (127, 0xF8, 3)])
def test_pcm_timeslot_is_a_10_bit_offset_in_both_register_pairs(slot, lo, hi):
    """PCMTXLO/HI (12/13) and PCMRXLO/HI (14/15) hold bit offset slot * 8: writing only
    the low registers put slots 32 and up on slot - 32 (the self-test's 34/35 on 2/3)."""
    p = Port()
    p.slic.bring_up(timeslot=slot)
    assert [p.chip.regs[r] for r in (12, 13, 14, 15)] == [lo, hi, lo, hi]
    assert p.slic.pcm_timeslot() == slot and p.chip.tx_timeslot == slot


def test_pcm_timeslot_outside_the_offset_range_is_refused():
    p = Port()
    with pytest.raises(ValueError, match="PCM timeslot must be 0-127, not 128"):
        p.slic.bring_up(timeslot=128)

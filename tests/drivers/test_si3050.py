"""Si3050 DAA driver over its simulator and the PSTN line model, with DAHDI's timings."""
import pytest

from acd_core.clock import ManualClock
from drivers.analog.si3050 import Si3050
from drivers.bus.spi import SimSpi
from drivers.errors import ChipAbsent, ChipTimeout
from drivers.sim.fxo_line import CallerId, FxoLineSim, mdmf
from drivers.sim.runner import run
from drivers.sim.si3050 import Si3050Sim
from drivers.timing import manual_sleep


class Port:
    def __init__(self, zone="EU", country="TBR21"):
        self.clock = ManualClock()
        self.line = FxoLineSim(self.clock, zone)
        self.chip = Si3050Sim(self.clock, self.line)
        self.daa = Si3050(SimSpi(self.chip, "/dev/spidev0.1"), self.clock,
                          manual_sleep(self.clock), port=1, country=country)

    def run(self, seconds):
        run(self.clock, seconds, [self.daa], step=0.002)

    def kinds(self):
        return [k for _, k in self.daa.events]

    def when(self, kind):
        return [t for t, k in self.daa.events if k == kind]


@pytest.fixture
def port():
    p = Port()
    p.daa.bring_up()
    p.run(0.2)
    return p


def test_bring_up_resets_powers_the_line_side_and_waits_for_the_isocap_link():
    p = Port()
    assert p.chip.read_reg(2) == 0x03 and p.chip.read_reg(11) == 0
    assert p.daa.bring_up() == "Si3050 rev D + Si3018"
    assert p.clock.now() >= 0.1 + 0.1          # 100 ms after reset + the link delay
    assert p.chip.regs[5] == 0x08 and p.chip.regs[6] == 0x00
    assert p.chip.regs[30] == 2 and p.chip.regs[26] == 0xC2   # TBR21: ACIM 2, DCV 3, ILIM
    assert p.chip.protocol_errors == 0


def test_absent_daa_reads_all_ones():
    clock = ManualClock()
    daa = Si3050(SimSpi(None, "/dev/spidev0.1"), clock, manual_sleep(clock))
    with pytest.raises(ChipAbsent, match=r"no DAA answers \(FXO port 1 on /dev/spidev0.1\)"):
        daa.bring_up()


def test_broken_isocap_link_times_out_after_2_s():
    p = Port()
    p.chip.isocap_broken = True
    with pytest.raises(ChipTimeout, match="did not bring up ISO link"):
        p.daa.bring_up()
    assert 2.0 <= p.clock.now() <= 2.2


def test_three_bytes_under_one_chip_select_are_not_understood():
    p = Port()
    assert SimSpi(p.chip).transfer(b"\x60\x02\xff") == b"\xff\xff\xff"
    assert p.chip.protocol_errors == 1


def test_battery_present_after_bring_up(port):
    assert port.daa.battery is True and port.daa.line_voltage() == 48
    assert port.kinds() == []


def test_ring_detected_after_more_than_two_half_waves_and_ends_128_ms_after(port):
    t0 = port.clock.now()
    port.line.call()
    port.run(1.5)
    ring, end = port.when("ring"), port.when("ring_end")
    # 25 Hz: a half-wave change every 20 ms; the third change inside 128 ms -> ring
    assert 0.035 <= ring[0] - t0 <= 0.070
    # the last half-wave change is up to 20 ms before the burst ends
    assert 1.0 - 0.020 + 0.128 <= end[0] - t0 <= 1.0 + 0.130
    assert port.daa.cid_window_open


@pytest.mark.parametrize("stall", [0.140, 0.160, 0.180, 0.200, 0.300])
def test_a_late_poll_in_the_middle_of_a_burst_does_not_end_the_ring(port, stall):
    """A drivers' thread that was kept from polling for longer than the ring-end time
    may find the ring signal's bits as it left them (the 25 Hz phase came round): that
    is no proof the burst ended, and a ring_end + ring there would look like a second
    ring to the line (which then offers the call before the caller ID comes)."""
    t0 = port.clock.now()
    port.line.call()
    port.run(0.4)
    port.clock.advance(stall)                  # nobody polls meanwhile
    port.run(1.5 - 0.4 - stall)
    assert port.kinds() == ["ring", "ring_end"], port.daa.events
    assert port.when("ring_end")[0] - t0 >= 1.0


def test_caller_id_is_heard_only_with_the_line_monitor_on(port):
    port.line.call(CallerId("5551234", "ALICE"))
    port.run(5.5)
    assert port.line.cid_heard == [mdmf("5551234", "ALICE")]
    p2 = Port()
    p2.daa.bring_up()
    p2.daa.write(5, 0x00)                      # ONHM off
    p2.line.call(CallerId("5551234"))
    p2.run(5.5)
    assert p2.line.cid_heard == []


def test_mdmf_checksum_makes_the_message_sum_to_zero():
    msg = mdmf("5551234", "ALICE", "11271030")
    assert msg[0] == 0x80 and sum(msg) & 0xFF == 0


def test_answer_stops_ringing_and_draws_loop_current(port):
    port.line.call()
    port.run(0.3)
    port.daa.off_hook()
    port.run(0.3)
    assert not port.line.ringing()
    assert port.daa.line_voltage() == 7
    assert 25 <= port.daa.loop_current_ma() <= 40


def test_battery_loss_debounced_64_ms_then_red_alarm_after_1_s(port):
    port.line.battery_ok = False
    t0 = port.clock.now()
    port.run(0.06)
    assert port.daa.battery is True
    port.run(0.01)
    assert port.daa.battery is False
    assert 0.062 <= port.when("no_battery")[0] - t0 <= 0.068
    port.run(0.90)
    assert not port.daa.alarm
    port.run(0.05)
    assert port.daa.alarm and 0.998 <= port.when("alarm_red")[0] - t0 <= 1.004
    port.line.battery_ok = True
    port.run(0.1)
    assert not port.daa.alarm and "alarm_clear" in port.kinds()


def test_short_battery_dip_is_ignored(port):
    port.line.battery_ok = False
    port.run(0.05)
    port.line.battery_ok = True
    port.run(0.2)
    assert port.kinds() == []


def test_polarity_reversal_debounced_64_ms(port):
    port.daa.off_hook()
    port.run(0.1)
    t0 = port.clock.now()
    port.line.far_end_clears("polarity")
    port.run(0.2)
    assert port.kinds() == ["polarity"]
    assert 0.062 <= port.when("polarity")[0] - t0 <= 0.068


def test_open_loop_disconnect_is_seen_as_battery_loss(port):
    port.daa.off_hook()
    port.run(0.1)
    port.line.far_end_clears("open_loop")
    port.run(1.0)
    assert port.kinds()[:2] == ["no_battery", "battery"]


def test_parallel_phone_off_hook_while_idle(port):
    port.line.parallel_offhook = True
    port.run(0.05)
    assert port.daa.parallel_offhook and port.kinds() == ["parallel_offhook"]


def test_hook_flash_lasts_the_country_time():
    for country, seconds in (("TBR21", 0.1), ("FCC", 0.6)):
        p = Port(country=country)
        p.daa.bring_up()
        p.daa.off_hook()
        t0 = p.clock.now()
        assert p.daa.hook_flash() == seconds
        assert p.clock.now() - t0 == pytest.approx(seconds)
        assert p.line.offhook


def test_unplugged_line_reads_zero_volts_and_no_battery(port):
    port.line.plugged = False
    port.run(0.1)
    assert port.daa.line_voltage() == 0 and port.daa.battery is False


def test_dtmf_caller_id_is_sent_between_rings(port):
    port.line.call(CallerId("5551234", method="dtmf"))
    port.run(5.5)
    assert port.line.cid_heard == ["A5551234C"]


def test_caller_giving_up_stops_the_rings(port):
    port.line.call()
    port.run(0.5)
    port.line.caller_gives_up()
    port.run(5.0)
    assert port.kinds() == ["ring", "ring_end"]


def test_busy_tone_hang_up_changes_nothing_the_daa_can_see(port):
    # the third way a far end clears: only a tone, for the DSP on the TDM audio
    port.daa.off_hook()
    port.run(0.1)
    port.line.far_end_clears("busy_tone")
    port.run(1.0)
    assert port.line.tone == "busy" and port.kinds() == []
    assert port.daa.line_voltage() == 7


def test_us_ring_cadence_is_two_seconds_on_four_off():
    p = Port(zone="US", country="FCC")
    p.daa.bring_up()
    p.run(0.1)
    t0 = p.clock.now()
    p.line.call()
    p.run(7.0)
    starts = [t - t0 for t in p.when("ring")]
    ends = [t - t0 for t in p.when("ring_end")]
    assert len(starts) == 2 and abs(starts[1] - 6.0) < 0.1
    assert abs(ends[0] - 2.128) < 0.03

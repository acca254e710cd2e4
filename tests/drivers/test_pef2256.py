"""PEF2256 driver over its simulator: identity, bring-up, alarms with DAHDI timing,
counters, maintenance, HDLC FIFOs."""
import pytest

from acd_core.clock import ManualClock
from drivers.bus.spi import SimSpi
from drivers.e1 import regs as R
from drivers.e1.alarms import ALARM_LMFA, ALARM_LOS, BLUE, LOOPBACK, RECOVER, RED, YELLOW
from drivers.e1.pef2256 import E1Config, Pef2256
from drivers.errors import ChipAbsent, DriverError
from drivers.sim.e1cable import E1Cable
from drivers.sim.pef2256 import Pef2256Sim
from drivers.sim.runner import run
from drivers.timing import manual_sleep
from tests.drivers.e1_fixtures import make_card, span_to_exchange


def test_identity_and_register_read_back():
    clock = ManualClock()
    card = make_card(clock)
    ident = card.span.identify()
    assert (ident.vstr, ident.version, str(ident)) == (0x05, "2.1", "PEF2256 v2.1")
    assert card.span.register_test() == 0


def test_absent_chip_reads_all_ones_and_is_reported():
    clock = ManualClock()
    span = Pef2256(SimSpi(None, "/dev/spidev0.0"), clock, manual_sleep(clock))
    assert span.read(R.VSTR) == 0xFF and span.read(R.FRS0) == 0xFF
    with pytest.raises(ChipAbsent, match=r"E1 span 1 on /dev/spidev0.0\): every register reads 0xFF"):
        span.identify()


def test_reset_values_and_clear_on_read_interrupts():
    clock = ManualClock()
    chip = Pef2256Sim(clock)
    assert [chip.read_reg(R.IMR0 + n) for n in range(6)] == [0xFF] * 6
    chip.write_reg(R.IMR1, 0x00)
    assert chip.read_reg(R.ISR0 + 1) & R.ISR1_XPR   # XPR after reset
    assert chip.read_reg(R.ISR0 + 1) == 0           # cleared by the read


def test_bring_up_to_the_exchange_has_no_alarm_and_no_errors():
    t = span_to_exchange()
    assert t.span.alarms == 0 and t.span.alarm_text == "OK"
    c = t.span.counters
    assert (c.fas, c.crc4, c.bpv, c.ebit, c.slips) == (0, 0, 0, 0, 0)
    assert c.seconds == 3
    assert not t.exchange.last_status.lfa and not t.exchange.rx.rra


def test_configuration_registers_follow_dahdi_for_e1_crc4_ccs():
    t = span_to_exchange(settle=0.01)
    chip = t.card.chip
    assert chip.regs[R.FMR0] == 0xF0 and chip.regs[R.FMR1] == 0x4C
    assert chip.regs[R.FMR2] & R.FMR2_RFS_MASK == R.FMR2_RFS_CRC4
    assert chip.regs[R.PCD] == 0x0A and chip.regs[R.PCR] == 0x15
    assert chip.regs[R.TTR1 + 2] == 0x80 and chip.regs[R.RTR1 + 2] == 0x80
    assert chip.regs[R.MODE] == 0x88


def test_unplug_gives_red_after_2_5_s_sends_rai_then_recovers_for_5_s():
    t = span_to_exchange()
    t.cable.unplug()
    t.run(2.4)
    assert t.span.alarms == 0 and not t.span.sending_rai
    t.run(0.2)
    assert t.span.alarms & RED and t.span.alarms & ALARM_LOS
    assert t.span.alarm_text == "RED/LOS/"
    assert t.span.sending_rai
    t.cable.plug()
    t.run(0.1)
    assert t.span.alarms == RECOVER and t.span.sending_rai
    t.run(0.1)
    assert t.exchange.rx.rra                       # the far end sees our RAI
    t.run(4.7)
    assert t.span.alarms == RECOVER
    t.run(0.2)
    assert t.span.alarms == 0 and not t.span.sending_rai
    t.run(0.1)
    assert not t.exchange.rx.rra


def test_short_loss_of_signal_is_debounced_away():
    t = span_to_exchange()
    t.cable.unplug()
    t.run(2.0)
    t.cable.plug()
    t.run(3.0)
    assert t.span.alarms == 0


def test_ais_gives_blue_not_red():
    t = span_to_exchange()
    t.cable.send_ais(t.card.chip)
    t.run(2.4)
    assert t.span.alarms == 0
    t.run(0.2)
    assert t.span.alarms == BLUE and t.span.alarm_text == "BLU/"
    assert t.span.sending_rai


def test_far_end_rai_gives_yellow_after_0_5_s():
    t = span_to_exchange()
    t.exchange.rai = True
    t.run(0.45)
    assert t.span.alarms == 0
    t.run(0.1)
    assert t.span.alarms == YELLOW and t.span.alarm_text == "YEL/"
    assert not t.span.sending_rai
    t.exchange.rai = False
    t.run(0.05)
    assert t.span.alarms == 0


def test_fas_errors_past_three_in_a_row_lose_frame_alignment():
    t = span_to_exchange()
    t.cable.fas_errors(t.card.chip, 8 * 500)       # every FAS word in error
    t.run(2.6)
    assert t.span.alarms & RED and t.span.raw_status().lfa


def test_far_end_without_crc4_gives_lmfa_red():
    cfg = E1Config(framing="crc4")
    t = span_to_exchange(cfg, settle=0.0)
    t.exchange.ts0.crc4 = False
    t.run(3.0)
    assert t.span.alarms & RED and t.span.alarms & ALARM_LMFA
    assert t.span.alarm_text == "RED/LMFA/"


def test_crc_errors_are_latched_each_second_and_reported_back_as_e_bits():
    t = span_to_exchange()
    t.cable.crc_errors(t.card.chip, 10)
    t.run(3.0)
    c = t.span.counters
    assert 20 <= c.crc4 <= 30
    assert c.errored_seconds >= 2
    assert t.span.alarms == 0
    before = c.crc4
    t.cable.crc_errors(t.card.chip, 0)
    t.run(2.0)
    assert c.crc4 - before <= 10                   # only what was latched before the stop


def test_bipolar_violations_count_in_cvc():
    t = span_to_exchange()
    t.cable.bipolar_violations(t.card.chip, 7)
    t.run(2.0)
    assert 7 <= t.span.counters.bpv <= 14


def test_slips_only_while_free_running():
    t = span_to_exchange(E1Config(clock_master=False))
    t.cable.clock_offset(0.5)
    t.run(3.0)
    assert t.span.counters.slips == 0
    t2 = span_to_exchange(E1Config(clock_master=True))
    t2.cable.clock_offset(0.5)
    t2.run(3.0)
    assert t2.span.counters.slips == 6


def test_alarm_simulation_shows_every_alarm():
    t = span_to_exchange()
    t.span.alarm_simulation(True)
    t.run(2.6)
    assert t.span.alarms & RED and t.span.alarms & BLUE and t.span.alarms & YELLOW
    t.span.alarm_simulation(False)
    t.run(0.2)
    assert t.span.alarms == RECOVER


def test_local_loopback_ignores_the_line_and_counts_inserted_errors():
    t = span_to_exchange()
    t.cable.unplug()
    t.span.loopback("local")
    t.run(3.0)
    assert t.span.alarms == LOOPBACK and t.span.alarm_text == "LB/"
    t.span.counters.reset()
    t.span.insert_error("fas")
    t.span.insert_error("crc")
    t.run(2.0)
    assert t.span.counters.fas == 1
    assert t.span.counters.crc4 >= 1
    t.span.loopback("off")
    assert not t.card.chip.regs[R.LIM0] & R.LIM0_LL


def test_hdlc_frames_both_ways_with_the_exchange():
    t = span_to_exchange()
    t.span.send_frame(b"\x00\x01\x7f")
    t.span.send_frame(bytes(range(256)) + b"\x7e\x7d\xff")
    t.exchange.send(b"\x02\x01\x01\x7f")
    t.exchange.send(b"\x7e" * 100)
    t.run(0.3)
    assert t.exchange.received == [b"\x00\x01\x7f", bytes(range(256)) + b"\x7e\x7d\xff"]
    assert list(t.span.received) == [b"\x02\x01\x01\x7f", b"\x7e" * 100]
    assert t.span.counters.hdlc_tx == 2 and t.span.counters.hdlc_rx == 2


def test_rx_fifo_overrun_when_the_driver_is_too_slow():
    t = span_to_exchange()
    t.exchange.send(bytes(range(200)))
    t.clock.advance(0.2)             # nobody services the IRQ for 200 ms
    t.run(0.05)
    assert t.span.counters.hdlc_overruns == 1
    assert list(t.span.received) == []
    t.exchange.send(b"\x02\x01\x01\x7f")
    t.run(0.05)
    assert list(t.span.received) == [b"\x02\x01\x01\x7f"]


def test_tx_underrun_when_the_fifo_is_not_refilled():
    t = span_to_exchange()
    span = t.span
    span.write_burst(R.FIFO, bytes(32))
    span.command(R.CMDR_XHF)          # more to follow ... that never comes
    t.run(0.05)
    assert span.counters.hdlc_underruns == 1
    assert t.exchange.dec.aborts == 1
    span.send_frame(b"\x00\x01\x7f")
    t.run(0.05)
    assert t.exchange.received == [b"\x00\x01\x7f"]


def test_cmdr_written_while_busy_is_ignored_by_the_chip():
    clock = ManualClock()
    chip = Pef2256Sim(clock, cec_time=0.008)
    chip.write_reg(R.CMDR, R.CMDR_XRES)
    assert chip.read_reg(R.SIS) & R.SIS_CEC
    chip.write_reg(R.CMDR, R.CMDR_RRES)
    assert chip.ignored_commands == 1
    clock.advance(0.008)
    assert not chip.read_reg(R.SIS) & R.SIS_CEC


def test_back_to_back_framers_carry_hdlc_both_ways():
    clock = ManualClock()
    a, b = make_card(clock, "a", 1), make_card(clock, "b", 2)
    E1Cable(clock, a.chip, b.chip)
    a.span.configure(E1Config(clock_master=True))
    b.span.configure(E1Config(clock_master=False))
    run(clock, 3.0, [a.span, b.span])
    assert a.span.alarms == 0 and b.span.alarms == 0
    for i in range(5):
        a.span.send_frame(bytes([0x00, 0x01, i * 2, 0]) + bytes(40 * i))
        b.span.send_frame(bytes([0x02, 0x01, i * 2, 0]) + b"q931" * i)
    run(clock, 0.5, [a.span, b.span])
    assert list(b.span.received) == [bytes([0x00, 0x01, i * 2, 0]) + bytes(40 * i) for i in range(5)]
    assert list(a.span.received) == [bytes([0x02, 0x01, i * 2, 0]) + b"q931" * i for i in range(5)]


def test_cas_abcd_bits_both_ways_for_r2():
    clock = ManualClock()
    card = make_card(clock)
    from drivers.sim.e1cable import ExchangeSim
    exchange = ExchangeSim(cas=True)
    E1Cable(clock, card.chip, exchange)
    card.span.configure(E1Config(signalling="cas"))
    run(clock, 3.0, [card.span])
    assert card.span.alarms == 0
    assert card.span.cas_rx[1:] == [0x9] * 30            # R2 idle from the exchange
    card.span.cas_changes.clear()
    exchange.cas_tx[5] = 0x1                              # seize on channel 5 (TS5)
    exchange.cas_tx[20] = 0x1                             # and channel 20 (TS21)
    card.span.set_cas(17, 0xD)                            # our answer on channel 17 (TS18)
    run(clock, 0.05, [card.span])
    assert list(card.span.cas_changes) == [(5, 0x1), (20, 0x1)]
    assert card.span.get_cas(5) == 0x1 and card.span.get_cas(20) == 0x1
    assert exchange.cas_rx[17] == 0xD and exchange.cas_rx[2] == 0xF
    with pytest.raises(DriverError, match="not configured for CAS"):
        t = span_to_exchange(settle=0.0)
        t.span.set_cas(1, 0x9)


def test_payload_loopback_returns_the_far_end_payload_with_our_framing():
    t = span_to_exchange()
    pattern = bytes((i * 7) & 0xFF for i in range(512))

    def fill(mf):
        for f in range(16):
            for ts in range(1, 32):
                if ts != 16:
                    mf[f * 32 + ts] = pattern[f * 32 + ts]
    t.exchange.payload = fill
    t.span.loopback("networkpayload")
    t.run(0.1)
    last = t.exchange.last_mf
    assert all(last[f * 32 + ts] == pattern[f * 32 + ts] for f in range(16) for ts in (1, 15, 17, 31))
    assert not t.exchange.last_status.lfa and t.exchange.last_status.crc_errors == 0
    assert t.span.alarms == LOOPBACK


def test_remote_line_loopback_sends_the_line_back_unchanged():
    t = span_to_exchange()
    t.span.loopback("networkline")
    t.exchange.send(b"\x00\x01\x7f")
    t.run(0.1)
    # the exchange hears its own frame: the line went back untouched
    assert t.exchange.received == [b"\x00\x01\x7f"]
    assert list(t.span.received) == [b"\x00\x01\x7f"]   # and we still receive it too


def test_irq_line_falls_on_an_unmasked_event_and_rises_when_read():
    t = span_to_exchange()
    irq = t.card.chip.irq
    assert irq.read() is True
    while irq.poll(0):
        irq.read_event()
    t.cable.unplug()
    t.clock.advance(0.004)               # nobody services: the line stays low
    assert irq.read() is False
    ev = irq.read_event()
    assert ev.edge == "falling" and 2.999 < ev.timestamp - 0.0 < 3.005
    t.span.service()
    assert irq.read() is True


def test_b_channels_carry_tdm_frames_back_to_back():
    from drivers.bus.tdm import SimTdm
    clock = ManualClock()
    a, b = make_card(clock, "a", 1), make_card(clock, "b", 2)
    E1Cable(clock, a.chip, b.chip)
    a.span.configure(E1Config(clock_master=True))
    b.span.configure(E1Config())
    run(clock, 1.0, [a.span, b.span])
    tdm_a, tdm_b = SimTdm(a.chip, 0), SimTdm(b.chip, 0)
    tdm_b.read_frames(1 << 20)
    speech = [bytes([0xFF] + [(i + ts) & 0xFF for ts in range(1, 32)]) for i in range(800)]
    tdm_a.write_frames(speech)
    run(clock, 0.12, [a.span, b.span])
    rx = tdm_b.read_frames(1 << 20)
    column = [f[5] for f in rx]
    start = column.index(speech[0][5])
    assert column[start:start + 800] == [f[5] for f in speech]
    assert [f[17] for f in rx[start:start + 800]] == [f[17] for f in speech]


def test_every_dahdi_alarm_has_a_rule():
    from drivers.e1.alarms import ALARM_RULES
    assert {r.name: r.debounce for r in ALARM_RULES} == {"RED": 2.5, "BLUE": 2.5, "YELLOW": 0.5}


def test_frame_with_corrupted_fcs_is_counted_and_dropped():
    t = span_to_exchange()
    t.exchange.enc.fcs = False                     # the far end sends its own (wrong) FCS
    t.exchange.send(b"\x02\x01\x01\x7f" + b"\x12\x34")
    t.run(0.05)
    t.exchange.enc.fcs = True
    t.exchange.send(b"\x02\x01\x01\x7f")
    t.run(0.05)
    assert list(t.span.received) == [b"\x02\x01\x01\x7f"]
    assert t.span.counters.hdlc_bad_fcs == 1


def test_aborted_frame_is_counted_and_dropped():
    t = span_to_exchange()
    t.exchange.enc.feed(b"\x02\x01\x01\x7f" * 10, end=False)   # then the far end stops mid-frame
    t.run(0.05)
    assert t.span.counters.hdlc_aborts == 1 and list(t.span.received) == []


def test_error_counters_move_only_at_the_one_second_latch():
    t = span_to_exchange()                        # ends exactly on a latch (t = 3.0 s)
    t.cable.crc_errors(t.card.chip, 20)
    t.run(0.5)
    t.cable.crc_errors(t.card.chip, 0)
    t.run(0.49)
    assert t.span.counters.crc4 == 0              # still the value latched at 3.0 s
    t.run(0.02)
    assert t.span.counters.crc4 == 10 and t.span.counters.errored_seconds == 1
    t.run(1.0)
    assert t.span.counters.crc4 == 10 and t.span.counters.errored_seconds == 1

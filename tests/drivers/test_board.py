from datetime import date

import pytest

from acd_core.clock import ManualClock
from acd_core.errors import DecodeError
from drivers.board.eeprom import At24c02, BoardIdentity, EepromCrcError
from drivers.board.lm75 import Lm75, decode_temp
from drivers.board.relay import BypassRelay
from drivers.board.watchdog import Watchdog
from drivers.bus.errors import WatchdogError
from drivers.bus.gpio import SimGpioLine
from drivers.bus.i2c import I2cMsg, SimI2c
from drivers.errors import ChipAbsent
from drivers.sim.board import At24c02Sim, Lm75Sim, RelaySim, WatchdogSim
from drivers.timing import manual_sleep

IDENT = BoardIdentity(serial="CBX2026-000123", revision="C", mac0=bytes.fromhex("0250c2000123"),
                      mac1=bytes.fromhex("0250c2000124"), made=date(2026, 11, 2))


@pytest.fixture
def eeprom_parts():
    clock = ManualClock()
    bus = SimI2c("/dev/i2c-1")
    chip = At24c02Sim(clock)
    bus.attach(0x50, chip)
    return clock, bus, chip, At24c02(bus, clock, manual_sleep(clock))


def test_identity_round_trips_through_bytes():
    raw = bytes(IDENT)
    assert len(raw) == 64
    assert BoardIdentity.parse(raw) == IDENT
    assert bytes(BoardIdentity.parse(raw)) == raw


def test_identity_with_a_flipped_bit_fails_the_crc():
    raw = bytearray(bytes(IDENT))
    raw[0x10] ^= 0x01
    with pytest.raises(EepromCrcError, match="identity CRC mismatch.*offset=60.*field='crc32'"):
        BoardIdentity.parse(bytes(raw))


def test_blank_eeprom_is_not_an_identity():
    with pytest.raises(DecodeError, match="blank or foreign"):
        BoardIdentity.parse(b"\xff" * 64)


def test_identity_write_waits_out_each_page_write_cycle(eeprom_parts):
    clock, _bus, chip, eeprom = eeprom_parts
    t0 = clock.now()
    eeprom.write_identity(IDENT)
    # 8 pages; each page after the first waits for the previous 5 ms cycle
    assert chip.cycles == 8
    assert chip.naks > 0
    assert clock.now() - t0 >= 7 * 0.005
    clock.advance(0.005)
    assert eeprom.read_identity() == IDENT


def test_chip_naks_inside_write_cycle(eeprom_parts):
    clock, bus, chip, _ = eeprom_parts
    bus.transfer(0x50, [I2cMsg.writing(b"\x10\x01")])
    with pytest.raises(Exception, match="no acknowledge"):
        bus.transfer(0x50, [I2cMsg.writing(b"\x10")])
    clock.advance(0.005)
    bus.transfer(0x50, [I2cMsg.writing(b"\x10")])


def test_page_write_wraps_inside_the_page_in_the_chip(eeprom_parts):
    clock, bus, chip, _ = eeprom_parts
    bus.transfer(0x50, [I2cMsg.writing(bytes([0x06]) + b"ABCD")])
    assert chip.mem[0x06:0x08] == b"AB" and chip.mem[0x00:0x02] == b"CD"
    assert chip.mem[0x08] == 0xFF


def test_driver_splits_writes_at_page_boundaries(eeprom_parts):
    clock, _bus, chip, eeprom = eeprom_parts
    eeprom.write(0x06, b"ABCDEFGHIJ")
    clock.advance(0.005)
    assert eeprom.read(0x06, 10) == b"ABCDEFGHIJ"
    assert chip.cycles == 2   # 0x06-0x07, then 0x08-0x0F


def test_absent_eeprom_is_reported_with_its_address():
    clock = ManualClock()
    eeprom = At24c02(SimI2c("/dev/i2c-1"), clock, manual_sleep(clock))
    with pytest.raises(ChipAbsent, match="no EEPROM answers at I2C 0x50 on /dev/i2c-1"):
        eeprom.read_identity()


@pytest.mark.parametrize("celsius", [25.0, -0.5, -55.0, 125.0, 41.5])
def test_lm75_reads_back_the_temperature_the_test_sets(celsius):
    bus = SimI2c()
    bus.attach(0x48, Lm75Sim(celsius))
    assert Lm75(bus).temperature() == celsius


def test_lm75_word_is_big_endian_nine_bits():
    assert decode_temp(bytes([0x19, 0x80])) == 25.5
    assert decode_temp(bytes([0xFF, 0x80])) == -0.5


def test_lm75_limits_round_trip():
    bus = SimI2c()
    bus.attach(0x48, Lm75Sim())
    sensor = Lm75(bus)
    sensor.set_limits(tos=70.0, thyst=65.5)
    assert sensor.limits() == (70.0, 65.5)


def test_relay_contacts_follow_the_coil_after_the_operate_time():
    clock = ManualClock()
    coil = SimGpioLine("bypass-coil", clock, level=False, output=True)
    sense = SimGpioLine("bypass-sense", clock)
    sim = RelaySim(clock, coil, sense)
    relay = BypassRelay(coil, sense)
    assert relay.contacts() == "bypass"          # de-energised = bypass
    relay.normal()
    assert relay.contacts() == "bypass"
    assert relay.wait_contacts("normal", clock, manual_sleep(clock)) == pytest.approx(0.010)
    relay.bypass()
    clock.advance(0.010)
    assert sim.contacts == "bypass"


def test_watchdog_records_a_reset_when_not_pinged():
    clock = ManualClock()
    hw = WatchdogSim(clock, timeout=30)
    dog = Watchdog(hw.open())
    assert not dog.last_boot_was_reset()
    clock.advance(29)
    dog.ping()
    clock.advance(29)
    assert hw.resets == []
    clock.advance(2)
    assert hw.resets == [59.0]
    assert Watchdog(hw.open()).last_boot_was_reset()


def test_watchdog_magic_close_disarms_and_plain_close_does_not():
    clock = ManualClock()
    hw = WatchdogSim(clock, timeout=10)
    Watchdog(hw.open()).stop()
    clock.advance(60)
    assert hw.resets == []
    Watchdog(hw.open()).abandon()
    clock.advance(11)
    assert len(hw.resets) == 1


def test_watchdog_is_exclusive():
    hw = WatchdogSim(ManualClock())
    hw.open()
    with pytest.raises(WatchdogError, match="already open"):
        hw.open()


def test_absent_lm75_is_an_i2c_error_with_enxio():
    import errno

    from drivers.bus.errors import I2cError
    with pytest.raises(I2cError) as exc:
        Lm75(SimI2c("/dev/i2c-1")).temperature()
    assert exc.value.errno == errno.ENXIO

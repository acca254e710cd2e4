import errno
import os

import pytest

from acd_core.clock import ManualClock
from acd_core.errors import CallboxError
from drivers.bus.errors import I2cError, SpiError
from drivers.bus.gpio import PeripheryGpio, SimGpioLine
from drivers.bus.i2c import I2cMsg, SimI2c, Smbus2I2c
from drivers.bus.serial import PyserialPort
from drivers.bus.spi import PeripherySpi, SimSpi
from drivers.bus.tdm import CharDevTdm, SimTdm
from drivers.bus.watchdog import DevWatchdog
from drivers.sim.pef2256 import Pef2256Sim


def test_spi_error_names_bus_operation_device_and_errno():
    err = SpiError("transfer", "/dev/spidev0.0", errno.EIO)
    assert str(err) == "SPI transfer on /dev/spidev0.0: [Errno 5] Input/output error"
    assert err.errno == errno.EIO and err.op == "transfer"
    assert isinstance(err, CallboxError)


def test_real_spi_back_end_reports_a_missing_device_as_spi_error(tmp_path):
    with pytest.raises(SpiError) as exc:
        PeripherySpi(str(tmp_path / "spidev9.9"))
    assert exc.value.errno == errno.ENOENT
    assert str(exc.value).startswith(f"SPI open on {tmp_path / 'spidev9.9'}: [Errno 2]")


def test_real_tdm_back_end_reports_a_missing_device(tmp_path):
    with pytest.raises(CallboxError, match=r"TDM open on .*tdm0: \[Errno 2\]"):
        CharDevTdm(str(tmp_path / "tdm0"), 4)


def test_empty_spi_slot_reads_all_ones():
    assert SimSpi(None).transfer(b"\x80\x4a\x00\x00") == b"\xff\xff\xff\xff"


def test_closed_spi_bus_raises():
    bus = SimSpi(None)
    bus.close()
    with pytest.raises(SpiError, match="bus is closed"):
        bus.transfer(b"\x00")


def test_i2c_address_nak_is_enxio():
    bus = SimI2c("/dev/i2c-1")
    with pytest.raises(I2cError) as exc:
        bus.transfer(0x50, [I2cMsg.writing(b"\x00")])
    assert exc.value.errno == errno.ENXIO
    assert "I2C transfer to 0x50 on /dev/i2c-1" in str(exc.value)


def test_gpio_edges_carry_the_clock_time():
    clock = ManualClock()
    line = SimGpioLine("irq", clock, level=True, edge="falling")
    clock.advance(1.5)
    line.drive(False)
    line.drive(True)
    assert line.poll(0)
    ev = line.read_event()
    assert (ev.edge, ev.timestamp) == ("falling", 1.5)
    assert not line.poll(0)


def test_gpio_input_cannot_be_written():
    line = SimGpioLine("irq", ManualClock())
    with pytest.raises(CallboxError, match="GPIO write on irq.*input"):
        line.write(True)


def test_tdm_char_device_reads_whole_frames(tmp_path):
    dev = tmp_path / "tdm"
    dev.write_bytes(bytes(range(34)) * 3)
    tdm = CharDevTdm(str(dev), analog_ports=2)
    frames = tdm.read_frames(3)
    assert frames == [bytes(range(34))] * 3
    with pytest.raises(CallboxError, match="TDM read on .*stream ended"):
        tdm.read_frames(1)
    tdm.close()


def test_sim_tdm_refuses_frames_of_the_wrong_size():
    tdm = SimTdm(Pef2256Sim(ManualClock()), analog_ports=4, device="sim-tdm")
    with pytest.raises(CallboxError, match="frame of 32 bytes, expected 36"):
        tdm.write_frames([bytes(32)])


@pytest.mark.parametrize("opener, prefix", [
    (PyserialPort, "serial open on"),
    (Smbus2I2c, "I2C open on"),
    (DevWatchdog, "watchdog open on"),
    (lambda p: PeripheryGpio(p, 3, "in"), "GPIO open on"),
])
def test_real_back_ends_report_missing_devices_with_their_bus(tmp_path, opener, prefix):
    path = str(tmp_path / "missing")
    with pytest.raises(CallboxError) as exc:
        opener(path)
    assert str(exc.value).startswith(f"{prefix} {path}")
    assert exc.value.errno is not None


def test_tdm_read_from_a_device_that_never_delivers_returns_at_the_deadline(tmp_path):
    import os
    fifo = tmp_path / "tdm"
    os.mkfifo(fifo)
    tdm = CharDevTdm(str(fifo), analog_ports=2)       # nobody ever writes into it
    assert tdm.read_frames(1 << 20, timeout=0.05) == []
    assert tdm.drain() == 0
    tdm.close()


def test_tdm_read_keeps_a_partial_frame_for_the_next_read(tmp_path):
    import os
    fifo = tmp_path / "tdm"
    os.mkfifo(fifo)
    tdm = CharDevTdm(str(fifo), analog_ports=2)
    writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(writer, bytes(range(34)) + bytes(range(10)))     # one frame and a bit
        assert tdm.read_frames(5, timeout=0.05) == [bytes(range(34))]
        os.write(writer, bytes(range(10, 34)))
        assert tdm.read_frames(5, timeout=0.05) == [bytes(range(34))]
    finally:
        os.close(writer)
        tdm.close()


def test_a_second_process_on_the_tdm_stream_is_refused_not_interleaved(tmp_path):
    """The daemon holds the stream; a self-test opening it gets EBUSY naming the device
    (flock is per open file, so a second open in this process stands for the other one)."""
    fifo = tmp_path / "callbox-tdm"
    os.mkfifo(fifo)
    daemon = CharDevTdm(str(fifo), analog_ports=0)
    with pytest.raises(CallboxError) as exc:
        CharDevTdm(str(fifo), analog_ports=0)
    assert exc.value.errno == errno.EBUSY
    assert str(exc.value) == (f"TDM open on {fifo}: [Errno 16] in use by another process "
                              "(the running daemon?)")
    assert daemon.read_frames(1, timeout=0.0) == []          # the holder is untouched
    daemon.close()
    CharDevTdm(str(fifo), analog_ports=0).close()              # free again once closed


def test_real_board_records_a_busy_device_as_that_parts_fault(tmp_path):
    from drivers.board_profile import build
    fifo = tmp_path / "tdm"
    os.mkfifo(fifo)
    held = CharDevTdm(str(fifo), analog_ports=1)
    board = build("real", ManualClock(), spi_e1=str(tmp_path / "spidev0.0"),
                  spi_fxo=[str(tmp_path / "spidev0.1")], i2c=str(tmp_path / "i2c-1"),
                  gpio_chip=str(tmp_path / "gpiochip0"), tdm=str(fifo),
                  watchdog=str(tmp_path / "watchdog"), console=str(tmp_path / "ttyS1"))
    assert board.tdm is None
    assert board.faults["tdm"].endswith("in use by another process (the running daemon?)")
    board.close()
    held.close()

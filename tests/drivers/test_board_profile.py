import pytest

from acd_core.clock import ManualClock
from drivers.board_profile import FAULTS, build


def test_sim_board_describes_itself_for_health():
    board = build("sim", ManualClock())
    assert board.describe() == {"profile": "sim", "e1_spans": 1, "fxo_ports": 2,
                                "fxs_ports": 2, "faults": {}}
    assert board.eeprom.read_identity().serial == "CBXSIM-000001"
    board.close()


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="hardware profile must be one of sim, real"):
        build("fpga", ManualClock())


def test_unknown_fault_is_refused():
    board = build("sim", ManualClock())
    with pytest.raises(ValueError, match="unknown fault"):
        board.sim.inject("gremlins")
    assert {"e1-los", "e1-ais", "e1-crc", "fxo-no-battery", "eeprom-absent", "temp-high"} <= set(FAULTS)


def test_real_board_records_missing_devices_instead_of_failing(tmp_path):
    board = build("real", ManualClock(), spi_e1=str(tmp_path / "spidev0.0"),
                  spi_fxo=[str(tmp_path / "spidev0.1")], i2c=str(tmp_path / "i2c-1"),
                  gpio_chip=str(tmp_path / "gpiochip0"), tdm=str(tmp_path / "tdm"),
                  console=str(tmp_path / "ttyS1"), sleep=lambda s: None)
    assert board.spans == [None] and board.fxo == [None] and board.eeprom is None
    assert board.faults["e1_spi"].startswith(f"SPI open on {tmp_path}/spidev0.0: [Errno 2]")
    assert board.faults["i2c"].startswith(f"I2C open on {tmp_path}/i2c-1")
    assert board.describe()["profile"] == "real"
    board.close()


def test_service_loop_returns_when_stopped():
    import threading
    board = build("sim", ManualClock())
    stop = threading.Event()
    stop.set()
    board.run_forever(stop)
    assert board.poll_interval == 0.002
    board.close()

import pytest

from acd_core.clock import ManualClock
from drivers.board_profile import FAULTS, build


def test_sim_board_describes_itself_for_health():
    board = build("sim", ManualClock())
    assert board.describe() == {"profile": "sim", "e1_spans": 1, "fxo_ports": 2,
                                "fxs_ports": 2, "faults": {}, "status": "ok"}
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
    board.close()


def test_sim_board_with_two_spans_selftests_both():
    from hw_tests.contract import run_stages
    from hw_tests.stages import all_stages
    board = build("sim", ManualClock(), e1_spans=2, fxo_ports=0, fxs_ports=0)
    board.sim.cables[1].unplug()
    results = {r.name: r.status for r in run_stages(board, all_stages(board), None)}
    assert results["E1 span 1 line alarms"] == "pass"
    assert results["E1 span 2 line alarms"] == "fail"
    assert results["E1 span 2 local loopback"] == "pass"
    board.close()


def test_sim_board_for_r2_signals_cas():
    board = build("sim", ManualClock(), e1_signalling="cas", fxo_ports=0, fxs_ports=0)
    from drivers.e1.pef2256 import E1Config
    span = board.spans[0]
    span.configure(E1Config(signalling="cas"))
    board.wait(0.5)
    assert span.cas_rx[1:] == [0x9] * 30 and span.alarms == 0
    board.close()

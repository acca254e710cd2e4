"""``callbox selftest`` on the simulator: all pass, and each injected fault fails exactly its stage."""
import json
import re

import pytest

from hw_tests.cli import main

NO_CONFIG = ["--config", "/nonexistent/callbox.toml"]


def run_json(capsys, *args):
    code = main([*NO_CONFIG, "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_clean_simulator_passes_every_stage(capsys):
    code, rep = run_json(capsys)
    assert code == 0
    assert rep["result"] == "pass"
    assert [s["status"] for s in rep["stages"]] == ["pass"] * len(rep["stages"])
    names = [s["name"] for s in rep["stages"]]
    assert "E1 span 1 local loopback" in names and "FXO port 2 line" in names
    loop = next(s for s in rep["stages"] if s["name"] == "E1 span 1 local loopback")
    assert loop["detail"] == "0 CRC errors in 5 s, HDLC echo 1/1"


def test_text_output_numbers_the_stages(capsys):
    assert main(NO_CONFIG) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\[7/16\] E1 span 1 local loopback \.\.\. ok \(0 CRC errors in 5 s, HDLC echo 1/1\)$",
                     out, re.M)
    assert out.rstrip().endswith("RESULT: PASS")


@pytest.mark.parametrize("fault, stage, words", [
    ("e1-los", "E1 span 1 line alarms", "RED alarm: no E1 signal received (LOS)"),
    ("e1-ais", "E1 span 1 line alarms", "BLUE alarm: the carrier sends AIS"),
    ("e1-crc", "E1 span 1 line errors (5 s)", "100 CRC-4 errors"),
    ("fxo-no-battery", "FXO port 1 line", "FXO 1: no battery on the line"),
    ("eeprom-absent", "EEPROM identity", "no EEPROM answers at I2C 0x50"),
    ("temp-high", "Board temperature", "85.0 °C is above the 70 °C limit"),
    ("eeprom-corrupt", "EEPROM identity", "identity block damaged"),
    ("relay-stuck", "Bypass relay", "contacts did not move"),
    ("watchdog-reset", "Watchdog", "last boot was a watchdog reset"),
    ("e1-absent", "E1 span 1 framer identity", "every register reads 0xFF"),
    ("fxo-parallel", "FXO port 1 line", "another phone on this line is off-hook"),
    ("fxs-absent", "FXS port 1 line", "no ProSLIC answers"),
    ("fxs-offhook", "FXS port 1 line", "the phone is off the hook"),
])
def test_injected_fault_fails_exactly_its_stage(capsys, fault, stage, words):
    code, rep = run_json(capsys, "--inject", fault)
    assert code == 1 and rep["result"] == "fail"
    failed = [s for s in rep["stages"] if s["status"] == "fail"]
    assert [s["name"] for s in failed] == [stage]
    assert words in failed[0]["detail"]


def test_unknown_fault_is_a_usage_error(capsys):
    assert main([*NO_CONFIG, "--inject", "e1-gremlins"]) == 2
    assert "unknown fault 'e1-gremlins'" in capsys.readouterr().err


def test_real_profile_without_devices_fails_with_device_names(capsys, tmp_path):
    cfg = tmp_path / "callbox.toml"
    # every device under tmp_path: the test must never open the host's /dev/watchdog
    cfg.write_text(f'[hardware]\nprofile = "real"\nspi_device = "{tmp_path}/spidev0.0"\n'
                   f'i2c_bus = "{tmp_path}/i2c-1"\nspi_fxo = ["{tmp_path}/spidev0.1"]\n'
                   f'gpio_chip = "{tmp_path}/gpiochip0"\ntdm = "{tmp_path}/tdm"\n'
                   f'watchdog = "{tmp_path}/watchdog"\nconsole = "{tmp_path}/ttyS1"\n')
    code = main(["--config", str(cfg), "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert code == 1
    eeprom = rep["stages"][0]
    assert eeprom["status"] == "fail" and f"I2C open on {tmp_path}/i2c-1" in eeprom["detail"]
    wd = next(s for s in rep["stages"] if s["name"] == "Watchdog")
    assert wd["status"] == "fail" and f"watchdog open on {tmp_path}/watchdog" in wd["detail"]

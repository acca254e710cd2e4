"""``callbox selftest`` on the simulator: all pass, and each injected fault fails exactly its stage."""
import json
import re

import pytest

from hw_tests.cli import main

NO_CONFIG: list[str] = []      # the tests run in an empty directory: embedded defaults


@pytest.fixture(autouse=True)
def _in_empty_dir(tmp_path, monkeypatch):
    """No ./callbox.toml of the developer's may leak in."""
    monkeypatch.chdir(tmp_path)


def run_json(capsys, *args):
    code = main([*NO_CONFIG, "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_clean_simulator_passes_every_stage(capsys):
    code, rep = run_json(capsys)
    assert code == 0
    assert rep["result"] == "pass"
    assert (rep["profile"], rep["config"], rep["injected"]) == ("sim", "embedded defaults", [])
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
    ("e1-no-crc4", "E1 span 1 line alarms", "no CRC-4 multiframe from the carrier (LMFA)"),
    ("fxo-no-battery", "FXO port 1 line", "FXO 1: no battery on the line"),
    ("eeprom-absent", "EEPROM identity", "no EEPROM answers at I2C 0x50"),
    ("temp-high", "Board temperature", "85.0 °C is above the 70 °C limit"),
    ("eeprom-corrupt", "EEPROM identity", "identity block damaged"),
    ("relay-stuck", "Bypass relay", "contacts did not move"),
    ("watchdog-reset", "Watchdog", "last boot was a watchdog reset"),
    ("e1-absent", "E1 span 1 framer identity", "every register reads 0xFF"),
    ("fxo-parallel", "FXO port 1 line", "another phone on this line is off-hook"),
    ("fxo-absent", "FXO port 1 line", "no DAA answers (FXO port 1 on sim-spi-0.1)"),
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
    assert rep["profile"] == "real" and rep["config"] == str(cfg)
    # one missing framer: one failure, the stages that need it skip
    e1 = {s["name"]: s for s in rep["stages"] if s["name"].startswith("E1 span 1")}
    assert e1.pop("E1 span 1 framer identity")["status"] == "fail"
    assert {s["status"] for s in e1.values()} == {"skip"}


def test_missing_framer_on_the_simulator_is_one_failure_and_skips(capsys):
    code, rep = run_json(capsys, "--inject", "e1-absent")
    e1 = {s["name"]: s["status"] for s in rep["stages"] if s["name"].startswith("E1 span 1")}
    assert e1.pop("E1 span 1 framer identity") == "fail"
    assert set(e1.values()) == {"skip"}


def test_bad_toml_is_one_line_naming_file_and_line(capsys, tmp_path):
    cfg = tmp_path / "callbox.toml"
    cfg.write_text("[hardware]\nprofile = \"real\"\n[sip\n")
    assert main(["--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"callbox selftest: bad configuration: {cfg}: not valid TOML")
    assert "line 3" in err


def test_a_string_where_a_list_of_devices_is_expected_names_the_key(capsys, tmp_path):
    cfg = tmp_path / "callbox.toml"
    cfg.write_text('[hardware]\nspi_fxo = "/dev/spidev1.0"\n')
    assert main(["--config", str(cfg), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "hardware.spi_fxo: expected a list of device paths" in captured.err


def test_missing_config_file_is_an_error_not_the_simulator(capsys, tmp_path):
    assert main(["--config", str(tmp_path / "absent.toml")]) == 2
    assert "cannot read config file" in capsys.readouterr().err


def test_callbox_toml_in_the_working_directory_is_used(capsys, tmp_path):
    (tmp_path / "callbox.toml").write_text("[analog]\nfxs_timeslots = [32, 33]\n"
                                           "fxo_timeslots = [34, 35]\n")
    code, rep = run_json(capsys)
    assert code == 0 and rep["config"] == "callbox.toml"


def test_selftest_runs_from_the_callbox_command(capsys):
    from firmware.cli import main as callbox
    assert callbox(["selftest", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"] == "sim"


def _devices_under(tmp_path):
    """Every device path under tmp_path: a test must never open the host's /dev/watchdog."""
    return (f'spi_device = "{tmp_path}/spidev0.0"\ni2c_bus = "{tmp_path}/i2c-1"\n'
            f'gpio_chip = "{tmp_path}/gpiochip0"\ntdm = "{tmp_path}/tdm"\n'
            f'watchdog = "{tmp_path}/watchdog"\nconsole = "{tmp_path}/ttyS1"\n')


@pytest.mark.parametrize("analog, words", [
    ("fxo_timeslots = [33]", "analog.fxo_timeslots: 1 timeslots for the board's 2 FXO ports"),
    ("fxs_timeslots = [32, 33, 34]", "analog.fxs_timeslots: 3 timeslots for the board's 2 FXS"),
    ("fxs_timeslots = [40, 41]", "analog.fxs_timeslots: timeslot 40 is beyond the card's "
                                 "36-byte TDM frame"),
])
def test_timeslots_that_do_not_fit_the_card_are_a_config_error_not_a_traceback(
        capsys, tmp_path, analog, words):
    cfg = tmp_path / "callbox.toml"
    cfg.write_text(f"[analog]\n{analog}\n")
    assert main(["--config", str(cfg), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"callbox selftest: bad configuration: {words}")


def test_profile_override_is_checked_against_the_board_it_builds(capsys, tmp_path):
    """Valid for the simulator's 2 FXO ports, not for a real board with one."""
    cfg = tmp_path / "callbox.toml"
    cfg.write_text(f'[hardware]\n{_devices_under(tmp_path)}spi_fxo = ["{tmp_path}/spidev1.0"]\n'
                   "[analog]\nfxo_timeslots = [33, 32]\n")
    assert main(["--config", str(cfg), "--json"]) == 0              # the simulator: fits
    capsys.readouterr()
    assert main(["--config", str(cfg), "--profile", "real", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert ("bad configuration: analog.fxo_timeslots: 2 timeslots for the board's 1 FXO ports"
            in captured.err)


def test_spans_are_tested_as_configured(capsys, tmp_path):
    """A line ordered without CRC-4 is RED (LMFA) to a framer set up for CRC-4, and fine
    when [e1.span1] says doubleframe; an R2 span's loopback checks its CAS bits."""
    cfg = tmp_path / "callbox.toml"
    cfg.write_text('[e1.span1]\nframing = "doubleframe"\nline_code = "ami"\n')
    code, rep = run_json(capsys, "--config", str(cfg), "--inject", "e1-no-crc4")
    stages = {s["name"]: s for s in rep["stages"]}
    assert code == 0, [s for s in rep["stages"] if s["status"] != "pass"]
    assert stages["E1 span 1 framer identity"]["detail"].endswith("configured CCS/AMI/doubleframe")
    assert stages["E1 span 1 error insertion"]["detail"] == \
        "inserted 1 FAS error, counted 1 (doubleframe: no CRC-4)"
    cfg.write_text('[e1.span1]\nsignalling = "r2"\n')
    code, rep = run_json(capsys, "--config", str(cfg))
    stages = {s["name"]: s for s in rep["stages"]}
    assert code == 0
    assert stages["E1 span 1 local loopback"]["detail"] == \
        "0 CRC errors in 5 s, CAS ABCD 0101 echo on channel 1"

from pathlib import Path

import pytest

from firmware import config
from firmware.errors import ConfigError


def test_embedded_defaults_are_the_demo_appliance() -> None:
    cfg = config.load(None)
    assert (cfg.sip.listen, cfg.sip.port) == ("127.0.0.1", 5060)
    assert (cfg.web.listen, cfg.web.port) == ("127.0.0.1", 8080)
    assert cfg.hardware.profile == "sim"
    assert cfg.db_path == Path.cwd() / "var" / "callbox.db"


def test_file_values_override_defaults_and_paths_resolve_beside_the_file(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text('[paths]\nvar = "data"\n[sip]\nport = 5070\n[e1.sim]\ndchannel_socket = "x.sock"\n')
    cfg = config.load(f)
    assert cfg.sip.port == 5070
    assert cfg.var_dir == tmp_path / "data"
    assert cfg.e1_sim.dchannel_socket == "x.sock"


@pytest.mark.parametrize("toml, key, expected", [
    ('[sip]\nport = "abc"', "sip.port", "an integer 1-65535"),
    ("[sip]\nport = 70000", "sip.port", "an integer 1-65535"),
    ('[sip]\nlisten = "localhost"', "sip.listen", "an IPv4 address"),
    ('[hardware]\nprofile = "pci"', "hardware.profile", "one of 'sim', 'real'"),
    ("[media]\nlegs_per_node = 8", "media.legs_per_node", "an integer 2-4"),
    ('[tones]\nzone = "XX"', "tones.zone", "one of"),
    ("[discovery]\nenabled = 1", "discovery.enabled", "true or false"),
    ('[hardware]\nspi_fxo = "/dev/spidev1.0"', "hardware.spi_fxo", "a list of device paths"),
    ('[hardware]\nwatchdog = "watchdog"', "hardware.watchdog", "a device path under /dev/"),
])
def test_bad_value_names_the_key_and_the_expected_form(tmp_path: Path, toml: str, key: str,
                                                       expected: str) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text(toml)
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == key
    assert str(err.value).startswith(f"{key}: expected {expected}")


def test_unknown_key_and_section_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text("[sip]\nprot = 5060\n")
    with pytest.raises(ConfigError, match="unknown key sip.prot"):
        config.load(f)
    f.write_text("[sipp]\nport = 5060\n")
    with pytest.raises(ConfigError, match=r"unknown section \[sipp\]"):
        config.load(f)


def test_broken_toml_and_missing_file_are_named(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text("[sip\nport = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(f)
    with pytest.raises(ConfigError, match="cannot read config file"):
        config.load(tmp_path / "absent.toml")


def test_min_nodes_above_max_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text("[media]\nnodes_min = 5\nnodes_max = 2\n")
    with pytest.raises(ConfigError, match="media.nodes_min"):
        config.load(f)


def test_the_documented_example_is_the_embedded_default() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "callbox.toml.example"
    cfg = config.load(example)
    default = config.load(None)
    assert cfg.var_dir == example.parent / "var"
    for section in ("sip", "media", "web", "hardware", "tones", "e1_sim", "discovery"):
        assert getattr(cfg, section) == getattr(default, section), section

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
    ("[sip]\nflood_requests = 1", "sip.flood_requests", "an integer 2-10000"),
    ("[sip]\ntrunk_new_requests = 0", "sip.trunk_new_requests", "an integer 1-10000"),
    ('[sip]\ntrunk_flood_requests = "lots"', "sip.trunk_flood_requests",
     "an integer 2-10000"),
    ('[hardware]\nprofile = "pci"', "hardware.profile", "one of 'sim', 'real'"),
    ("[media]\nlegs_per_node = 8", "media.legs_per_node", "an integer 2-4"),
    ('[tones]\nzone = "XX"', "tones.zone", "one of"),
    ("[discovery]\nenabled = 1", "discovery.enabled", "true or false"),
    ('[hardware]\nspi_fxo = "/dev/spidev1.0"', "hardware.spi_fxo", "a list of device paths"),
    ('[hardware]\nwatchdog = "watchdog"', "hardware.watchdog", "an absolute device path"),
    ('[e1.span1]\nsignalling = "ccs"', "e1.span1.signalling", "one of 'pri', 'r2'"),
    ('[e1.span2]\nclock = "internal"', "e1.span2.clock", "one of 'line', 'master'"),
    ('[e1.span1]\nframing = "esf"', "e1.span1.framing", "one of 'crc4', 'doubleframe'"),
    ('[analog]\ncountry = "MARS"', "analog.country", "one of"),
    ('[analog]\nimpedance = "1200"', "analog.impedance", "one of 'country', '600', '900'"),
    ("[analog]\nfxo_timeslots = [31]", "analog.fxo_timeslots", "a list of at most 8 TDM timeslots 32-47"),
    ("[analog]\nfxs_timeslots = [48]", "analog.fxs_timeslots", "a list of at most 8 TDM timeslots 32-47"),
    ('[analog]\nfxo_timeslots = ["32"]', "analog.fxo_timeslots", "a list of at most 8 TDM timeslots"),
    ("[analog]\nfxo_timeslots = 32", "analog.fxo_timeslots", "a list of at most 8 TDM timeslots"),
    ("[analog]\nfxo_timeslots = [33, 33]", "analog.fxo_timeslots", "a list of distinct timeslots"),
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
    for section in ("sip", "media", "web", "hardware", "tones", "e1_sim", "e1_span1", "e1_span2",
                    "analog", "discovery"):
        assert getattr(cfg, section) == getattr(default, section), section


def test_a_timeslot_given_to_an_fxo_and_an_fxs_port_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text("[analog]\nfxo_timeslots = [32, 33]\nfxs_timeslots = [34, 33]\n")
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == "analog.fxs_timeslots"
    assert "timeslot 33 is also an FXO port's" in str(err.value)


def test_real_board_needs_one_timeslot_per_port(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text('[hardware]\nprofile = "real"\nspi_fxo = ["/dev/spidev1.0", "/dev/spidev1.1"]\n'
                 "[analog]\nfxo_timeslots = [40]\n")
    with pytest.raises(ConfigError, match=r"analog.fxo_timeslots: 1 timeslots for the board's 2 FXO ports \(hardware.spi_fxo\)"):
        config.load(f)


def test_span_and_analog_sections_become_card_settings(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text('[e1.span1]\nsignalling = "r2"\nframing = "doubleframe"\nline_code = "ami"\n'
                 'clock = "master"\n[analog]\ncountry = "CHINA"\nimpedance = "600"\n'
                 "fxo_timeslots = [35, 34]\n[tones]\nzone = \"CN\"\n")
    cfg = config.load(f)
    card = cfg.card_settings()
    e1 = card.span(1).e1_config()
    assert (e1.signalling, e1.framing, e1.line_code, e1.clock_master) == ("cas", "doubleframe", "ami", True)
    assert card.span(2).e1_config().signalling == "ccs"
    assert (card.analog.country, card.analog.impedance, card.analog.zone) == ("CHINA", "600", "CN")
    assert card.analog.timeslots(2, 2) == ([35, 34], [32, 33])
    kw = cfg.board_kwargs()
    assert kw["e1_signalling"] == "cas" and kw["fxo_country"] == "CHINA" and kw["zone"] == "CN"


def test_dchannel_socket_resolves_beside_the_config_file_not_the_working_dir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    f = etc / "callbox.toml"
    f.write_text('[e1.sim]\ndchannel_socket = "run/dchan.sock"\n')
    monkeypatch.chdir(tmp_path)
    cfg = config.load(f)
    assert cfg.dchannel_socket == etc / "run" / "dchan.sock"
    assert cfg.board_kwargs()["dchannel_socket"] == str(etc / "run" / "dchan.sock")
    assert config.load(None).dchannel_socket is None


def test_embedded_default_resolves_against_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = config.from_dict({"e1": {"sim": {"dchannel_socket": "dchan.sock"}}})
    assert cfg.dchannel_socket == tmp_path / "dchan.sock"


def test_an_existing_file_at_the_socket_path_is_refused_and_kept(tmp_path: Path) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_text("keep me")
    f = tmp_path / "callbox.toml"
    f.write_text('[e1.sim]\ndchannel_socket = "notes.txt"\n')
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == "e1.sim.dchannel_socket"
    assert "exists and is not a socket" in str(err.value)
    assert victim.read_text() == "keep me"


def test_a_stale_socket_at_the_path_is_accepted(tmp_path: Path) -> None:
    import socket
    path = tmp_path / "d.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(str(path))
    s.close()
    f = tmp_path / "callbox.toml"
    f.write_text('[e1.sim]\ndchannel_socket = "d.sock"\n')
    assert config.load(f).dchannel_socket == path


def test_a_socket_path_too_long_for_af_unix_names_the_key(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text(f'[e1.sim]\ndchannel_socket = "{"d" * 120}.sock"\n')
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == "e1.sim.dchannel_socket"
    assert "too long for a Unix socket (at most 107)" in str(err.value)


def test_a_socket_directory_that_is_a_file_is_refused_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("a file where a directory must be made")
    f = tmp_path / "callbox.toml"
    f.write_text('[e1.sim]\ndchannel_socket = "run/sub/d.sock"\n')
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == "e1.sim.dchannel_socket"
    assert f"{tmp_path / 'run'} is a file, not a directory" in str(err.value)


def test_timeslot_sockets_are_checked_like_the_dchannel_socket(tmp_path: Path) -> None:
    (tmp_path / "ts5.sock").write_text("keep me")
    f = tmp_path / "callbox.toml"
    f.write_text('[e1.sim]\nsignalling = "mfcr2"\ntimeslot_socket = "ts{ts}.sock"\n')
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == "e1.sim.timeslot_socket"
    assert f"{tmp_path / 'ts5.sock'} exists and is not a socket" in str(err.value)
    assert (tmp_path / "ts5.sock").read_text() == "keep me"


def test_var_that_is_a_file_is_refused_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")
    f = tmp_path / "callbox.toml"
    f.write_text('[paths]\nvar = "data"\n')
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == "paths.var"
    assert f"{tmp_path / 'data'} exists and is not a directory" in str(err.value)
    f.write_text('[paths]\nvar = "data/var"\n')
    with pytest.raises(ConfigError, match=r"paths.var: .*/data is a file, not a directory"):
        config.load(f)


def test_every_relative_path_resolves_beside_the_file_whatever_the_working_dir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    f = etc / "callbox.toml"
    f.write_text('[paths]\nvar = "data"\n[e1.sim]\nsignalling = "mfcr2"\n'
                 'timeslot_socket = "run/ts{ts}.sock"\n')
    monkeypatch.chdir(tmp_path)
    cfg = config.load(Path("etc/callbox.toml"))          # a relative --config too
    assert cfg.var_dir == etc / "data" and cfg.db_path == etc / "data" / "callbox.db"
    assert cfg.timeslot_socket_pattern == str(etc / "run" / "ts{ts}.sock")


@pytest.mark.parametrize("toml, key, words", [
    # the simulated card: 2 FXO + 2 FXS ports, a 36-byte TDM frame (slots 32-35)
    ("[analog]\nfxo_timeslots = [40]\n", "analog.fxo_timeslots",
     "1 timeslots for the board's 2 FXO ports (the simulated card)"),
    ("[analog]\nfxs_timeslots = [32, 33, 34]\n", "analog.fxs_timeslots",
     "3 timeslots for the board's 2 FXS ports (the simulated card)"),
    ("[analog]\nfxo_timeslots = [40, 33]\n", "analog.fxo_timeslots",
     "timeslot 40 is beyond the card's 36-byte TDM frame (32 E1 slots + 4 analog ports: "
     "slots 32-35)"),
    # a real board with one FXO port: a 33-byte frame
    ('[hardware]\nprofile = "real"\nspi_fxo = ["/dev/spidev1.0"]\n[analog]\n'
     "fxo_timeslots = [33]\n", "analog.fxo_timeslots",
     "timeslot 33 is beyond the card's 33-byte TDM frame (32 E1 slots + 1 analog ports: "
     "slots 32-32)"),
])
def test_analog_timeslots_must_fit_the_cards_ports_and_tdm_frame(tmp_path: Path, toml: str,
                                                                 key: str, words: str) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text(toml)
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == key
    assert str(err.value).startswith(f"{key}: {words}")


def test_timeslots_that_fit_are_kept_in_order(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text("[analog]\nfxo_timeslots = [35, 33]\n")
    assert config.load(f).card_settings().analog.timeslots(2, 2) == ([35, 33], [32, 34])

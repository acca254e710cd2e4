"""The narrow callbox.toml writer: values changed in place, everything else byte for byte;
forms it does not understand refused with the key named, the file untouched."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from firmware.config_edit import previous_path, set_keys, write_back, write_keeping_previous
from firmware.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "callbox.toml.example"
NEW = {("web", "listen"): "10.1.2.3", ("web", "port"): 8081,
       ("sip", "listen"): "10.1.2.3", ("sip", "port"): 5062}


def test_the_example_file_keeps_every_comment_and_line_but_the_four_values() -> None:
    text = EXAMPLE.read_text()
    out = set_keys(text, NEW)
    before, after = text.splitlines(), out.splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert [b for _, b in changed] == [
        'listen = "10.1.2.3"        # the only SIP listener (Kamailio); a LAN address on a real box',
        "port = 5062",
        'listen = "10.1.2.3"',
        "port = 8081"]
    data = tomllib.loads(out)
    assert (data["web"]["listen"], data["web"]["port"]) == ("10.1.2.3", 8081)
    assert data["sip"]["realm"] == "callbox"


def test_missing_keys_and_sections_are_added() -> None:
    out = set_keys('[paths]\nvar = "var"   # here\n[web]\nport = 8080\n', NEW)
    assert out.startswith('[paths]\nvar = "var"   # here\n[web]\nport = 8081\nlisten = "10.1.2.3"\n')
    assert tomllib.loads(out)["sip"] == {"listen": "10.1.2.3", "port": 5062}
    assert tomllib.loads(set_keys("", NEW))["web"] == {"listen": "10.1.2.3", "port": 8081}


@pytest.mark.parametrize("text, key", [
    ('sip.listen = "127.0.0.1"\n', "sip.listen"),                 # a dotted key at the top
    ('sip = {listen = "127.0.0.1"}\n', "sip.listen"),             # an inline table
    ('[sip]\nlisten = """127.0.0.1"""\n', "sip.listen"),         # a multi-line string
])
def test_forms_the_writer_does_not_edit_are_refused_naming_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        set_keys(text, {("sip", "listen"): "10.1.2.3"})
    assert key in str(err.value)


def test_a_value_that_is_not_an_address_or_port_is_never_written() -> None:
    with pytest.raises(ConfigError, match="web.listen"):
        set_keys("[web]\n", {("web", "listen"): '1.2.3.4"\n[x]'})


def test_the_file_is_replaced_keeping_its_previous_version_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "callbox.toml"
    path.write_text("[web]\nport = 8080\n")
    path.chmod(0o640)
    write_keeping_previous(path, "[web]\nport = 8081\n")
    assert path.read_text() == "[web]\nport = 8081\n"
    assert previous_path(path).read_text() == "[web]\nport = 8080\n"
    assert path.stat().st_mode & 0o777 == 0o640
    write_back(path, "[web]\nport = 8080\n")
    assert path.read_text() == "[web]\nport = 8080\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["callbox.toml", "callbox.toml.prev"]

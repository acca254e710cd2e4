"""callbox.toml [e1.sim] keys for MFC-R2: signalling, r2_variant, timeslot_socket."""
from pathlib import Path

import pytest

from firmware import config
from firmware.errors import ConfigError


def load(tmp_path: Path, body: str) -> config.Config:
    f = tmp_path / "callbox.toml"
    f.write_text("[e1.sim]\n" + body)
    return config.load(f)


def test_defaults_are_pri_without_timeslot_sockets():
    sim = config.load(None).e1_sim
    assert (sim.signalling, sim.r2_variant, sim.timeslot_socket) == ("pri", "CN", "")


def test_an_r2_span_on_timeslot_sockets(tmp_path):
    sim = load(tmp_path, 'signalling = "mfcr2"\nr2_variant = "ITU"\n'
                         'timeslot_socket = "var/run/e1-ts{ts}.sock"\n').e1_sim
    assert (sim.signalling, sim.r2_variant, sim.timeslot_socket) == \
        ("mfcr2", "ITU", "var/run/e1-ts{ts}.sock")


@pytest.mark.parametrize("body, key, text", [
    ('signalling = "r2"\n', "e1.sim.signalling", "one of 'pri', 'mfcr2'"),
    ('signalling = "mfcr2"\nr2_variant = "MX"\n', "e1.sim.r2_variant", "'CN', 'ITU'"),
    ('signalling = "mfcr2"\ntimeslot_socket = "var/run/e1.sock"\n', "e1.sim.timeslot_socket",
     "with {ts}"),
    ('timeslot_socket = "var/run/e1-ts{ts}.sock"\n', "e1.sim.timeslot_socket",
     'set e1.sim.signalling = "mfcr2"'),
    ('signalling = "mfcr2"\ndchannel_socket = "d.sock"\n', "e1.sim.dchannel_socket",
     "no D-channel"),
    (f'signalling = "mfcr2"\ntimeslot_socket = "/{"x" * 120}/ts{{ts}}.sock"\n',
     "e1.sim.timeslot_socket", "too long for a Unix socket"),
])
def test_invalid_combinations_stop_start_up_naming_the_key(tmp_path, body, key, text):
    with pytest.raises(ConfigError, match=text) as info:
        load(tmp_path, body)
    assert info.value.key == key
    assert str(info.value).startswith(key)


def test_an_r2_span_on_the_card_names_its_variant(tmp_path):
    """``[e1.spanN] signalling = "r2"`` runs R2 on the framer's CAS path, in the variant
    of ``r2_variant`` (CN unless set); an unknown variant stops start-up naming the key."""
    f = tmp_path / "callbox.toml"
    f.write_text('[e1.span1]\nsignalling = "r2"\nr2_variant = "ITU"\n')
    cfg = config.load(f)
    assert (cfg.span_config(1).signalling, cfg.span_config(1).r2_variant) == ("r2", "ITU")
    assert cfg.span_config(2).r2_variant == "CN"
    f.write_text('[e1.span2]\nsignalling = "r2"\nr2_variant = "MX"\n')
    with pytest.raises(ConfigError, match="'CN', 'ITU'") as info:
        config.load(f)
    assert info.value.key == "e1.span2.r2_variant"
    assert str(info.value).startswith("e1.span2.r2_variant")

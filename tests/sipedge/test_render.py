"""Kamailio config rendering: every placeholder filled, nothing injectable, Kamailio accepts it."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from firmware import config
from firmware.config import from_dict
from firmware.errors import EdgeError
from firmware.sipedge.render import (EdgePaths, EdgeSettings, render, render_config,
                                     template_text, values)


def _cfg(var: Path, **sip: object):
    return from_dict({"paths": {"var": str(var)},
                      "sip": {"listen": "127.0.0.1", "port": 5060, "realm": "callbox", **sip}})


def test_rendered_config_listens_only_where_configured(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path / "var", listen="192.0.2.10", port=5080, realm="office")
    paths = EdgePaths.from_config(cfg)
    text = render_config(cfg, paths, EdgeSettings())
    assert "{{" not in text
    assert re.findall(r"^listen=.*$", text, re.M) == ["listen=udp:192.0.2.10:5080"]
    assert "disable_tcp=yes" in text and "disable_sctp=yes" in text
    assert f'"sqlite://{tmp_path}/var/kamailio.db"' in text
    assert f'"{tmp_path}/var/run/kamailio_rpc.sock"' in text
    assert f'"unix:{tmp_path}/var/run/kamailio_ctl"' in text
    assert '#!define REALM "office"' in text


def test_paths_live_in_var_and_var_run(tmp_path: Path) -> None:
    paths = EdgePaths.from_config(_cfg(tmp_path / "var"))
    assert paths.db == tmp_path / "var" / "kamailio.db"
    assert {p.parent for p in (paths.config, paths.pidfile, paths.rpc_socket,
                               paths.ctl_socket)} == {tmp_path / "var" / "run"}


def test_kamailio_accepts_the_rendered_config(tmp_path: Path) -> None:
    kamailio = shutil.which("kamailio")
    assert kamailio, "kamailio is not installed"
    cfg = _cfg(tmp_path / "var")
    paths = EdgePaths.from_config(cfg)
    paths.run_dir.mkdir(parents=True)
    path = tmp_path / "kamailio.cfg"
    path.write_text(render_config(cfg, paths, EdgeSettings()))
    out = subprocess.run([kamailio, "-c", "-f", str(path)], capture_output=True, text=True,
                         timeout=30, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "config file ok" in out.stdout + out.stderr


def test_quote_in_var_path_cannot_inject_config(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path / 'var"\nlisten=udp:0.0.0.0:5060\n#')
    with pytest.raises(EdgeError, match="DB_PATH"):
        render_config(cfg, EdgePaths.from_config(cfg), EdgeSettings())


def test_socket_path_too_long_is_refused(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path / ("v" * 120))
    with pytest.raises(EdgeError, match="longer than 107 bytes"):
        values(cfg, EdgePaths.from_config(cfg), EdgeSettings())


def test_unknown_and_unused_placeholders_are_template_bugs() -> None:
    with pytest.raises(EdgeError, match="unknown placeholder NOPE"):
        render("a={{NOPE}}", {})
    with pytest.raises(EdgeError, match="does not use EXTRA"):
        render("a=1", {"EXTRA": "x"})


def test_template_uses_every_value(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path / "var")
    names = set(re.findall(r"\{\{([A-Z_0-9]+)\}\}", template_text()))
    assert names == set(values(cfg, EdgePaths.from_config(cfg), EdgeSettings()))


def test_security_limits_reach_the_config_and_cannot_be_loosened_past_the_issue(
        tmp_path: Path) -> None:
    cfg = _cfg(tmp_path / "var")
    paths = EdgePaths.from_config(cfg)
    text = render_config(cfg, paths, EdgeSettings())
    assert '"ipban=>size=8;autoexpire=300;"' in text
    assert '"authfail=>size=8;autoexpire=60;"' in text
    assert "if ($var(n) >= 10) {" in text
    assert 'modparam("dispatcher", "ds_probing_threshold", 3)' in text
    assert 'modparam("dispatcher", "ds_inactive_threshold", 2)' in text
    assert "friendly-scanner|friendly-request|sipvicious" in text
    for bad in ({"auth_failures": 11}, {"ban_seconds": 299}, {"auth_window": 30},
                {"trunk_flood_requests": 0}, {"children": True}):
        with pytest.raises(EdgeError) as err:
            render_config(cfg, paths, EdgeSettings(**bad))  # type: ignore[arg-type]
        assert err.value.key == next(iter(bad))


def test_flood_limits_come_from_the_sip_table(tmp_path: Path) -> None:
    f = tmp_path / "callbox.toml"
    f.write_text("[sip]\nflood_requests = 40\ntrunk_flood_requests = 300\n"
                 "trunk_new_requests = 60\n")
    cfg = config.load(f)
    settings = EdgeSettings.from_config(cfg)
    assert (settings.flood_requests, settings.trunk_flood_requests,
            settings.trunk_new_requests) == (40, 300, 60)
    text = render_config(cfg, EdgePaths.from_config(cfg), settings)
    assert 'modparam("pike", "reqs_density_per_unit", 40)' in text
    assert "$var(n) > 60" in text and "$var(n) > 300" in text

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def callbox(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "firmware.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_help_lists_the_commands() -> None:
    out = callbox("--help")
    assert out.returncode == 0
    for command in ("run", "check-config", "selftest"):
        assert command in out.stdout


def test_bad_config_stops_start_up_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "callbox.toml"
    cfg.write_text('[web]\nport = "eighty"\n')
    out = callbox("run", "--config", str(cfg))
    assert out.returncode == 2
    assert "web.port: expected an integer 1-65535, got 'eighty'" in out.stderr
    assert not (tmp_path / "var").exists()


def test_check_config_accepts_a_good_file(tmp_path: Path) -> None:
    cfg = tmp_path / "callbox.toml"
    cfg.write_text("[sip]\nport = 5062\n")
    out = callbox("check-config", "--config", str(cfg))
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == f"configuration ok: {cfg.resolve()}"
    assert any(line.split() == ["SIP", "edge", "udp", "127.0.0.1:5062,", "realm", "callbox"]
               for line in lines), out.stdout
    assert "Config(" not in out.stdout and "web UI" in out.stdout


def test_check_config_without_a_file_says_the_defaults_apply(tmp_path: Path) -> None:
    import os
    out = subprocess.run([sys.executable, "-m", "firmware.cli", "check-config"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("configuration ok: no config file found (callbox.toml in ")
    assert "built-in defaults apply" in out.stdout and "http://127.0.0.1:8080/" in out.stdout


def test_selftest_runs_through_the_callbox_command_and_names_the_failed_stage() -> None:
    import json

    ok = callbox("selftest", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["result"] == "pass"
    bad = callbox("selftest", "--json", "--inject", "temp-high")
    assert bad.returncode != 0
    report = json.loads(bad.stdout)
    failed = [s for s in report["stages"] if s["status"] == "fail"]
    assert report["result"] == "fail" and len(failed) == 1
    assert "temperature" in failed[0]["name"].lower()

"""``python -m acd_core.dtmf``: the contract tools and technicians rely on."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.oracles import audioop
from tests.support.signals import digit_train, to_pcm

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "acd_core.dtmf", *args], cwd=ROOT,
                          input=stdin, capture_output=True, timeout=60)


def test_pcm_file_prints_offset_and_digit_per_line(tmp_path):
    from acd_core.dtmf import DtmfDetector
    pcm = to_pcm(digit_train("12#", 50, 50))
    f = tmp_path / "digits.pcm"
    f.write_bytes(pcm)
    res = run(str(f))
    assert res.returncode == 0, res.stderr
    expected = "".join(f"{o} {d}\n" for o, d in DtmfDetector().process(pcm))
    assert res.stdout.decode() == expected
    assert [line.split()[1] for line in res.stdout.decode().splitlines()] == ["1", "2", "#"]


def test_alaw_and_ulaw_files(tmp_path):
    pcm = to_pcm(digit_train("90*", 50, 50))
    for law in ("alaw", "ulaw"):
        f = tmp_path / f"digits.{law}"
        f.write_bytes(getattr(audioop, f"lin2{law}")(pcm, 2))
        res = run(str(f), f"--{law}")
        assert res.returncode == 0, res.stderr
        assert [ln.split()[1] for ln in res.stdout.decode().splitlines()] == ["9", "0", "*"]


def test_standard_input(tmp_path):
    res = run("-", stdin=to_pcm(digit_train("4", 50, 50)))
    assert res.returncode == 0 and res.stdout.decode().split()[1] == "4"


def test_odd_byte_count_exits_2_and_says_why(tmp_path):
    f = tmp_path / "odd.pcm"
    f.write_bytes(b"\x00" * 321)
    res = run(str(f))
    assert res.returncode == 2
    assert "321 bytes, an odd count" in res.stderr.decode()
    assert res.stdout == b""


def test_unreadable_file_exits_2_and_names_it(tmp_path):
    missing = tmp_path / "nope.pcm"
    res = run(str(missing))
    assert res.returncode == 2
    assert f"cannot read {missing}" in res.stderr.decode()


def test_a_directory_is_unreadable_too(tmp_path):
    res = run(str(tmp_path))
    assert res.returncode == 2 and "cannot read" in res.stderr.decode()

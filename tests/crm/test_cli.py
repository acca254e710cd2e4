"""``callbox crm import``, ``callbox backup`` and ``callbox restore`` as a user runs them."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.cli import main


def config(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    cfg = tmp_path / name / "callbox.toml"
    cfg.write_text('[paths]\nvar = "var"\n')
    return cfg


def test_import_backup_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path, "a")
    data = tmp_path / "customers.csv"
    data.write_text("name,phone\nAnn,+8613812345678\nBob,+8613900001111\nNo Phone,call me\n",
                    encoding="utf-8")
    assert main(["crm", "import", str(data), "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "customers.csv: 3 rows: imported 2, updated 0, skipped 0, rejected 1" in out
    assert "rejected rows and reasons: " in out
    assert main(["crm", "import", str(data), "--on-duplicate", "skip", "--config",
                 str(cfg)]) == 0
    assert "imported 0, updated 0, skipped 2, rejected 1" in capsys.readouterr().out

    secret = tmp_path / "pass.txt"
    secret.write_text("correct horse battery staple\n")
    assert main(["backup", "--encrypt", "--passphrase-file", str(secret), "--output",
                 str(tmp_path / "bak"), "--config", str(cfg)]) == 0
    archive = next((tmp_path / "bak").glob("*.cbbak"))
    assert "encrypted" in capsys.readouterr().out

    other = config(tmp_path, "b")
    assert main(["restore", str(archive), "--config", str(other)]) == 1
    assert "the archive is encrypted: a passphrase is needed" in capsys.readouterr().err
    assert main(["restore", str(archive), "--passphrase-file", str(secret), "--config",
                 str(other)]) == 0
    assert "restored 2 files" in capsys.readouterr().out      # the database and the config
    assert main(["crm", "import", str(data), "--config", str(other)]) == 0
    assert "skipped 2" in capsys.readouterr().out             # the customers came along


def test_a_fatal_import_error_exits_1_with_the_reason(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path, "a")
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert main(["crm", "import", str(bad), "--config", str(cfg)]) == 1
    assert "not a CSV or XLSX file" in capsys.readouterr().err

"""image.repro: two tarballs compared member by member (the reproducibility check)."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from image import repro


def make_tar(path: Path, files: dict[str, tuple[bytes, int]],
             order: list[str] | None = None) -> Path:
    """A pax tar of *files* (name -> (content, mtime)), like mmdebstrap's."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in order or sorted(files):
            data, mtime = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), mtime, 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


FILES = {"./etc/machine-id": (b"", 100), "./opt/callbox/x.pyc": (b"\x00hash", 100),
         "./etc/resolv.conf": (b"# none\n", 100)}


def test_identical_tarballs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make_tar(tmp_path / "a.tar", FILES)
    b = make_tar(tmp_path / "b.tar", FILES)
    assert repro.main([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert out.endswith("identical\n") and out.count(repro.sha256(a)) == 2


def test_differences_name_members_and_fields(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    a = make_tar(tmp_path / "a.tar", FILES)
    other = dict(FILES)
    other["./opt/callbox/x.pyc"] = (b"\x00time", 100)          # same size, other bytes
    other["./etc/resolv.conf"] = (b"# none\n", 200)            # a later mtime
    del other["./etc/machine-id"]
    other["./var/log/dpkg.log"] = (b"log\n", 100)
    b = make_tar(tmp_path / "b.tar", other)
    assert repro.main([str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "differ: 4 members" in out
    assert "  ./etc/machine-id" not in out
    assert "only in the first: ./etc/machine-id" in out
    assert "only in the second: ./var/log/dpkg.log" in out
    assert "./etc/resolv.conf: mtime 100 != 200" in out
    assert "./opt/callbox/x.pyc: content" in out


def test_the_same_members_in_another_order(tmp_path: Path) -> None:
    a = make_tar(tmp_path / "a.tar", FILES)
    b = make_tar(tmp_path / "b.tar", FILES, order=sorted(FILES, reverse=True))
    assert repro.differences(repro.members(a), repro.members(b)) == [
        "the same members in another order"]


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert repro.main(["only-one.tar"]) == 2
    assert "usage" in capsys.readouterr().err

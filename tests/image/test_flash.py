"""``callbox flash`` on loop files and loop devices with tiny signed images."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from firmware import cli
from firmware.bmap import Bmap
from firmware.errors import FlashError
from firmware.flash import HOLD, Flasher, System, check_device
from tests.image.conftest import MiB, Key, release


def _garbage_device(path: Path, size: int) -> Path:
    path.write_bytes(b"\xa5" * size)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mapped_equal(img: Path, dev: Path) -> None:
    bmap = Bmap.parse(img.with_name(img.name + ".bmap").read_bytes())
    data, got = img.read_bytes(), dev.read_bytes()
    assert bmap.ranges, "the tiny image has mapped ranges"
    for r in bmap.ranges:
        off, n = r.span(bmap.block_size)
        assert hashlib.sha256(got[off:off + n]).hexdigest() == r.sha256
    assert got[:HOLD] == data[:HOLD]                 # protective MBR + primary GPT
    assert got[len(data) - HOLD:len(data)] == data[-HOLD:]   # backup GPT


def test_flash_writes_mapped_blocks_and_reads_back(tmp_path: Path, keys: dict[str, Key]) -> None:
    img = release(tmp_path / "rel", keys["dev"])
    dev = _garbage_device(tmp_path / "disk", 8 * MiB)
    stages: list[str] = []
    report = Flasher(img, dev, keys["dev"].cert,
                     progress=lambda s, d, t: stages.append(s) if s not in stages else None).run()
    _mapped_equal(img, dev)
    bmap = Bmap.parse(img.with_name("callbox.img.bmap").read_bytes())
    assert report.written < img.stat().st_size                 # only mapped blocks
    assert report.written >= bmap.mapped_bytes - 2 * HOLD
    # unmapped blocks were not written: a hole in the image keeps the old bytes
    assert dev.read_bytes()[4 * MiB:4 * MiB + 4096] == b"\xa5" * 4096
    assert stages == ["verify image", "check ranges", "write", "read back",
                      "write partition table", "read back partition table"]
    out = subprocess.run(["sfdisk", "--dump", str(dev)], capture_output=True, text=True)
    assert 'name="one"' in out.stdout and 'name="two"' in out.stdout


def test_partition_table_is_written_last(tmp_path: Path, keys: dict[str, Key]) -> None:
    """Stopped in the middle of writing, the device has no partition table: it cannot boot."""
    img = release(tmp_path / "rel", keys["dev"])
    dev = _garbage_device(tmp_path / "disk", 8 * MiB)

    class PowerCut(Exception):
        pass

    def cut(stage: str, done: int, total: int) -> None:
        if stage == "read back":
            raise PowerCut()

    with pytest.raises(PowerCut):
        Flasher(img, dev, keys["dev"].cert, progress=cut).run()
    got = dev.read_bytes()
    assert got[:HOLD] == b"\0" * HOLD                         # wiped, not yet written
    assert got[-HOLD:] == b"\0" * HOLD                        # old backup GPT wiped too
    assert subprocess.run(["sfdisk", "--dump", str(dev)], capture_output=True).returncode != 0


@pytest.mark.parametrize("damage", ["unsigned", "other signer", "corrupt image",
                                    "corrupt bmap", "sums edited"])
def test_refuses_bad_release_before_writing(tmp_path: Path, keys: dict[str, Key],
                                            damage: str) -> None:
    signer = keys["other"] if damage == "other signer" else keys["dev"]
    img = release(tmp_path / "rel", signer)
    if damage == "unsigned":
        (tmp_path / "rel/SHA256SUMS.sig").unlink()
    elif damage == "corrupt image":
        with open(img, "r+b") as f:
            f.seek(MiB + 5000)
            b = f.read(1)
            f.seek(MiB + 5000)
            f.write(bytes([b[0] ^ 1]))
    elif damage == "corrupt bmap":
        p = img.with_name("callbox.img.bmap")
        p.write_text(p.read_text().replace("<BlockSize> 4096", "<BlockSize> 4097"))
    elif damage == "sums edited":
        p = tmp_path / "rel/SHA256SUMS"
        p.write_text(p.read_text() + "0" * 64 + "  extra\n")
    dev = _garbage_device(tmp_path / "disk", 8 * MiB)
    before = _digest(dev)
    with pytest.raises(FlashError) as exc:
        Flasher(img, dev, keys["dev"].cert).run()
    assert exc.value.stage == "verify"
    expected = {"unsigned": "unsigned", "other signer": "signature verification",
                "corrupt image": "does not match SHA256SUMS",
                "corrupt bmap": "does not match SHA256SUMS",
                "sums edited": "signature verification"}[damage]
    assert expected in str(exc.value)
    assert _digest(dev) == before                              # nothing written


def test_refuses_too_small_device(tmp_path: Path, keys: dict[str, Key]) -> None:
    img = release(tmp_path / "rel", keys["dev"])
    dev = _garbage_device(tmp_path / "disk", 4 * MiB)
    with pytest.raises(FlashError, match="holds 4194304 bytes, the image needs 6291456") as exc:
        Flasher(img, dev, keys["dev"].cert).run()
    assert exc.value.stage == "check"
    assert dev.read_bytes() == b"\xa5" * 4 * MiB


def test_refuses_missing_device(tmp_path: Path) -> None:
    with pytest.raises(FlashError, match="does not exist"):
        check_device(tmp_path / "nope", MiB)


def _losetup(path: Path) -> str:
    if shutil.which("losetup") is None:
        pytest.skip("losetup is not installed")
    proc = subprocess.run(["losetup", "--find", "--show", "--partscan", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"no loop device here: {proc.stderr.strip()}")
    return proc.stdout.strip()


def test_flash_onto_loop_device(tmp_path: Path, keys: dict[str, Key]) -> None:
    img = release(tmp_path / "rel", keys["dev"])
    backing = _garbage_device(tmp_path / "disk", 8 * MiB)
    loop = _losetup(backing)
    try:
        Flasher(img, Path(loop), keys["dev"].cert).run()
    finally:
        subprocess.run(["losetup", "-d", loop], check=True)
    _mapped_equal(img, backing)


def test_refuses_mounted_device(tmp_path: Path, keys: dict[str, Key]) -> None:
    """A loop device over the target file, mounted: both the device and the file are refused."""
    img = release(tmp_path / "rel", keys["dev"])
    backing = tmp_path / "disk"
    with open(backing, "wb") as f:
        f.truncate(8 * MiB)
    subprocess.run(["mkfs.ext4", "-q", str(backing)], check=True)
    loop = _losetup(backing)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        if subprocess.run(["mount", loop, str(mnt)], capture_output=True).returncode != 0:
            # no mount permission here: show the kernel's mount table line instead
            mounts = tmp_path / "mounts"
            mounts.write_text(f"{loop} {mnt} ext4 rw 0 0\n")
            system = System(mounts=mounts)
        else:
            system = System()
        try:
            before = _digest(backing)
            for target in (Path(loop), backing):
                with pytest.raises(FlashError, match=f"{loop} is mounted on {mnt}") as exc:
                    Flasher(img, target, keys["dev"].cert, system=system).run()
                assert exc.value.stage == "check"
            assert _digest(backing) == before
        finally:
            subprocess.run(["umount", str(mnt)], capture_output=True)
    finally:
        subprocess.run(["losetup", "-d", loop], check=True)


def test_cli_flash(tmp_path: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str]
                   ) -> None:
    img = release(tmp_path / "rel", keys["dev"])
    dev = _garbage_device(tmp_path / "disk", 8 * MiB)
    assert cli.main(["flash", str(img), str(dev), "--keyring", str(keys["dev"].cert)]) == 0
    out = capsys.readouterr()
    assert "flashed callbox.img to" in out.out and "MiB/s" in out.out
    assert "read back partition table: 100%" in out.err
    os.truncate(dev, 2 * MiB)
    assert cli.main(["flash", str(img), str(dev), "--keyring", str(keys["dev"].cert)]) == 1
    assert "callbox flash: refusing" in capsys.readouterr().err

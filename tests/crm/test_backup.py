"""Backup and restore: round trips (plain and encrypted), and every refusal changes nothing."""
from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import tarfile
from pathlib import Path

import pytest

from firmware.backup import create_backup, write_backup
from firmware.backup.archive import BackupError
from firmware.backup.restore import restore_backup
from firmware.store import Store
from tests.store.support import T0, call


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (and its siblings' names) with its content hash."""
    out = {}
    for p in sorted(root.parent.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(root.parent))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


async def seeded(var: Path) -> list[str]:
    store = await Store.open(var / "callbox.db")
    ids = []
    try:
        for i in range(3):
            rec = call(T0 + i, recording=f"2026/11/27/r{i}.wav")
            (var / "recordings/2026/11/27").mkdir(parents=True, exist_ok=True)
            (var / f"recordings/2026/11/27/r{i}.wav").write_bytes(os.urandom(3000 + i))
            await store.cdr.insert(rec)
            ids.append(rec.id)
        (var / "recordings/.incoming").mkdir(exist_ok=True)
        (var / "recordings/.incoming/live.wav").write_bytes(b"half a call")
        (var / "prompts").mkdir(exist_ok=True)
        (var / "prompts/ivr-main.wav").write_bytes(b"RIFF prompt")
        await store.checkpoint()
    finally:
        await store.close()
    return ids


async def make_archive(tmp_path: Path, passphrase: str | None = None) -> tuple[Path, list[str]]:
    src = tmp_path / "box1" / "var"
    ids = await seeded(src)
    (tmp_path / "box1/callbox.toml").write_text("[web]\nport = 8081\n")
    store = await Store.open(src / "callbox.db")
    try:
        result = await create_backup(store, tmp_path / "out", passphrase=passphrase,
                                     config=tmp_path / "box1/callbox.toml")
    finally:
        await store.close()
    return Path(result["path"]), ids


@pytest.mark.parametrize("passphrase", [None, "correct horse battery staple"])
async def test_restore_round_trip_into_a_stopped_box(tmp_path: Path, passphrase: str | None
                                                     ) -> None:
    archive, ids = await make_archive(tmp_path, passphrase)
    assert archive.read_bytes().startswith(b"CALLBOX-BACKUP\n")
    if passphrase:
        assert b"r0.wav" not in archive.read_bytes()               # names encrypted too
    dst = tmp_path / "box2" / "var"
    await seeded(dst)                                              # a box with other data
    stages: list[str] = []
    cfg = tmp_path / "box2/callbox.toml"
    cfg.write_text("[web]\nport = 9999\n")
    result = restore_backup(archive, dst, passphrase=passphrase, config_path=cfg,
                            progress=lambda s, d, t: stages.append(s))
    assert stages[-1] == "done" and "reading" in stages
    assert Path(result["previous"]).is_dir() and result["files"] == 6   # db, 3 wav, prompt, toml
    assert cfg.read_text() == "[web]\nport = 8081\n"
    src = tmp_path / "box1" / "var"
    for i in range(3):
        rel = f"recordings/2026/11/27/r{i}.wav"
        assert (dst / rel).read_bytes() == (src / rel).read_bytes()
    assert not (dst / "recordings/.incoming/live.wav").exists()
    store = await Store.open(dst / "callbox.db")
    try:
        assert [(await store.cdr.get(i)).id for i in ids] == ids
    finally:
        await store.close()


async def _refused(tmp_path: Path, archive: Path, message: str, **kw: object) -> None:
    dst = tmp_path / "box2" / "var"
    if not dst.exists():
        await seeded(dst)
    before = tree(dst)
    with pytest.raises(BackupError) as err:
        restore_backup(archive, dst, **kw)  # type: ignore[arg-type]
    assert message in str(err.value)
    assert tree(dst) == before                                     # nothing changed, no staging


async def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "holiday.tar"
    with tarfile.open(f, "w") as t:
        info = tarfile.TarInfo("callbox.db")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    await _refused(tmp_path, f, "not a Callbox backup archive")


@pytest.mark.parametrize("passphrase", [None, "secret passphrase"])
async def test_a_damaged_archive_is_refused(tmp_path: Path, passphrase: str | None) -> None:
    archive, _ = await make_archive(tmp_path, passphrase)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x40
    archive.write_bytes(bytes(data))
    await _refused(tmp_path, archive, "damaged", passphrase=passphrase)


async def test_a_truncated_archive_is_refused(tmp_path: Path) -> None:
    archive, _ = await make_archive(tmp_path)
    archive.write_bytes(archive.read_bytes()[:-100])
    await _refused(tmp_path, archive, "truncated")


async def test_a_wrong_or_missing_passphrase_is_refused(tmp_path: Path) -> None:
    archive, _ = await make_archive(tmp_path, "right one")
    await _refused(tmp_path, archive, "wrong passphrase", passphrase="wrong one")
    await _refused(tmp_path, archive, "the archive is encrypted: give its passphrase")


async def test_an_archive_from_newer_firmware_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "box1" / "var"
    await seeded(src)
    with sqlite3.connect(src / "callbox.db") as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'from_the_future', 0)")
    conn.close()
    archive = tmp_path / "future.cbbak"
    with open(archive, "wb") as out:
        write_backup(src / "callbox.db", out, recordings=src / "recordings", prompts=None,
                     config=None)
    await _refused(tmp_path, archive, "newer firmware")


async def test_a_running_box_is_not_restored_into(tmp_path: Path) -> None:
    archive, _ = await make_archive(tmp_path)
    dst = tmp_path / "box2" / "var"
    await seeded(dst)
    store = await Store.open(dst / "callbox.db")                   # the daemon holds it
    try:
        await _refused(tmp_path, archive, "the database is in use")
    finally:
        await store.close()


async def test_a_box_being_restored_cannot_open_its_database(tmp_path: Path) -> None:
    from firmware.errors import StoreError
    from firmware.store.lock import DbLock
    var = tmp_path / "var"
    var.mkdir()
    lock = DbLock.take(var / "callbox.db", exclusive=True)
    try:
        with pytest.raises(StoreError, match="being restored"):
            await Store.open(var / "callbox.db")
    finally:
        lock.release()

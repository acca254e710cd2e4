"""Online backup of the box to one archive, and restore into a stopped box.

A backup holds a consistent snapshot of the database (SQLite's online backup
API, taken in one step from a separate connection, so the daemon keeps
writing meanwhile), the recordings tree (finished files only, not
``.incoming/``), the prompts, and ``callbox.toml`` when one is given, as a tar
stream inside the framed, optionally encrypted format of ``archive.py``. Its
last member, ``MANIFEST.json``, names the format, schema and firmware
versions and every file's size and SHA-256.

``restore_backup`` (``restore.py``) checks all of that before it touches the
box and then swaps the data folder in one step.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable

from firmware.backup.archive import ArchiveWriter, BackupError

__all__ = ["create_backup", "write_backup", "BackupError", "FIRMWARE_VERSION"]

FIRMWARE_VERSION = "0.1.0"
Progress = Callable[[str, int, int], None]
SKIP_DIRS = {".incoming"}


class _Hashing:
    """A file wrapper that hashes what tarfile reads from it."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.sha.update(data)
        return data


def _snapshot(db_path: Path, dest: Path) -> int:
    """A consistent copy of the live database; returns its schema version."""
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst, pages=-1)          # one step: one read transaction, one snapshot
        ok = dst.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise BackupError("the database copy failed its check", path=str(db_path),
                              result=ok)
        return int(dst.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)
    finally:
        dst.close()
        src.close()


def _files(root: Path, prefix: str) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    if not root.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith((".part", ".tmp")):
                continue
            full = Path(dirpath) / name
            out.append((full, f"{prefix}/{full.relative_to(root).as_posix()}"))
    return out


def write_backup(db_path: Path, out: BinaryIO, *, recordings: Path, prompts: Path | None,
                 config: Path | None, passphrase: str | None = None,
                 progress: Progress | None = None, wall: Callable[[], float] = time.time
                 ) -> dict[str, Any]:
    """Write the archive to ``out`` (blocking; run it in a thread)."""
    report = progress or (lambda stage, done, total: None)
    manifest: dict[str, Any] = {"kind": "callbox-backup", "format": 1,
                                "firmware_version": FIRMWARE_VERSION, "created_at": wall(),
                                "files": {}}
    writer = ArchiveWriter(out, passphrase)
    with tempfile.TemporaryDirectory(dir=db_path.parent, prefix=".backup-") as tmp:
        snap = Path(tmp) / "callbox.db"
        report("database", 0, 1)
        manifest["schema_version"] = _snapshot(db_path, snap)
        report("database", 1, 1)
        members = [(snap, "callbox.db")] + _files(recordings, "recordings")
        if prompts is not None:
            members += _files(prompts, "prompts")
        if config is not None and config.is_file():
            members.append((config, "config/callbox.toml"))
        total = sum(p.stat().st_size for p, _ in members if p.exists())
        done = 0
        with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path, name in members:
                try:
                    fh = open(path, "rb")
                except FileNotFoundError:          # purged while we were walking
                    continue
                with fh:
                    info = tar.gettarinfo(arcname=name, fileobj=fh)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    h = _Hashing(fh)
                    tar.addfile(info, h)
                manifest["files"][name] = {"size": info.size, "sha256": h.sha.hexdigest()}
                done += info.size
                report("files", done, total)
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("MANIFEST.json")
            info.size, info.mtime = len(data), int(wall())
            tar.addfile(info, io.BytesIO(data))
        writer.close()
    return {"schema_version": manifest["schema_version"], "files": len(manifest["files"]),
            "bytes_in": writer.bytes_in}


async def create_backup(store: Any, dest_dir: Path, *, passphrase: str | None = None,
                        config: Path | None = None, progress: Progress | None = None
                        ) -> dict[str, Any]:
    """An archive of the running box in ``dest_dir`` (written as .tmp, fsynced, renamed)."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(store.db.wall()))
    dest = dest_dir / f"callbox-{stamp}.cbbak"
    tmp = dest.with_name(dest.name + ".tmp")
    var = store.path.parent

    def run() -> dict[str, Any]:
        with open(tmp, "wb") as out:
            info = write_backup(store.path, out, recordings=store.recordings.root,
                                prompts=var / "prompts", config=config,
                                passphrase=passphrase, progress=progress, wall=store.db.wall)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
        return info
    try:
        info = await asyncio.to_thread(run)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"path": str(dest), "bytes": dest.stat().st_size, **info}

"""Restore an archive into a stopped box: verify everything, then swap the data folder.

Order of work, so that a refused restore changes nothing:

1. read the archive into a staging folder beside the data folder, checking
   the signature, header, passphrase, every frame (checksum or AES-GCM tag),
   every member's name (no absolute paths, no ``..``, no links, only the
   folders a backup writes) and every file's size and SHA-256 against the
   manifest, which must list exactly the files present;
2. check the versions: a schema newer than this firmware's is refused (an
   older one is migrated at the next start), and the staged database must
   pass ``PRAGMA integrity_check``;
3. take the database lock exclusively (refused while the daemon, or anything
   else, has the database open);
4. swap staging and data folder with ``renameat2(RENAME_EXCHANGE)``, one
   atomic step; the previous data is kept as ``<var>.before-restore-<time>``.

Any failure before step 4 removes the staging folder and leaves the box as it was.
"""
from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import time
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from firmware.backup.archive import ArchiveReader, BackupError
from firmware.errors import StoreError
from firmware.store.db import load_migrations, newest
from firmware.store.lock import DbLock

Progress = Callable[[str, int, int], None]
TOP = {"callbox.db", "recordings", "prompts", "config", "MANIFEST.json"}
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux renameat2)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        raise OSError(errno.ENOSYS, "renameat2 not available")
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def _safe_name(name: str, archive: str) -> PurePosixPath:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts or p.parts[0] not in TOP:
        raise BackupError(f"the archive holds a path a backup never writes: {name!r}",
                          path=archive)
    return p


def _extract(archive: Path, passphrase: str | None, staging: Path,
             report: Progress) -> dict[str, Any]:
    total = archive.stat().st_size
    found: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    with open(archive, "rb") as raw:
        reader = ArchiveReader(raw, passphrase, str(archive))
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for m in tar:
                    p = _safe_name(m.name, str(archive))
                    if m.isdir():
                        continue
                    if not m.isfile():
                        raise BackupError(f"the archive holds a link or device: {m.name!r}",
                                          path=str(archive))
                    src = tar.extractfile(m)
                    assert src is not None
                    if m.name == "MANIFEST.json":
                        manifest = json.loads(src.read(1 << 20))
                        continue
                    dest = staging.joinpath(*p.parts)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    sha = hashlib.sha256()
                    size = 0
                    with open(dest, "wb") as out:
                        while chunk := src.read(1 << 20):
                            sha.update(chunk)
                            out.write(chunk)
                            size += len(chunk)
                    os.utime(dest, (m.mtime, m.mtime))
                    found[m.name] = {"size": size, "sha256": sha.hexdigest()}
                    report("reading", min(reader.bytes_read, total), total)
        except (tarfile.TarError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BackupError(f"the archive is damaged ({type(exc).__name__}: {exc})",
                              path=str(archive)) from None
        reader.drain()
    if manifest is None or manifest.get("kind") != "callbox-backup":
        raise BackupError("the archive has no Callbox manifest", path=str(archive))
    if manifest.get("files") != found:
        missing = sorted(set(manifest.get("files", {})) - set(found))
        extra = sorted(set(found) - set(manifest.get("files", {})))
        bad = sorted(k for k in set(found) & set(manifest.get("files", {}))
                     if found[k] != manifest["files"][k])
        raise BackupError("the archive does not match its manifest (missing "
                          f"{missing[:3]}, unlisted {extra[:3]}, changed {bad[:3]})",
                          path=str(archive))
    if "callbox.db" not in found:
        raise BackupError("the archive holds no database", path=str(archive))
    return manifest


def _check_versions(manifest: dict[str, Any], staging: Path, archive: Path) -> None:
    ours = newest(load_migrations())
    theirs = manifest.get("schema_version")
    if not isinstance(theirs, int) or theirs < 1:
        raise BackupError("the manifest has no schema version", path=str(archive))
    if theirs > ours:
        raise BackupError(f"the archive comes from newer firmware "
                          f"({manifest.get('firmware_version')}, schema {theirs}); this "
                          f"firmware reads schema {ours} at most", path=str(archive))
    conn = sqlite3.connect(f"file:{staging / 'callbox.db'}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the archived database is unreadable: {exc}",
                          path=str(archive)) from None
    finally:
        conn.close()
    if result != "ok" or version != theirs:
        raise BackupError("the archived database fails its check", path=str(archive),
                          integrity=result, schema=version)


def restore_backup(archive: Path, var_dir: Path, *, passphrase: str | None = None,
                   config_path: Path | None = None, progress: Progress | None = None,
                   wall: Callable[[], float] = time.time) -> dict[str, Any]:
    """Restore ``archive`` into ``var_dir`` (blocking). Raises ``BackupError`` and changes
    nothing if the archive is foreign, damaged, encrypted with another passphrase, from
    newer firmware, or the box is running."""
    report = progress or (lambda stage, done, total: None)
    archive, var_dir = Path(archive), Path(var_dir).resolve()
    if not archive.is_file():
        raise BackupError("no such archive", path=str(archive))
    db_path = var_dir / "callbox.db"
    var_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock = DbLock.take(db_path, exclusive=True) if var_dir.is_dir() else None
    except StoreError as exc:
        raise BackupError(str(exc).split(" (path=")[0], path=str(var_dir)) from None
    lock_release = lock.release if lock is not None else (lambda: None)
    staging = var_dir.with_name(f".{var_dir.name}.restore-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        manifest = _extract(archive, passphrase, staging, report)
        _check_versions(manifest, staging, archive)
        (staging / "recordings" / ".incoming").mkdir(parents=True, exist_ok=True)
        config_file = staging / "config" / "callbox.toml"
        if var_dir.is_dir():
            _exchange(staging, var_dir)
            kept = var_dir.with_name(f"{var_dir.name}.before-restore-"
                                     f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime(wall()))}")
            os.rename(staging, kept)
            config_file = var_dir / "config" / "callbox.toml"
        else:
            os.rename(staging, var_dir)
            kept = None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        lock_release()
        raise
    lock_release()
    _fsync_dir(var_dir.parent)
    restored_config = None
    if config_path is not None and config_file.is_file():
        tmp = config_path.with_name(config_path.name + ".tmp")
        shutil.copyfile(config_file, tmp)
        if config_path.exists():
            shutil.copyfile(config_path, config_path.with_name(config_path.name
                                                               + ".before-restore"))
        os.replace(tmp, config_path)
        restored_config = str(config_path)
    report("done", 1, 1)
    return {"var_dir": str(var_dir), "previous": None if kept is None else str(kept),
            "schema_version": manifest["schema_version"],
            "firmware_version": manifest.get("firmware_version"),
            "created_at": manifest.get("created_at"), "files": len(manifest["files"]),
            "config": restored_config}


def verify_backup(archive: Path, work_dir: Path, passphrase: str | None = None,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Check ``archive`` as ``restore_backup`` would (frames, passphrase, names, manifest,
    versions, database integrity) in a staging folder under ``work_dir``, removed after:
    nothing on the box changes. Raises ``BackupError`` naming what is wrong."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError("no such archive", path=str(archive))
    staging = Path(work_dir) / f".restore-check-{os.getpid()}-{time.monotonic_ns()}"
    staging.mkdir(mode=0o700, parents=True)
    try:
        manifest = _extract(archive, passphrase, staging, progress or (lambda *_: None))
        _check_versions(manifest, staging, archive)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"schema_version": manifest["schema_version"],
            "firmware_version": manifest.get("firmware_version"),
            "created_at": manifest.get("created_at"), "files": len(manifest["files"]),
            "bytes": sum(f["size"] for f in manifest["files"].values())}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

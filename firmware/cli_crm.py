"""``callbox crm import``, ``callbox backup`` and ``callbox restore``.

They work on the box's data folder directly (``[paths] var`` of the config).
``crm import`` may run while the daemon does: it opens the database like the
daemon (a shared lock; SQLite serialises the writers) and writes the whole file
in one short transaction after reading and checking it. ``backup`` is online
too. ``restore`` needs a stopped box and says so otherwise.

Passphrases never go on the command line (where ``ps`` shows them): they come
from ``--passphrase-file``, the ``CALLBOX_BACKUP_PASSPHRASE`` environment
variable, or a prompt on a terminal.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from firmware.config import Config
from firmware.errors import CallboxError

COMMANDS = ("crm", "backup", "restore")


def add_parsers(sub: Any) -> None:
    crm = sub.add_parser("crm", help="CRM data: import customers")
    crm_sub = crm.add_subparsers(dest="crm_command", metavar="CRM_COMMAND", required=True)
    imp = crm_sub.add_parser("import", help="import customers from a CSV or XLSX file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--on-duplicate", choices=["skip", "update", "create"], default="skip",
                     help="a row whose phone number a customer already has (default: skip)")
    imp.add_argument("--encoding", help="the file's text encoding (default: detected)")
    imp.add_argument("--config", metavar="PATH")
    bak = sub.add_parser("backup", help="write an archive of the database, recordings and "
                                        "config (the box may be running)")
    bak.add_argument("--output", type=Path, metavar="DIR",
                     help="folder for the archive (default: <var>/backups)")
    bak.add_argument("--encrypt", action="store_true", help="encrypt with a passphrase")
    bak.add_argument("--passphrase-file", type=Path, metavar="PATH")
    bak.add_argument("--config", metavar="PATH")
    res = sub.add_parser("restore", help="restore an archive into this (stopped) box")
    res.add_argument("archive", type=Path)
    res.add_argument("--passphrase-file", type=Path, metavar="PATH")
    res.add_argument("--config", metavar="PATH")


def _passphrase(args: argparse.Namespace, needed: bool, confirm: bool = False,
                why: str = "encrypting") -> str | None:
    if args.passphrase_file is not None:
        return args.passphrase_file.read_text("utf-8").rstrip("\r\n")
    env = os.environ.get("CALLBOX_BACKUP_PASSPHRASE")
    if env:
        return env
    if not needed:
        return None
    if not sys.stdin.isatty():
        raise CallboxError(f"{why}: a passphrase is needed (--passphrase-file or "
                           "CALLBOX_BACKUP_PASSPHRASE)")
    first = getpass.getpass("passphrase: ")
    if confirm and getpass.getpass("again: ") != first:
        raise CallboxError("the passphrases differ")
    return first


def _progress(stage: str, done: int, total: int) -> None:
    pct = 100 * done // total if total else 100
    print(f"\r{stage}: {pct:3d}%", end="" if stage != "done" else "\n", file=sys.stderr,
          flush=True)


async def _import(cfg: Config, args: argparse.Namespace) -> int:
    from firmware.crm.imports import run_import
    from firmware.crm.permissions import Principal
    from firmware.crm.service import Crm
    from firmware.store import Store

    def progress(d: dict[str, Any]) -> None:
        if d["stage"] == "reading":
            _progress("reading", d["bytes"], d["total_bytes"])
        elif d["stage"] == "writing":
            print(f"\rchecked {d['rows']} rows, writing", file=sys.stderr, flush=True)
    store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)
    try:
        crm = Crm(store)
        s = await run_import(crm, args.file, actor=Principal.system("cli"),
                             on_duplicate=args.on_duplicate, encoding=args.encoding,
                             progress=progress)
    finally:
        await store.close()
    print(f"{s['file']}: {s['rows']} rows: imported {s['imported']}, updated {s['updated']},"
          f" skipped {s['skipped']}, rejected {s['rejected']} ({s['seconds']:.1f} s)")
    if s.get("rejects_file"):
        print(f"rejected rows and reasons: {s['rejects_file']}")
    return 0


async def _backup(cfg: Config, args: argparse.Namespace) -> int:
    from firmware.backup import create_backup
    from firmware.crm.permissions import Principal
    from firmware.store import Store
    from firmware.store.audit import AuditLog
    passphrase = _passphrase(args, needed=args.encrypt, confirm=True) if args.encrypt else None
    store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)
    try:
        config = Path(args.config) if args.config else None
        r = await create_backup(store, args.output or cfg.var_dir / "backups",
                                passphrase=passphrase, config=config, progress=_progress)
        p = Principal.system("cli")
        await AuditLog(store.db).append(p.user, p.role, "backup.create", Path(r["path"]).name,
                                        {"bytes": r["bytes"], "encrypted": bool(passphrase)})
    finally:
        await store.close()
    print(f"\n{r['path']}: {r['bytes']} bytes, {r['files']} files, schema {r['schema_version']}"
          + (", encrypted" if passphrase else ""))
    return 0


async def _restore(cfg: Config, args: argparse.Namespace) -> int:
    from firmware.backup.archive import ArchiveReader
    from firmware.backup.restore import restore_backup
    from firmware.crm.permissions import Principal
    from firmware.store import Store
    from firmware.store.audit import AuditLog
    with open(args.archive, "rb") as fh:
        try:
            encrypted = ArchiveReader(fh, "probe", str(args.archive)).encrypted
        except CallboxError as exc:
            encrypted = "wrong passphrase" in str(exc)
    passphrase = _passphrase(args, needed=encrypted, why="the archive is encrypted")
    config = Path(args.config) if args.config else None
    r = await asyncio.to_thread(restore_backup, args.archive, cfg.var_dir,
                                passphrase=passphrase, config_path=config, progress=_progress)
    store = await Store.open(cfg.db_path, recordings_dir=cfg.recordings_dir)
    try:
        p = Principal.system("cli")
        await AuditLog(store.db).append(p.user, p.role, "backup.restore", args.archive.name,
                                        {"schema_version": r["schema_version"],
                                         "firmware_version": r["firmware_version"]})
    finally:
        await store.close()
    print(f"restored {r['files']} files (schema {r['schema_version']}, firmware "
          f"{r['firmware_version']}) into {r['var_dir']}")
    if r["previous"]:
        print(f"the data it replaced is kept in {r['previous']}")
    if r["config"]:
        print(f"configuration restored to {r['config']}")
    return 0


def run(cfg: Config, args: argparse.Namespace) -> int:
    fn = {"crm": _import, "backup": _backup, "restore": _restore}[args.command]
    try:
        return asyncio.run(fn(cfg, args))
    except CallboxError as exc:
        print(f"\ncallbox {args.command}: {exc}", file=sys.stderr)
        return 1

"""The embedded default: what a fresh box holds so a first call works at once.

On first start (an empty database) the box gets an IP-authenticated demo trunk
from 127.0.0.0/8, DID 100 -> IVR "main" (1 = support, 2 = sales), queues
``support`` and ``sales``, seats 201 (support) and 202 (sales) with random
passwords, and an ``admin`` web login. Clear passwords exist only in
``var/demo-credentials.txt`` (mode 0600); the database keeps HA1 digests and
scrypt hashes.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from firmware import prompts
from firmware.config import Config
from firmware.store import Did, IvrMenu, Queue, Seat, Store, Trunk
from firmware.sipedge.kamailio import ha1

IVR_FILE = "ivr-main.wav"
MOH_FILE = "moh.wav"
IVR_TEXT = "Welcome to Callbox. For support, press 1. For sales, press 2."
SEATS = (("201", "Support seat", "support"), ("202", "Sales seat", "sales"))


def credentials_path(cfg: Config) -> Path:
    return cfg.var_dir / "demo-credentials.txt"


def _password() -> str:
    return secrets.token_urlsafe(12)


def _write_credentials(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def read_credentials(cfg: Config) -> dict[str, str]:
    """``{"admin": pw, "201": pw, ...}`` from the credentials file (tests use it too)."""
    creds: dict[str, str] = {}
    path = credentials_path(cfg)
    if not path.exists():
        return creds
    for line in path.read_text().splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        creds[key.strip()] = value.strip()
    return creds


def ensure_prompts(cfg: Config) -> dict[str, Path]:
    """Generate any missing prompt (first start, or after var/prompts was wiped)."""
    ivr = cfg.prompts_dir / IVR_FILE
    moh = cfg.prompts_dir / MOH_FILE
    if not ivr.exists():
        prompts.speak(IVR_TEXT, ivr)
    if not moh.exists():
        prompts.music_on_hold(moh)
    return {"ivr-main": ivr, "moh": moh}


async def provision(cfg: Config, store: Store) -> bool:
    """Create the demo on an empty database; returns True if it did."""
    if await store.config.trunks():
        return False
    ensure_prompts(cfg)
    realm = cfg.sip.realm
    admin_pw = _password()
    seat_pw = {ext: _password() for ext, _, _ in SEATS}
    await store.config.put_trunk(Trunk(name="demo", sources=("127.0.0.0/8",)))
    for name in ("support", "sales"):
        await store.config.put_queue(Queue(name=name, strategy="longest-idle", wrapup_s=0,
                                           ring_timeout_s=20, sl_threshold_s=20,
                                           moh_file=MOH_FILE))
    await store.config.put_ivr(IvrMenu(name="main", prompt_file=IVR_FILE, prompt_text=IVR_TEXT,
                                       timeout_s=5, retries=2,
                                       options={"1": "support", "2": "sales"}))
    await store.config.put_did(Did(number="100", target_kind="ivr", target="main", trunk="demo"))
    for ext, display, queue in SEATS:
        await store.config.put_seat(Seat(extension=ext, display_name=display,
                                         ha1=ha1(ext, realm, seat_pw[ext]), queues={queue: 0}))
    await store.users.put("admin", admin_pw, "admin")
    _write_credentials(credentials_path(cfg), [
        "# Callbox demo credentials (generated at first start; keep private)",
        f"admin={admin_pw}",
        *(f"{ext}={seat_pw[ext]}" for ext, _, _ in SEATS),
    ])
    return True

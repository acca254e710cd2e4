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
from typing import Any

from firmware import prompts
from firmware.config import Config
from firmware.sipedge.kamailio import ha1

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
    ivr = cfg.prompts_dir / "ivr-main.wav"
    moh = cfg.prompts_dir / "moh.wav"
    if not ivr.exists():
        prompts.speak(IVR_TEXT, ivr)
    if not moh.exists():
        prompts.music_on_hold(moh)
    return {"ivr-main": ivr, "moh": moh}


async def provision(cfg: Config, store: Any) -> bool:
    """Create the demo on an empty database; returns True if it did."""
    if await store.config.has_any_trunk():
        return False
    files = ensure_prompts(cfg)
    realm = cfg.sip.realm
    admin_pw = _password()
    seat_pw = {ext: _password() for ext, _, _ in SEATS}
    await store.config.add_trunk(name="demo", kind="sip-ip", sources=["127.0.0.0/8"])
    for name in ("support", "sales"):
        await store.config.add_queue(name=name, strategy="longest-idle", wrapup=0.0,
                                     ring_timeout=20.0, service_level=20.0,
                                     moh=str(files["moh"]))
    await store.config.add_ivr_menu(name="main", prompt_path=str(files["ivr-main"]),
                                    prompt_text=IVR_TEXT, timeout=5.0, retries=2,
                                    options={"1": "support", "2": "sales"})
    await store.config.add_did(number="100", trunk="demo", target_kind="ivr", target="main")
    for ext, display, queue in SEATS:
        await store.config.add_seat(extension=ext, display_name=display,
                                    ha1=ha1(ext, realm, seat_pw[ext]), queues={queue: 1})
    await store.users.add(username="admin", password=admin_pw, role="admin")
    _write_credentials(credentials_path(cfg), [
        "# Callbox demo credentials (generated at first start; keep private)",
        f"admin={admin_pw}",
        *(f"{ext}={seat_pw[ext]}" for ext, _, _ in SEATS),
    ])
    return True

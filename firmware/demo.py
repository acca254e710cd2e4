"""The embedded default: what a fresh box holds so a first call works at once.

On first start (an empty database) the box gets an IP-authenticated demo trunk
from one address, ``TRUNK_ADDRESS`` (127.0.0.9: a test caller binds it; every
other loopback address is a phone that must authenticate as a seat), DID 100 -> IVR "main" (1 = support, 2 = sales) from that trunk and from the
simulated card's line groups (``LINE_ROUTES``: span 1's DID 100, and every call
on the FXO lines, which carry no DID), queues
``support`` and ``sales``, ``[demo] seats`` seats 201..200+N (default 2), all in
``support`` and 202 also in ``sales``, with random passwords, and an ``admin``
web login. A later start with more seats configured adds the missing ones (it
never removes any). Clear passwords exist only in ``var/demo-credentials.txt``
(mode 0600); the database keeps HA1 digests and scrypt hashes.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from firmware import prompts
from firmware.config import Config
from firmware.store import Did, IvrMenu, Queue, Seat, Store, Trunk
from firmware.store.inbound import Route
from firmware.sipedge.kamailio import ha1

IVR_FILE = "ivr-main.wav"
MOH_FILE = "moh.wav"
#: The demo trunk's one source address. Only this one: a trunk's source is trusted without
#: a password and its INVITEs are calls *to* the box, so a wider network (127.0.0.0/8)
#: would turn every phone on the same machine into a trunk.
TRUNK_ADDRESS = "127.0.0.9"
#: The card's line groups reach the same IVR as the demo trunk, so a caller on the simulated
#: E1 span (DID 100) or an FXO line (no DID: ``*``) hears the menu (docs/lines.md).
LINE_ROUTES: tuple[tuple[str, str], ...] = (("100", "e1/1"), ("*", "fxo"))
IVR_TEXT = "Welcome to Callbox. For support, press 1. For sales, press 2."


def seat_plan(count: int) -> list[tuple[str, str, dict[str, int]]]:
    """``(extension, display name, {queue: penalty})`` of the demo's ``count`` seats."""
    plan = []
    for n in range(1, count + 1):
        ext = str(200 + n)
        queues = {"support": 0, "sales": 0} if ext == "202" else {"support": 0}
        plan.append((ext, f"Seat {ext}", queues))
    return plan


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
    return read_credentials_at(credentials_path(cfg))


def read_credentials_at(path: Path) -> dict[str, str]:
    """The same from a file named directly (a test reaching var/ through /proc)."""
    creds: dict[str, str] = {}
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
    """Create the demo on an empty database (True), or add seats ``[demo] seats`` asks for."""
    if await store.config.trunks():
        await _add_missing_seats(cfg, store)
        return False
    ensure_prompts(cfg)
    admin_pw = _password()
    await store.config.put_trunk(Trunk(name="demo", sources=(f"{TRUNK_ADDRESS}/32",)))
    for name in ("support", "sales"):
        await store.config.put_queue(Queue(name=name, strategy="longest-idle", wrapup_s=0,
                                           ring_timeout_s=20, sl_threshold_s=20,
                                           moh_file=MOH_FILE))
    await store.config.put_ivr(IvrMenu(name="main", prompt_file=IVR_FILE, prompt_text=IVR_TEXT,
                                       timeout_s=5, retries=2,
                                       options={"1": "support", "2": "sales"}))
    await store.config.put_did(Did(number="100", target_kind="ivr", target="main", trunk="demo"))
    for number, group in LINE_ROUTES:
        await store.inbound.put_route(Route(number, "ivr:main", trunk=group))
    await store.users.put("admin", admin_pw, "admin")
    _write_credentials(credentials_path(cfg), [
        "# Callbox demo credentials (generated at first start; keep private)",
        f"admin={admin_pw}"])
    await _add_missing_seats(cfg, store)
    return True


async def _add_missing_seats(cfg: Config, store: Store) -> None:
    """Seats of the plan that the database lacks get a password (appended to the file)."""
    have = {s.extension for s in await store.config.seats()}
    creds = read_credentials(cfg)
    added = []
    for ext, display, queues in seat_plan(cfg.demo.seats):
        if ext in have:
            continue
        password = _password()
        await store.config.put_seat(Seat(extension=ext, display_name=display,
                                         ha1=ha1(ext, cfg.sip.realm, password), queues=queues))
        creds[ext] = password
        added.append(ext)
    if added:
        _write_credentials(credentials_path(cfg), [
            "# Callbox demo credentials (generated at first start; keep private)",
            *(f"{k}={v}" for k, v in creds.items())])

"""Fixtures for the image tools: signing keys and tiny signed releases made per session.

Real tools throughout (openssl, sfdisk, bmaptool, rauc, mksquashfs); only the sizes
are small, so the whole folder runs in seconds.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from firmware import signing
from image import render

MiB = 1024 * 1024


@dataclass(frozen=True)
class Key:
    key: Path
    cert: Path


def make_keys(folder: Path) -> dict[str, Key]:
    """'dev': the signer the box trusts; 'other': a key it does not."""
    out = {}
    for name in ("dev", "other"):
        k = Key(folder / f"{name}.key", folder / f"{name}.crt")
        signing.make_dev_key(k.key, k.cert, subject=f"/O=Callbox test/CN={name}")
        out[name] = k
    return out


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Key]:
    return make_keys(tmp_path_factory.mktemp("keys"))


def make_tiny_image(path: Path, size_mib: int = 6) -> None:
    """A GPT disk with two partitions and data in a few places (holes elsewhere)."""
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    subprocess.run(["sfdisk", "--quiet", str(path)], check=True, input=(
        "label: gpt\nunit: sectors\n"
        "start=2048, size=4096, name=\"one\"\nstart=6144, size=2048, name=\"two\"\n").encode())
    with open(path, "r+b") as f:
        for off in (MiB + 4096, 2 * MiB + 512 * 1024, 3 * MiB + 12288):
            f.seek(off)
            f.write(os.urandom(8192))


def release(dirpath: Path, key: Key, size_mib: int = 6) -> Path:
    """A signed release in *dirpath*: callbox.img, its bmap, SHA256SUMS and .sig."""
    dirpath.mkdir(parents=True, exist_ok=True)
    img = dirpath / "callbox.img"
    make_tiny_image(img, size_mib)
    bmap = dirpath / "callbox.img.bmap"
    subprocess.run(["bmaptool", "-q", "create", "-o", str(bmap), str(img)], check=True)
    sums = dirpath / "SHA256SUMS"
    sums.write_text(signing.sha256sums([img, bmap]))
    signing.sign(sums, dirpath / "SHA256SUMS.sig", key.key, key.cert)
    return img


def make_bundle(tmp: Path, key: Key, version: str, compatible: str = render.COMPATIBLE,
                payload_bytes: int = 64 * 1024) -> Path:
    """A real RAUC bundle signed by *key*: a squashfs of *payload_bytes* random bytes (so it
    does not compress: the bundle is about that big) and the image's manifest."""
    src = tmp / f"src-{version}-{compatible}-{key.cert.stem}-{payload_bytes}"
    (src / "root").mkdir(parents=True)
    with open(src / "root/payload", "wb") as f:          # verity needs > 4 KiB
        left = payload_bytes
        while left > 0:
            f.write(os.urandom(min(left, MiB)))
            left -= MiB
    subprocess.run(["mksquashfs", str(src / "root"), str(src / "rootfs.squashfs"), "-quiet",
                    "-noappend", "-all-root"], check=True)
    manifest = render.rauc_manifest(version).replace(
        f"compatible={render.COMPATIBLE}", f"compatible={compatible}")
    (src / "manifest.raucm").write_text(manifest)
    subprocess.run(["rm", "-rf", str(src / "root")], check=True)
    out = tmp / f"{src.name}.raucb"
    subprocess.run(["rauc", "bundle", "--cert", str(key.cert), "--key", str(key.key), str(src),
                    str(out)], check=True, capture_output=True)
    subprocess.run(["rm", "-rf", str(src)], check=True)
    return out

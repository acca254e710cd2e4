"""``make image``: the appliance's disk image, its bmap, a signed RAUC bundle, signed sums.

Steps, each shown as it starts and ends, each writing its output under a temporary
name renamed into place only when the step succeeded (a failed step names itself
and leaves nothing half-written):

  keys      development signing key and certificate (first build only; never committed)
  wheels    the Callbox wheel built from this checkout (Cython required) + dependencies
  rootfs    Debian 12 root filesystem by mmdebstrap, customised by image/customize.sh
  squashfs  the root slot's read-only filesystem
  esp       EFI system partition: GRUB, its config, the boot-counting environment
  data      the data partition (grown on first boot)
  disk      the raw GPT image: ESP, root A (the squashfs), root B (empty), data
  bmap      the image's block map (mapped ranges with their SHA-256)
  bundle    RAUC verity bundle of the squashfs, signed
  sums      SHA256SUMS of image, bmap and bundle, signed (CMS, detached)

Builds are reproducible for the root filesystem tarball given SOURCE_DATE_EPOCH
(default: the last commit's time) and the same package versions (recorded in
build/callbox-<version>.packages). Every tool gets the epoch (``_repro_env``):
mmdebstrap clamps the tar's mtimes to it and drops logs, apt lists and the
ldconfig cache; Python compiles with a fixed hash seed; tar2sqfs, mkfs.ext4 and
mtools take their timestamps from it. The bundle and SHA256SUMS carry a CMS
signing time, so they differ between builds by design.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from firmware import signing
from image import layout, render

REPO = Path(__file__).resolve().parent.parent
HERE = REPO / "image"


class StepFailed(Exception):
    pass


@dataclass
class Build:
    out: Path                      # build/: the deliverables
    key: Path
    cert: Path
    epoch: int
    version: str
    mirror: str = "http://deb.debian.org/debian"
    rootfs_variant: str = "good"   # "broken": the daemon never starts (for image-test)
    work: Path = field(init=False)

    def __post_init__(self) -> None:
        self.work = self.out / "image"

    @property
    def image(self) -> Path:
        return self.out / "callbox.img"

    @property
    def bundle(self) -> Path:
        return self.out / f"callbox-{self.version}.raucb"


def log(msg: str) -> None:
    print(msg, flush=True)


def run(cmd: list[str], what: str, **kw: object) -> None:
    """Run a tool; a non-zero exit fails the step naming the tool and its last output."""
    proc = subprocess.run(cmd, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise StepFailed(f"{what}: {cmd[0]} exited {proc.returncode}")


@contextlib.contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of *path*; rename it into place only on success."""
    tmp = path.with_name(f".{path.name}.part")
    _remove(tmp)
    old = path.with_name(f".{path.name}.old")
    try:
        yield tmp
        if path.is_dir() and not path.is_symlink():     # a folder cannot be replaced in one go
            _remove(old)
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        _remove(tmp)
        _remove(old)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    elif p.exists() or p.is_symlink():
        p.unlink()


def _tree_hash(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for root in paths:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for f in files:
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".so", ".c"):
                h.update(str(f.relative_to(REPO)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()


def _repro_env(b: Build, **extra: str) -> dict[str, str]:
    """The environment of a build tool: the build's epoch for every timestamp, a fixed
    hash seed (set and frozenset constants in .pyc files are written in hash order) and
    the C locale (sort orders)."""
    return dict(os.environ, SOURCE_DATE_EPOCH=str(b.epoch), PYTHONHASHSEED="0",
                LC_ALL="C.UTF-8", TZ="UTC", **extra)


def packages() -> list[str]:
    names = []
    for line in (HERE / "packages.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


# ---- steps ---------------------------------------------------------------

def step_keys(b: Build) -> None:
    if b.key.exists() and b.cert.exists():
        log(f"  using {b.key} and {b.cert}")
        return
    b.key.parent.mkdir(parents=True, exist_ok=True)
    signing.make_dev_key(b.key, b.cert)
    log(f"  generated a development key: {b.key} (keep it out of git)")


def step_wheels(b: Build) -> None:
    wheels = b.work / "wheels"
    sources = [REPO / d for d in ("firmware", "acd_core", "drivers", "webui", "hw_tests")]
    stamp = _tree_hash(sources + [REPO / "pyproject.toml", REPO / "setup.py"])
    if (wheels / ".stamp").exists() and (wheels / ".stamp").read_text() == stamp:
        log("  wheels up to date for this source tree")
        return
    with atomic(wheels) as tmp:
        tmp.mkdir(parents=True)
        env = _repro_env(b, CALLBOX_REQUIRE_CYTHON="1")
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(tmp),
             str(REPO)], "building the Callbox wheel and its dependencies", env=env, cwd=REPO)
        built = [w.name for w in tmp.glob("callbox-*.whl")]
        if not built or not any("cp311" in w for w in built):
            raise StepFailed(f"wheels: no compiled callbox wheel (got {built}); Cython missing?")
        (tmp / ".stamp").write_text(stamp)
    log(f"  {len(list(wheels.glob('*.whl')))} wheels")


def _stage(b: Build) -> Path:
    """Rendered files the customize hook copies into the root filesystem."""
    stage = b.work / "stage"
    _remove(stage)
    (stage / "etc/callbox").mkdir(parents=True)
    (stage / "etc/rauc").mkdir(parents=True)
    (stage / "etc/callbox/callbox.toml").write_text(render.callbox_toml())
    (stage / "etc/callbox/image-version").write_text(b.version + "\n")
    (stage / "etc/rauc/system.conf").write_text(render.rauc_system_conf())
    shutil.copyfile(b.cert, stage / "etc/rauc/keyring.pem")
    (stage / "etc/fstab").write_text(layout.fstab())
    (stage / "grub-early.cfg").write_text(render.grub_early_cfg())
    if b.rootfs_variant == "broken":
        d = stage / "etc/systemd/system/callbox.service.d"
        d.mkdir(parents=True)
        (d / "broken.conf").write_text(
            "# image-test's bad update: this slot's daemon never becomes healthy\n"
            "[Service]\nExecStart=\nExecStart=/bin/false\n")
    os.symlink(b.work / "wheels", stage / "wheels")
    return stage


def step_rootfs(b: Build) -> None:
    tar = b.work / f"rootfs-{b.rootfs_variant}.tar"
    stage = _stage(b)
    cache = REPO / ".cache" / "image-debs"
    cache.mkdir(parents=True, exist_ok=True)
    with atomic(tar) as tmp:
        tmp_tar = tmp.with_suffix(".tar")
        try:
            cmd = ["mmdebstrap", "--mode=root", "--variant=apt", "--format=tar",
                   "--include=" + ",".join(packages()),
                   "--aptopt=Acquire::Languages \"none\"",
                   "--dpkgopt=path-exclude=/usr/share/man/*",
                   "--dpkgopt=path-exclude=/usr/share/locale/*",
                   "--dpkgopt=path-exclude=/usr/share/doc/*",
                   "--dpkgopt=path-include=/usr/share/doc/*/copyright",
                   '--setup-hook=mkdir -p "$1"/var/cache/apt/archives',
                   f"--setup-hook=sync-in {cache} /var/cache/apt/archives/",
                   f'--essential-hook=cp -a {HERE}/rootfs/. "$1"/',
                   f"--customize-hook=sync-out /var/cache/apt/archives {cache}",
                   f'--customize-hook={HERE}/customize.sh "$1" {stage}',
                   f'--customize-hook=chroot "$1" dpkg-query -W > {b.work}/packages.txt',
                   "bookworm", str(tmp_tar), b.mirror]
            run(cmd, "mmdebstrap", env=_repro_env(b))
            os.replace(tmp_tar, tmp)
        finally:
            _remove(tmp_tar)
    shutil.copyfile(b.work / "packages.txt", b.out / f"callbox-{b.version}.packages")
    log(f"  {tar.name}: {tar.stat().st_size / layout.MiB:.0f} MiB, "
        f"sha256 {signing.sha256_file(tar)}")


def step_squashfs(b: Build) -> None:
    tar = b.work / f"rootfs-{b.rootfs_variant}.tar"
    sq = b.work / f"rootfs-{b.rootfs_variant}.squashfs"
    with atomic(sq) as tmp:
        # gzip: GRUB reads the kernel from this filesystem and its squash4 has no zstd
        with open(tar, "rb") as src:
            run(["tar2sqfs", "--quiet", "--compressor", "gzip", "--comp-extra", "level=6",
                 "--num-jobs", "2",
                 "--defaults", f"mtime={b.epoch}", "--block-size", "131072", str(tmp)],
                "tar2sqfs", stdin=src, env=_repro_env(b))
    if sq.stat().st_size > layout.ROOT_A.size:
        raise StepFailed(f"squashfs: {sq.stat().st_size} bytes do not fit a "
                         f"{layout.ROOT_A.size_mib} MiB root slot")
    log(f"  {sq.name}: {sq.stat().st_size / layout.MiB:.0f} MiB "
        f"(slot {layout.ROOT_A.size_mib} MiB)")


def step_esp(b: Build) -> None:
    esp = b.work / "esp.vfat"
    efi = b.work / "BOOTX64.EFI"
    with open(efi, "wb") as f:
        run(["tar", "-xOf", str(b.work / "rootfs-good.tar"),
             "./usr/lib/callbox/efi/BOOTX64.EFI"], "GRUB EFI binary from the rootfs", stdout=f)
    cfg = b.work / "grub.cfg"
    cfg.write_text(render.grub_cfg())
    env_file = b.work / "grubenv"
    env_file.write_bytes(render.grubenv())
    for made in (efi, cfg, env_file):       # mcopy -m keeps these mtimes
        os.utime(made, (b.epoch, b.epoch))
    with atomic(esp) as tmp:
        run(["mkfs.vfat", "-C", "-n", "ESP", "-i", "5C0A11B0", "--invariant", str(tmp),
             str(layout.ESP.size // 1024)], "mkfs.vfat", stdout=subprocess.DEVNULL)
        env = _repro_env(b, MTOOLS_SKIP_CHECK="1")
        run(["mmd", "-i", str(tmp), "::/EFI", "::/EFI/BOOT"], "mmd", env=env)
        run(["mcopy", "-m", "-i", str(tmp), str(efi), str(cfg), str(env_file), "::/EFI/BOOT/"],
            "mcopy", env=env)
    log(f"  ESP with GRUB ({efi.stat().st_size // 1024} KiB), {render.BOOT_TRIES} tries per slot")


def step_data(b: Build) -> None:
    data = b.work / "data.ext4"
    with atomic(data) as tmp:
        env = _repro_env(b, E2FSPROGS_FAKE_TIME=str(b.epoch))
        run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-T", "default", "-L", "data", "-U", layout.DATA.uuid.lower(),
             "-E", f"hash_seed={layout.DATA.uuid.lower()},root_owner=0:0",
             str(tmp), f"{layout.DATA.size_mib}M"], "mkfs.ext4", env=env)


def step_disk(b: Build) -> None:
    off = layout.offsets()
    parts = {layout.ESP.name: b.work / "esp.vfat",
             layout.ROOT_A.name: b.work / f"rootfs-{b.rootfs_variant}.squashfs",
             layout.DATA.name: b.work / "data.ext4"}
    with atomic(b.image) as tmp:
        with open(tmp, "wb") as f:
            f.truncate(layout.disk_size())
        run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", str(tmp)],
            "sfdisk", input=layout.sfdisk_script().encode())
        for name, src in parts.items():
            log(f"  {name}: {src.stat().st_size / layout.MiB:.0f} MiB at "
                f"{off[name] // layout.MiB} MiB")
            copy_into(src, tmp, off[name])
    log(f"  {b.image.name}: {layout.disk_size() / layout.MiB:.0f} MiB "
        f"({_allocated(b.image) / layout.MiB:.0f} MiB allocated)")


def copy_into(src: Path, disk: Path, offset: int) -> None:
    """Copy *src* into *disk* at *offset*, skipping all-zero blocks so the image stays sparse."""
    block = layout.MiB
    with open(src, "rb") as fi, open(disk, "r+b") as fo:
        pos = offset
        while chunk := fi.read(block):
            if chunk.count(0) != len(chunk):
                fo.seek(pos)
                fo.write(chunk)
            pos += len(chunk)


def _allocated(p: Path) -> int:
    return p.stat().st_blocks * 512


def step_bmap(b: Build) -> None:
    bmap = b.image.with_name(b.image.name + ".bmap")
    with atomic(bmap) as tmp:
        run(["bmaptool", "-q", "create", "-o", str(tmp), str(b.image)], "bmaptool create")


def step_bundle(b: Build) -> None:
    src = b.work / "bundle"
    _remove(src)
    src.mkdir()
    os.link(b.work / f"rootfs-{b.rootfs_variant}.squashfs", src / "rootfs.squashfs")
    (src / "manifest.raucm").write_text(render.rauc_manifest(b.version))
    for old in b.out.glob("callbox-*.raucb"):
        if old != b.bundle:
            old.unlink()
    with atomic(b.bundle) as tmp:
        run(["rauc", "bundle", "--cert", str(b.cert), "--key", str(b.key),
             str(src), str(tmp)], "rauc bundle", stdout=subprocess.DEVNULL)
    shutil.rmtree(src)
    log(f"  {b.bundle.name}: {b.bundle.stat().st_size / layout.MiB:.0f} MiB, "
        f"compatible {render.COMPATIBLE}, version {b.version}")


def step_sums(b: Build) -> None:
    files = [b.image, b.image.with_name(b.image.name + ".bmap"), b.bundle]
    sums = b.out / "SHA256SUMS"
    sig = b.out / "SHA256SUMS.sig"
    _remove(sig)
    with atomic(sums) as tmp:
        tmp.write_text(signing.sha256sums(files))
    with atomic(sig) as tmp:
        signing.sign(sums, tmp, b.key, b.cert)
    signing.verify(sums, sig, b.cert)
    log("  SHA256SUMS signed and verified")


STEPS: list[tuple[str, Callable[[Build], None]]] = [
    ("keys", step_keys), ("wheels", step_wheels), ("rootfs", step_rootfs),
    ("squashfs", step_squashfs), ("esp", step_esp), ("data", step_data),
    ("disk", step_disk), ("bmap", step_bmap), ("bundle", step_bundle), ("sums", step_sums)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="image/build.py", description=__doc__.split("\n")[0])
    p.add_argument("--out", default=str(REPO / "build"))
    p.add_argument("--key", default=os.environ.get("IMAGE_KEY") or str(HERE / "keys/dev.key"))
    p.add_argument("--cert", default=os.environ.get("IMAGE_CERT") or str(HERE / "keys/dev.crt"))
    p.add_argument("--version", help="bundle version (default: project version.epoch)")
    p.add_argument("--variant", choices=("good", "broken"), default="good")
    p.add_argument("--only", help="comma-separated steps to run (default: all)")
    args = p.parse_args(argv)
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=REPO, capture_output=True,
        text=True).stdout.strip() or "0")
    version = args.version or render.image_version(_project_version(), epoch)
    b = Build(Path(args.out).resolve(), Path(args.key), Path(args.cert), epoch, version,
              rootfs_variant=args.variant)
    b.work.mkdir(parents=True, exist_ok=True)
    steps = [s for s in STEPS if not args.only or s[0] in args.only.split(",")]
    log(f"image: version {version}, SOURCE_DATE_EPOCH={epoch}, output in {b.out}")
    t_all = time.monotonic()
    for i, (name, fn) in enumerate(steps, 1):
        t0 = time.monotonic()
        log(f"[{i}/{len(steps)}] {name}: {_STEP_TEXT[name]}")
        try:
            fn(b)
        except (StepFailed, OSError, subprocess.SubprocessError, signing.SigningError) as exc:
            log(f"image: step '{name}' failed: {exc}")
            return 1
        log(f"[{i}/{len(steps)}] {name}: done in {time.monotonic() - t0:.0f} s")
    log(f"image: done in {time.monotonic() - t_all:.0f} s")
    return 0


_STEP_TEXT = {
    "keys": "signing key", "wheels": "Callbox wheel (Cython) and dependencies",
    "rootfs": "Debian 12 root filesystem (mmdebstrap; minutes)",
    "squashfs": "read-only root filesystem", "esp": "EFI system partition",
    "data": "data partition", "disk": "raw GPT image", "bmap": "block map",
    "bundle": "signed RAUC bundle", "sums": "signed SHA256SUMS"}


def _project_version() -> str:
    import tomllib
    with open(REPO / "pyproject.toml", "rb") as f:
        return str(tomllib.load(f)["project"]["version"])


if __name__ == "__main__":
    sys.exit(main())

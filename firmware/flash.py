"""``callbox flash IMAGE DEVICE``: write a signed image to a box's storage, verified.

Order of work, so that an interrupted or failed flash never leaves a device that
boots half an image (the Raspberry Pi Imager's rule: the partition table last):

1. verify: SHA256SUMS.sig against the keyring, then the bmap's and the image's
   SHA-256 against SHA256SUMS. Nothing is written before this passes.
2. check the device: exists, not mounted (nor any partition, nor a loop device
   over it), not in use as swap, at least as large as the image.
3. wipe the device's first and last MiB (old partition tables) so a stale table
   can never point into new data.
4. write the bmap's mapped ranges except the first and last MiB of the image,
   checking each range's SHA-256 as it is read from the image.
5. flush, drop the cache, read those ranges back and compare.
6. only then write the first and last MiB (protective MBR, primary and backup GPT),
   flush and read them back.

bmaptool writes the bmap's ranges in order, table first, so the writer here reads
the same bmap (``firmware.bmap``) and orders the writes itself.
"""
from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from firmware import signing
from firmware.bmap import Bmap
from firmware.errors import DecodeError, FlashError, SigningError

MiB = 1024 * 1024
HOLD = MiB            # bytes at each end of the image written last (partition tables)
CHUNK = 4 * MiB

Progress = Callable[[str, int, int], None]   # (stage, bytes done, bytes total)


@dataclass(frozen=True)
class FlashReport:
    image: Path
    device: Path
    image_size: int
    written: int          # bytes written (mapped ranges only)
    seconds: float        # write + read-back time
    verified: int         # bytes read back and compared


@dataclass(frozen=True)
class System:
    """Where the flasher looks for mounts, swaps and loop devices (tests pass their own)."""
    mounts: Path = Path("/proc/self/mounts")
    swaps: Path = Path("/proc/swaps")
    sys_block: Path = Path("/sys/class/block")


def release_files(image: Path) -> tuple[Path, Path, Path]:
    """The bmap, SHA256SUMS and its signature that must sit beside *image*."""
    return (image.with_name(image.name + ".bmap"), image.with_name("SHA256SUMS"),
            image.with_name("SHA256SUMS.sig"))


def verify_release(image: Path, keyring: Path, progress: Progress | None = None) -> Bmap:
    """Signature, then bmap and image hashes; returns the parsed bmap. Writes nothing."""
    if not image.is_file():
        raise FlashError(f"image {image} does not exist", image=str(image), stage="verify")
    bmap_path, sums, sig = release_files(image)
    for p, what in ((bmap_path, "block map"), (sums, "SHA256SUMS"), (sig, "signature")):
        if not p.is_file():
            raise FlashError(f"the image is unsigned or incomplete: {what} {p.name} is missing "
                             f"beside {image.name}", image=str(image), stage="verify")
    try:
        signing.verify(sums, sig, keyring)
        table = signing.parse_sums(sums.read_text(errors="replace"))
    except SigningError as exc:
        raise FlashError(f"refusing {image.name}: {exc}", image=str(image),
                         stage="verify") from None
    for p in (bmap_path, image):
        if p.name not in table:
            raise FlashError(f"refusing {image.name}: SHA256SUMS does not list {p.name}",
                             image=str(image), stage="verify")
    if signing.sha256_file(bmap_path) != table[bmap_path.name]:
        raise FlashError(f"refusing {image.name}: {bmap_path.name} does not match SHA256SUMS "
                         "(corrupt or altered)", image=str(image), stage="verify")
    size = image.stat().st_size
    h = hashlib.sha256()
    done = 0
    with open(image, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            done += len(chunk)
            if progress:
                progress("verify image", done, size)
    if h.hexdigest() != table[image.name]:
        raise FlashError(f"refusing {image.name}: its SHA-256 does not match SHA256SUMS "
                         "(corrupt or altered image)", image=str(image), stage="verify")
    try:
        bmap = Bmap.parse(bmap_path.read_bytes())
    except DecodeError as exc:
        raise FlashError(f"refusing {image.name}: bad block map: {exc}", image=str(image),
                         stage="verify") from None
    if bmap.image_size != size:
        raise FlashError(f"refusing {image.name}: the bmap describes {bmap.image_size} bytes, "
                         f"the image has {size}", image=str(image), stage="verify")
    return bmap


def device_size(device: Path) -> int:
    with open(device, "rb") as f:
        return f.seek(0, os.SEEK_END)


def _block_names(device: Path, system: System) -> set[str]:
    """Kernel names of the device, its partitions and loop devices backed by it."""
    st = device.stat()
    names: set[str] = set()
    if stat.S_ISBLK(st.st_mode):
        dev = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        for d in system.sys_block.iterdir():
            if (d / "dev").is_file() and (d / "dev").read_text().strip() == dev:
                names.add(d.name)
    else:
        real = str(device.resolve())
        for d in system.sys_block.glob("loop*"):
            backing = d / "loop" / "backing_file"
            if backing.is_file() and backing.read_text().strip() == real:
                names.add(d.name)
    for name in list(names):
        for part in (system.sys_block / name).glob(f"{name}*"):
            if (part / "partition").is_file():
                names.add(part.name)
    return names


def check_device(device: Path, image_size: int, system: System = System()) -> int:
    """Refuse a missing, mounted, swapped-on or too-small target; return its size."""
    if not device.exists():
        raise FlashError(f"device {device} does not exist", device=str(device), stage="check")
    st = device.stat()
    if not (stat.S_ISBLK(st.st_mode) or stat.S_ISREG(st.st_mode)):
        raise FlashError(f"{device} is neither a block device nor an image file",
                         device=str(device), stage="check")
    names = _block_names(device, system)
    paths = {str(device.resolve())} | {f"/dev/{n}" for n in names}
    for line in system.mounts.read_text().splitlines():
        src, _, rest = line.partition(" ")
        if src in paths or (src.startswith("/dev/") and os.path.realpath(src) in paths):
            where = rest.split(" ", 1)[0]
            raise FlashError(f"refusing {device}: {src} is mounted on {where}; unmount it first",
                             device=str(device), stage="check", mounted=src)
    if system.swaps.exists():
        for line in system.swaps.read_text().splitlines()[1:]:
            src = line.split(" ", 1)[0]
            if src in paths or os.path.realpath(src) in paths:
                raise FlashError(f"refusing {device}: {src} is in use as swap",
                                 device=str(device), stage="check")
    size = device_size(device)
    if size < image_size:
        raise FlashError(f"refusing {device}: it holds {size} bytes, the image needs "
                         f"{image_size}", device=str(device), stage="check", size=size,
                         needed=image_size)
    return size


def _pieces(bmap: Bmap) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Mapped byte spans split into (body, held): held is within HOLD of either end."""
    end = bmap.image_size
    held_zones = [(0, min(HOLD, end)), (max(end - HOLD, 0), end)]
    body: list[tuple[int, int]] = []
    for r in bmap.ranges:
        off, length = r.span(bmap.block_size)
        start, stop = off, min(off + length, end)
        cuts = [start]
        for a, b in held_zones:
            for x in (a, b):
                if start < x < stop:
                    cuts.append(x)
        cuts = sorted(set(cuts + [stop]))
        for a, b in zip(cuts, cuts[1:]):
            if not any(za <= a and b <= zb for za, zb in held_zones):
                body.append((a, b - a))
    held = [(a, b - a) for a, b in held_zones if b > a]
    if held[0][0] + held[0][1] > held[-1][0]:          # tiny image: one zone
        held = [(0, end)]
    return body, held


class Flasher:
    def __init__(self, image: Path, device: Path, keyring: Path,
                 progress: Progress | None = None, system: System = System(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.image, self.device, self.keyring = image, device, keyring
        self.progress = progress or (lambda stage, done, total: None)
        self.system, self.clock = system, clock

    def run(self) -> FlashReport:
        bmap = verify_release(self.image, self.keyring, self.progress)
        dev_size = check_device(self.device, bmap.image_size, self.system)
        body, held = _pieces(bmap)
        t0 = self.clock()
        with open(self.image, "rb") as src, open(self.device, "r+b") as dst:
            self._wipe_tables(dst, dev_size)
            self._check_ranges(src, bmap)
            total = sum(n for _, n in body)
            self._copy(src, dst, body, "write", total)
            self._sync(dst)
            self._compare(src, dst, body, "read back", total)
            # the partition tables: only now, after the rest is verified on the device
            self._copy(src, dst, held, "write partition table", sum(n for _, n in held))
            self._sync(dst)
            self._compare(src, dst, held, "read back partition table", sum(n for _, n in held))
        seconds = self.clock() - t0
        written = sum(n for _, n in body) + sum(n for _, n in held)
        return FlashReport(self.image, self.device, bmap.image_size, written, seconds,
                           written)

    def _wipe_tables(self, f: BinaryIO, dev_size: int) -> None:
        zero = b"\0" * min(HOLD, dev_size)
        for off in sorted({0, max(dev_size - HOLD, 0)}):
            f.seek(off)
            f.write(zero[:dev_size - off])
        self._sync(f)

    def _check_ranges(self, src: BinaryIO, bmap: Bmap) -> None:
        """Each mapped range of the image against the bmap's SHA-256 (corrupt ranges refused)."""
        total = bmap.mapped_bytes
        done = 0
        for r in bmap.ranges:
            off, length = r.span(bmap.block_size)
            length = min(length, bmap.image_size - off)
            h = hashlib.sha256()
            src.seek(off)
            left = length
            while left:
                chunk = src.read(min(CHUNK, left))
                if not chunk:
                    break
                h.update(chunk)
                left -= len(chunk)
                done += len(chunk)
                self.progress("check ranges", done, total)
            if h.hexdigest() != r.sha256:
                raise FlashError(f"refusing {self.image.name}: blocks {r.first}-{r.last} do not "
                                 "match the block map's SHA-256", image=str(self.image),
                                 stage="verify")

    def _copy(self, src: BinaryIO, dst: BinaryIO, spans: list[tuple[int, int]], stage: str,
              total: int) -> None:
        done = 0
        for off, length in spans:
            src.seek(off)
            dst.seek(off)
            left = length
            while left:
                chunk = src.read(min(CHUNK, left))
                if not chunk:
                    raise FlashError(f"{self.image.name} ended early at byte {off + length - left}",
                                     image=str(self.image), stage=stage)
                dst.write(chunk)
                left -= len(chunk)
                done += len(chunk)
                self.progress(stage, done, total)

    def _sync(self, f: BinaryIO) -> None:
        f.flush()
        fd = f.fileno()
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)   # read back from the device

    def _compare(self, src: BinaryIO, dst: BinaryIO, spans: list[tuple[int, int]], stage: str,
                 total: int) -> None:
        done = 0
        for off, length in spans:
            src.seek(off)
            dst.seek(off)
            left = length
            while left:
                n = min(CHUNK, left)
                want = src.read(n)
                got = dst.read(n)
                if hashlib.sha256(want).digest() != hashlib.sha256(got).digest():
                    raise FlashError(
                        f"read-back of {self.device} differs from the image at byte "
                        f"{off + length - left}; the device is not bootable (its partition "
                        "table is not written) -- try again or replace the medium",
                        device=str(self.device), stage=stage)
                left -= n
                done += n
                self.progress(stage, done, total)

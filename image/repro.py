"""Compare two root filesystem tarballs member by member (is the build reproducible?).

``python -m image.repro A.tar B.tar`` prints both SHA-256s and, when they differ,
what differs: members only in one, and for members in both the fields that differ
(content, size, mode, owner, mtime, link target, extended headers). diffoscope
says more about a differing file; this says which files, fast, with no extra tool.
Exit status 0 when the tarballs are byte-identical, 1 otherwise.
"""
from __future__ import annotations

import hashlib
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("type", "mode", "uid", "gid", "uname", "gname", "mtime", "size", "linkname",
          "pax", "sha256")


@dataclass(frozen=True)
class Member:
    type: bytes
    mode: int
    uid: int
    gid: int
    uname: str
    gname: str
    mtime: float
    size: int
    linkname: str
    pax: tuple[tuple[str, str], ...]
    sha256: str


def members(path: Path) -> dict[str, Member]:
    out: dict[str, Member] = {}
    with tarfile.open(path) as tar:
        for info in tar:
            digest = ""
            if info.isfile():
                f = tar.extractfile(info)
                h = hashlib.sha256()
                if f is not None:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                digest = h.hexdigest()
            pax = tuple(sorted((k, str(v)) for k, v in info.pax_headers.items()
                               if k not in ("path", "linkpath", "size")))
            out[info.name] = Member(info.type, info.mode, info.uid, info.gid, info.uname,
                                    info.gname, info.mtime, info.size, info.linkname, pax,
                                    digest)
    return out


def differences(a: dict[str, Member], b: dict[str, Member]) -> list[str]:
    """One line per difference, sorted by member name."""
    lines = []
    for name in sorted(a.keys() | b.keys()):
        if name not in b:
            lines.append(f"only in the first: {name}")
        elif name not in a:
            lines.append(f"only in the second: {name}")
        elif a[name] != b[name]:
            diff = [f"{f} {getattr(a[name], f)!r} != {getattr(b[name], f)!r}"
                    if f != "sha256" else "content"
                    for f in FIELDS if getattr(a[name], f) != getattr(b[name], f)]
            lines.append(f"{name}: {'; '.join(diff)}")
    if not lines and list(a) != list(b):
        lines.append("the same members in another order")
    return lines


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m image.repro FIRST.tar SECOND.tar", file=sys.stderr)
        return 2
    first, second = Path(args[0]), Path(args[1])
    ha, hb = sha256(first), sha256(second)
    print(f"{ha}  {first}\n{hb}  {second}")
    if ha == hb:
        print("identical")
        return 0
    diff = differences(members(first), members(second))
    print(f"differ: {len(diff)} members" if diff else
          "differ, but no member does (tar headers or padding)")
    for line in diff:
        print(f"  {line}")
    return 1


if __name__ == "__main__":
    sys.exit(main())

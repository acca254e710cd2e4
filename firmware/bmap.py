"""The block map of a disk image (bmaptool's XML, format 2.0) as a value.

``bmaptool create`` writes it at build time; ``callbox flash`` reads it to write
only the mapped blocks and to check each range's SHA-256, both while reading the
image and when reading the device back.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from firmware.errors import DecodeError


@dataclass(frozen=True)
class Range:
    first: int          # first block, inclusive
    last: int           # last block, inclusive
    sha256: str

    def span(self, block_size: int) -> tuple[int, int]:
        """Byte offset and length."""
        return self.first * block_size, (self.last - self.first + 1) * block_size


@dataclass(frozen=True)
class Bmap:
    image_size: int
    block_size: int
    ranges: tuple[Range, ...]

    @property
    def mapped_bytes(self) -> int:
        return sum(min(r.span(self.block_size)[1], self.image_size - r.span(self.block_size)[0])
                   for r in self.ranges)

    @classmethod
    def parse(cls, data: bytes) -> "Bmap":
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            raise DecodeError(f"bmap is not XML: {exc}", field="xml") from None
        if root.tag != "bmap" or not root.get("version", "").startswith("2."):
            raise DecodeError("not a bmap of format 2.x", field="version")

        def num(tag: str) -> int:
            el = root.find(tag)
            if el is None or not (el.text or "").strip().isdigit():
                raise DecodeError(f"bmap has no valid <{tag}>", field=tag)
            return int((el.text or "").strip())

        kind = (root.findtext("ChecksumType") or "").strip()
        if kind != "sha256":
            raise DecodeError(f"bmap checksum type {kind!r}, expected sha256",
                              field="ChecksumType")
        ranges = []
        for el in root.iterfind("BlockMap/Range"):
            text = (el.text or "").strip()
            a, _, b = text.partition("-")
            if not a.isdigit() or (b and not b.isdigit()):
                raise DecodeError(f"bmap range {text!r} is not N or N-M", field="Range")
            first, last = int(a), int(b or a)
            digest = el.get("chksum", "")
            if len(digest) != 64 or last < first:
                raise DecodeError(f"bmap range {text!r} has no sha256 or runs backwards",
                                  field="Range")
            ranges.append(Range(first, last, digest))
        bmap = cls(num("ImageSize"), num("BlockSize"), tuple(ranges))
        if bmap.block_size <= 0 or any(
                r.first * bmap.block_size >= bmap.image_size for r in ranges):
            raise DecodeError("bmap range beyond the image size", field="Range")
        return bmap

    def bytes(self) -> bytes:
        """A bmap bmaptool reads (without the file checksum, which it then skips)."""
        blocks = -(-self.image_size // self.block_size)
        mapped = sum(r.last - r.first + 1 for r in self.ranges)
        rows = "\n".join(
            f'        <Range chksum="{r.sha256}"> '
            f'{r.first if r.first == r.last else f"{r.first}-{r.last}"} </Range>'
            for r in self.ranges)
        return (f'<?xml version="1.0" ?>\n<bmap version="2.0">\n'
                f"    <ImageSize> {self.image_size} </ImageSize>\n"
                f"    <BlockSize> {self.block_size} </BlockSize>\n"
                f"    <BlocksCount> {blocks} </BlocksCount>\n"
                f"    <MappedBlocksCount> {mapped} </MappedBlocksCount>\n"
                f"    <ChecksumType> sha256 </ChecksumType>\n"
                f"    <BlockMap>\n{rows}\n    </BlockMap>\n</bmap>\n").encode()

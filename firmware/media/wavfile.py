"""Is a recorder's WAV final? Can a crashed node's half-written WAV be saved?

pjmedia's WAV writer writes a header with zero sizes when it starts and fills
them in only when the recorder is destroyed (docs/reference/pjsua2.md#gotchas). So "the
header's sizes match the file" is the test for a finished recording, and
rewriting those sizes from the file length salvages what a killed node had
already flushed.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from firmware.media.protocol import ProtocolError


@dataclass(frozen=True)
class WavLayout:
    riff_size: int       # as written in the header
    data_offset: int     # where the samples start
    data_size: int       # as written in the header
    byte_rate: int
    file_size: int

    @property
    def final(self) -> bool:
        return (self.riff_size == self.file_size - 8
                and self.data_offset + self.data_size == self.file_size)

    @property
    def seconds(self) -> float:
        return self.data_size / self.byte_rate if self.byte_rate else 0.0


def layout(path: str | os.PathLike[str]) -> WavLayout:
    """Read the RIFF header; raise ProtocolError with the offset of what is wrong."""
    with open(path, "rb") as f:
        head = f.read(4096)
        size = os.fstat(f.fileno()).st_size
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ProtocolError(f"{path}: not a RIFF/WAVE file", offset=0)
    riff_size = struct.unpack_from("<I", head, 4)[0]
    pos, byte_rate = 12, 0
    while pos + 8 <= len(head):
        cid, csize = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if cid == b"fmt ":
            if pos + 16 > len(head):
                break
            byte_rate = struct.unpack_from("<I", head, pos + 16)[0]
        elif cid == b"data":
            return WavLayout(riff_size, pos + 8, csize, byte_rate, size)
        pos += 8 + csize + (csize & 1)
    raise ProtocolError(f"{path}: no data chunk in the first 4096 bytes", offset=pos)


def repair(path: str | os.PathLike[str]) -> float:
    """Rewrite the RIFF and data sizes from the file length; return the seconds kept."""
    lay = layout(path)
    data = lay.file_size - lay.data_offset
    data -= data % 2
    with open(path, "r+b") as f:
        f.truncate(lay.data_offset + data)
        f.seek(4)
        f.write(struct.pack("<I", lay.data_offset + data - 8))
        f.seek(lay.data_offset - 4)
        f.write(struct.pack("<I", data))
    return data / lay.byte_rate if lay.byte_rate else 0.0


def final_seconds(path: str | Path) -> float | None:
    """Seconds of audio when the file is complete, ``None`` while it is not (yet)."""
    try:
        lay = layout(path)
    except (OSError, ProtocolError):
        return None
    return lay.seconds if lay.final else None

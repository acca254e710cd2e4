"""An uploaded WAV checked before it becomes a prompt: the RIFF/WAVE header as a value.

Prompts on the box are WAV, 8 kHz, mono, 16-bit PCM (``firmware.prompts``: what the
media nodes' 8 kHz bridge plays without resampling). An upload may be that, or G.711
(A-law or µ-law, 8 kHz mono, as exported by telephony tools), which sox converts to
16-bit PCM so every stored prompt has the one format. Anything else is refused with the
reason naming what was wrong and how to convert it, rather than resampled silently.
"""
from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from firmware.errors import CallboxError

RATE = 8000
#: WAVE format tags accepted (WAVE_FORMAT_PCM, _ALAW, _MULAW).
CODINGS = {1: "PCM", 6: "A-law", 7: "µ-law"}
#: An upload larger than this is refused (16-bit 8 kHz: about 8 minutes).
MAX_BYTES = 8 * 1024 * 1024
CONVERT = "sox in.wav -r 8000 -c 1 -b 16 -e signed-integer out.wav"


class WavError(CallboxError):
    """An uploaded file is not a WAV the box plays; carries ``field`` ("file")."""


@dataclass(frozen=True)
class WavFormat:
    """The ``fmt `` chunk of a RIFF/WAVE file and the size of its ``data`` chunk."""
    tag: int
    channels: int
    rate: int
    bits: int
    data_bytes: int

    @classmethod
    def parse(cls, raw: bytes) -> "WavFormat":
        """Walk the RIFF chunks; a file that is not RIFF/WAVE, or lacks ``fmt ``/``data``,
        is refused naming which."""
        if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
            raise WavError("not a WAV file (no RIFF/WAVE header)", field="file")
        pos, fmt, data = 12, None, None
        while pos + 8 <= len(raw):
            cid, size = raw[pos:pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
            body = raw[pos + 8:pos + 8 + size]
            if cid == b"fmt ":
                if len(body) < 16:
                    raise WavError("WAV fmt chunk too short", field="file")
                fmt = struct.unpack_from("<HHIIHH", body)
            elif cid == b"data":
                data = len(body)
                break
            pos += 8 + size + (size & 1)
        if fmt is None:
            raise WavError("WAV file without a fmt chunk", field="file")
        if not data:
            raise WavError("WAV file without audio (no data, or an empty data chunk)",
                           field="file")
        tag, channels, rate, _, _, bits = fmt
        return cls(tag, channels, rate, bits, data)

    def problems(self) -> list[str]:
        """What keeps this file from being a prompt (empty: fine)."""
        out = []
        if self.tag not in CODINGS:
            out.append(f"coding 0x{self.tag:04x} (expected PCM, A-law or µ-law)")
        elif self.tag == 1 and self.bits != 16:
            out.append(f"{self.bits}-bit PCM (expected 16-bit)")
        elif self.tag in (6, 7) and self.bits != 8:
            out.append(f"{self.bits}-bit {CODINGS[self.tag]} (expected 8-bit)")
        if self.rate != RATE:
            out.append(f"sample rate {self.rate} Hz (expected {RATE} Hz)")
        if self.channels != 1:
            out.append(f"{self.channels} channels (expected mono)")
        return out

    @property
    def coding(self) -> str:
        return CODINGS.get(self.tag, f"0x{self.tag:04x}")


def checked_prompt_wav(raw: bytes) -> bytes:
    """The bytes to store for an uploaded prompt: 16-bit PCM 8 kHz mono as uploaded, or
    A-law/µ-law converted by sox; anything else raises ``WavError`` naming the problem."""
    if len(raw) > MAX_BYTES:
        raise WavError(f"file too large ({len(raw)} bytes; at most {MAX_BYTES})",
                       field="file")
    fmt = WavFormat.parse(raw)
    bad = fmt.problems()
    if bad:
        raise WavError("WAV refused: " + ", ".join(bad) + f"; convert it with: {CONVERT}",
                       field="file")
    if fmt.tag == 1:
        return raw
    if shutil.which("sox") is None:
        raise WavError(f"{fmt.coding} WAV needs sox to convert it, and sox is not installed;"
                       " upload 16-bit PCM", field="file")
    with tempfile.TemporaryDirectory(prefix="callbox-wav-") as d:
        src, dst = Path(d) / "in.wav", Path(d) / "out.wav"
        src.write_bytes(raw)
        run = subprocess.run(["sox", str(src), "-r", str(RATE), "-c", "1", "-b", "16",
                              "-e", "signed-integer", str(dst)], capture_output=True,
                             timeout=60)
        if run.returncode != 0:
            raise WavError("sox could not read the " + fmt.coding + " WAV: "
                           + run.stderr.decode(errors="replace").strip()[:200], field="file")
        return dst.read_bytes()

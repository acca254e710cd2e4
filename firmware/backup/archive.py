"""The backup archive's outer format: framed, checksummed, optionally encrypted.

```
"CALLBOX-BACKUP\\n"                        15 bytes, identifies the file
u32 big-endian n, then n bytes of JSON      the header (format, kdf, nonce prefix, key check)
frames: u32 (bit 31 = last frame, bits 0-30 = length), then that many bytes
```

The frames carry a tar stream (MANIFEST.json is its last member). Without a
passphrase each frame is plain and the last one holds the SHA-256 of the
whole tar stream, so damage anywhere is found before anything is restored.
With a passphrase the key is scrypt(passphrase, salt; N=2^15, r=8, p=1), each
frame is AES-256-GCM with the nonce ``prefix || frame number`` and the header,
frame number and last-frame flag as associated data: a changed, reordered,
dropped or truncated frame fails authentication. The header's key check
(an encryption of a constant under a nonce no frame uses) tells a wrong
passphrase apart from a damaged archive.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from firmware.errors import CallboxError

MAGIC = b"CALLBOX-BACKUP\n"
FORMAT = 1
FRAME = 1 << 20
LAST = 1 << 31
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_CHECK_NONCE_COUNTER = 0xFFFFFFFF
_CHECK_TEXT = b"callbox backup key check"


class BackupError(CallboxError):
    """A backup could not be written or an archive cannot be restored; carries ``path``."""


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        passphrase.encode("utf-8"))


def _nonce(prefix: bytes, counter: int) -> bytes:
    return prefix + struct.pack(">I", counter)


class _OneWay:
    """The file-object methods tarfile's stream modes ("w|", "r|") never call on a
    one-way archive; a file object offers them all (typeshed's ``tarfile._Fileobj``)."""

    def read(self, size: int = -1) -> bytes:
        raise io.UnsupportedOperation("read")

    def write(self, data: bytes) -> int:
        raise io.UnsupportedOperation("write")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")

    def seek(self, pos: int) -> int:
        raise io.UnsupportedOperation("seek")

    def close(self) -> None:
        pass


class ArchiveWriter(_OneWay):
    """A write-only file object for ``tarfile.open(mode="w|")``."""

    def __init__(self, out: BinaryIO, passphrase: str | None = None) -> None:
        self._out = out
        self._buf = bytearray()
        self._count = 0
        self._sha = hashlib.sha256()
        self.bytes_in = 0
        header: dict[str, Any] = {"format": FORMAT, "encrypted": passphrase is not None,
                                  "frame": FRAME}
        self._aead: AESGCM | None = None
        if passphrase is not None:
            salt, self._prefix = os.urandom(16), os.urandom(8)
            self._aead = AESGCM(_key(passphrase, salt))
            header.update(kdf={"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                               "salt": salt.hex()}, nonce_prefix=self._prefix.hex())
            header["check"] = self._aead.encrypt(_nonce(self._prefix, _CHECK_NONCE_COUNTER),
                                                 _CHECK_TEXT, b"check").hex()
        self._header = json.dumps(header, sort_keys=True).encode()
        out.write(MAGIC + struct.pack(">I", len(self._header)) + self._header)

    def write(self, data: bytes) -> int:
        self._buf += data
        self.bytes_in += len(data)
        self._sha.update(data)
        while len(self._buf) >= FRAME:
            self._frame(bytes(self._buf[:FRAME]), last=False)
            del self._buf[:FRAME]
        return len(data)

    def _frame(self, data: bytes, last: bool) -> None:
        if self._aead is not None:
            aad = self._header + struct.pack(">IB", self._count, int(last))
            data = self._aead.encrypt(_nonce(self._prefix, self._count), data, aad)
        self._out.write(struct.pack(">I", len(data) | (LAST if last else 0)) + data)
        self._count += 1

    def close(self) -> None:
        if self._buf:
            self._frame(bytes(self._buf), last=False)
            self._buf.clear()
        self._frame(self._sha.digest() if self._aead is None else b"", last=True)
        self._out.flush()


class ArchiveReader(_OneWay):
    """A read-only file object for ``tarfile.open(mode="r|")`` that checks as it goes."""

    def __init__(self, inp: BinaryIO, passphrase: str | None, name: str) -> None:
        self._in = inp
        self._name = name
        if inp.read(len(MAGIC)) != MAGIC:
            raise BackupError("not a Callbox backup archive (the file does not start with"
                              " its signature)", path=name)
        try:
            (n,) = struct.unpack(">I", inp.read(4))
            if n > 65536:
                raise ValueError
            self._header = inp.read(n)
            header = json.loads(self._header)
        except (struct.error, ValueError):
            raise BackupError("the archive header is damaged", path=name) from None
        if header.get("format") != FORMAT:
            raise BackupError(f"archive format {header.get('format')!r} is not one this"
                              f" firmware reads ({FORMAT})", path=name)
        self.encrypted = bool(header.get("encrypted"))
        self._aead: AESGCM | None = None
        if self.encrypted:
            if not passphrase:
                raise BackupError("the archive is encrypted: give its passphrase", path=name)
            try:
                kdf = header["kdf"]
                if (kdf["name"], kdf["n"], kdf["r"], kdf["p"]) != \
                        ("scrypt", SCRYPT_N, SCRYPT_R, SCRYPT_P):
                    raise BackupError("unknown key derivation in the archive", path=name)
                self._prefix = bytes.fromhex(header["nonce_prefix"])
                self._aead = AESGCM(_key(passphrase, bytes.fromhex(kdf["salt"])))
                self._aead.decrypt(_nonce(self._prefix, _CHECK_NONCE_COUNTER),
                                   bytes.fromhex(header["check"]), b"check")
            except InvalidTag:
                raise BackupError("wrong passphrase for this archive", path=name) from None
            except (KeyError, ValueError, TypeError):
                raise BackupError("the archive header is damaged", path=name) from None
        self._count = 0
        self._buf = b""
        self._done = False
        self._sha = hashlib.sha256()
        self.bytes_read = 0

    def _next(self) -> None:
        head = self._in.read(4)
        if len(head) < 4:
            raise BackupError("the archive is truncated (its last frame is missing)",
                              path=self._name)
        (word,) = struct.unpack(">I", head)
        last, n = bool(word & LAST), word & ~LAST
        if n > FRAME + 64:
            raise BackupError(f"the archive is damaged (frame {self._count} is too long)",
                              path=self._name)
        data = self._in.read(n)
        if len(data) < n:
            raise BackupError("the archive is truncated", path=self._name)
        if self._aead is not None:
            aad = self._header + struct.pack(">IB", self._count, int(last))
            try:
                data = self._aead.decrypt(_nonce(self._prefix, self._count), data, aad)
            except InvalidTag:
                raise BackupError(f"the archive is damaged (frame {self._count} fails"
                                  " authentication)", path=self._name) from None
        self._count += 1
        if last:
            if self._aead is None and data != self._sha.digest():
                raise BackupError("the archive is damaged (checksum mismatch)", path=self._name)
            if self._in.read(1):
                raise BackupError("the archive has data after its end", path=self._name)
            self._done = True
            return
        self._sha.update(data)
        self._buf += data

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buf) < size):
            self._next()
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        self.bytes_read += len(out)
        return out

    def drain(self) -> None:
        """Read to the end, so the checksum / last frame is verified."""
        while not self._done:
            self._next()
        if self._buf.strip(b"\0"):          # tar pads its last record with zeros
            raise BackupError("the archive has data after its tar stream", path=self._name)

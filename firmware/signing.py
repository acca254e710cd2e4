"""Checksums and detached CMS signatures of release files (SHA256SUMS and its .sig).

The same X.509 key signs the RAUC bundle and the image's SHA256SUMS, so one
certificate (RAUC's keyring) checks both. Signing and verifying go through the
openssl CLI: the CMS verification is the tool's own, not re-implemented here.
"""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from firmware.errors import SigningError

CHUNK = 4 * 1024 * 1024


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256sums(files: list[Path]) -> str:
    """``sha256sum``'s format: one ``<hex>  <name>`` line per file (names without folders)."""
    return "".join(f"{sha256_file(f)}  {f.name}\n" for f in files)


def parse_sums(text: str, source: str = "SHA256SUMS") -> dict[str, str]:
    """Name -> hex digest; a malformed line is an error naming its number."""
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if (not sep or len(digest) != 64 or not name
                or any(c not in "0123456789abcdef" for c in digest)):
            raise SigningError(f"{source} line {n} is not '<sha256>  <name>'", file=source,
                               line=n)
        out[name.lstrip("*")] = digest
    return out


def sign(path: Path, sig: Path, key: Path, cert: Path) -> None:
    """Write a detached DER CMS signature of *path* to *sig*."""
    _openssl(["cms", "-sign", "-binary", "-noattr", "-in", str(path), "-signer", str(cert),
              "-inkey", str(key), "-outform", "DER", "-out", str(sig)], path, "signing")


def verify(path: Path, sig: Path, keyring: Path) -> None:
    """Check *sig* is a signature of *path* by a certificate in *keyring* (else SigningError)."""
    for p in (path, sig, keyring):
        if not p.is_file():
            raise SigningError(f"{p.name} is missing", file=str(p))
    _openssl(["cms", "-verify", "-binary", "-inform", "DER", "-in", str(sig),
              "-content", str(path), "-CAfile", str(keyring), "-purpose", "any",
              "-out", "/dev/null"], path, "signature verification")


def _openssl(args: list[str], path: Path, what: str) -> None:
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SigningError(f"{what} of {path.name} failed: {last}", file=str(path))


def make_dev_key(key: Path, cert: Path, subject: str = "/O=Callbox/CN=Callbox development key"
                 ) -> None:
    """A self-signed EC P-256 key and certificate for development builds (never committed)."""
    tmp_key, tmp_cert = key.with_suffix(".key.part"), cert.with_suffix(".crt.part")
    try:
        _openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                  "-nodes", "-days", "36500", "-subj", subject, "-keyout", str(tmp_key),
                  "-out", str(tmp_cert)], key, "key generation")
        tmp_key.chmod(0o600)
        tmp_key.replace(key)
        tmp_cert.replace(cert)
    finally:
        tmp_key.unlink(missing_ok=True)
        tmp_cert.unlink(missing_ok=True)
